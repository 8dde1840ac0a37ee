"""Template helpers for intake pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from incidents.policies import can_see_address_in_clear

register = template.Library()


@register.filter
def address_for(address: Any, user: Any) -> str:
    """The address in clear, or "Restricted address" unless this user has revealed it."""
    if address is None:
        return ""
    if can_see_address_in_clear(user, address):
        return address.full_text
    return _("Restricted address")


@register.simple_tag(takes_context=True)
def address_on(context: Any, address: Any, incident: Any) -> str:
    """The address as shown on ``incident``'s pages: in clear if this user revealed it for that
    incident (a reveal is for one incident only), else "Restricted address"."""
    if address is None:
        return ""
    if can_see_address_in_clear(context["request"].user, address, incident=incident):
        return address.full_text
    return _("Restricted address")


@register.filter
def yes_no(value: bool | None) -> str:
    if value is None:
        return _("Not recorded")
    return _("Yes") if value else _("No")

"""Template helpers for intake pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


#: The incident page's history in words (audit action codes are for the audit trail).
HISTORY_LABELS = {
    "incidents.incident.created": gettext_lazy("Call logged"),
    "incidents.incident.regraded": gettext_lazy("Regraded"),
    "incidents.incident.deferred": gettext_lazy("Attendance deferred"),
    "incidents.incident.dispatched": gettext_lazy("Officer dispatched"),
    "incidents.incident.attended": gettext_lazy("Officer arrived"),
    "incidents.incident.risk_level_set": gettext_lazy("Risk level set"),
    "incidents.incident.people_linked": gettext_lazy("People linked"),
    "incidents.incident.call_added": gettext_lazy("Further call added"),
}


@register.filter
def history_label(action: str) -> str:
    """``incidents.incident.regraded`` -> "Regraded"; an unknown code -> its last part in words."""
    label = HISTORY_LABELS.get(action)
    if label is not None:
        return str(label)
    return action.rsplit(".", 1)[-1].replace("_", " ").capitalize()

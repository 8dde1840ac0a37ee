"""Template helpers for the DASH pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext as _

from risk.choices import Answer, Level

register = template.Library()

_TAG = {Level.HIGH: "govuk-tag--red", Level.MEDIUM: "govuk-tag--orange",
        Level.STANDARD: "govuk-tag--green"}  # fmt: skip


@register.filter
def level_tag(level: str) -> str:
    """The GOV.UK tag colour of a level."""
    return _TAG.get(level, "govuk-tag--grey")  # type: ignore[call-overload]


@register.filter
def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else _("Not set")


@register.filter
def answer_label(value: str) -> str:
    return str(Answer(value).label) if value in Answer.values else ""


@register.filter
def waited(delta: timedelta) -> str:
    """ "3 h 05 min" (the queue's time waited)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(d)d days %(h)d h") % {"d": hours // 24, "h": hours % 24}
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None

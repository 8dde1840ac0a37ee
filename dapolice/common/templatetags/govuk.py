"""GOV.UK Design System markup written once: ``{% load govuk %}``."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("_table_head.html")
def table_head(*headers: str) -> dict[str, Any]:
    """``{% table_head _("Reference") _("Status") %}``: a GOV.UK table's head row."""
    return {"headers": headers}


@register.inclusion_tag("_table_empty.html")
def table_empty(columns: int, message: str) -> dict[str, Any]:
    """``{% table_empty 5 _("No incidents.") %}``: the one row of an empty GOV.UK table."""
    return {"columns": columns, "message": message}

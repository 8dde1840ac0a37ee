"""Filter sets shared by the HTML list and the API."""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from incidents.choices import IncidentStatus, RiskLevel
from incidents.models import Incident


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, converted to UTC before it reaches the database.

    Python accepts offsets up to ±23:59 and PostgreSQL only up to ±15:59, so
    ``received_before=...+23:59`` was a 500 (issue 7, finding 9); in UTC every offset is fine,
    and a moment outside the calendar is a clear 400.
    """

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_("Enter a real date and time."), code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, label=_("Status"))
    category = django_filters.CharFilter(field_name="category__code", label=_("Category"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))
    received_after = UtcIsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("Received from")
    )
    received_before = UtcIsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("Received before")
    )
    reference = django_filters.CharFilter(lookup_expr="iexact", label=_("Reference"))

    class Meta:
        model = Incident
        fields = ["status", "category", "risk_level", "reference"]

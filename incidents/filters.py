"""Filter sets shared by the HTML list and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from incidents.choices import IncidentStatus, RiskLevel
from incidents.models import Incident


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, label=_("Status"))
    category = django_filters.CharFilter(field_name="category__code", label=_("Category"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))
    received_after = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("Received from")
    )
    received_before = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("Received before")
    )
    reference = django_filters.CharFilter(lookup_expr="iexact", label=_("Reference"))

    class Meta:
        model = Incident
        fields = ["status", "category", "risk_level", "reference"]

"""Filter sets shared by the HTML list and the API."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from incidents.choices import OPEN_STATUSES, IncidentStatus, RiskLevel
from incidents.matching import keys
from incidents.models import Incident, IncidentPerson


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


class IncidentListFilter(IncidentFilter):
    """The incident list page (MOJ filter-and-table): the API's filters, plus days rather than
    instants, overdue, and the order. Nothing personal: the search term (a name, an address)
    never travels in the URL; the page keeps it in the session (``incident_search``)."""

    # Days in the force's time zone, compared as instants so the received_at index serves them
    # (``received_at__date`` was a function of every row: a scan of the table).
    received_after = django_filters.DateFilter(
        method="filter_received_after", label=_("Received on or after")
    )
    received_before = django_filters.DateFilter(
        method="filter_received_before", label=_("Received on or before")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))
    sort = django_filters.OrderingFilter(
        fields=(
            ("received_at", "received"),
            ("deadline_at", "deadline"),
            ("reference", "reference"),
            ("risk_level", "risk"),
        ),
        label=_("Sort by"),
    )

    def filter_received_after(
        self, queryset: QuerySet[Incident], name: str, value: date
    ) -> QuerySet:
        return queryset.filter(received_at__gte=_day_starts(value))

    def filter_received_before(
        self, queryset: QuerySet[Incident], name: str, value: date
    ) -> QuerySet:
        return queryset.filter(received_at__lt=_day_starts(value + timedelta(days=1)))

    def filter_overdue(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES, deadline_at__lt=timezone.now())


def _day_starts(day: date) -> datetime:
    """The first moment of ``day`` in the force's time zone (``TIME_ZONE``)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def incident_search(queryset: QuerySet[Incident], term: str) -> QuerySet[Incident]:
    """Incidents by reference ("DA-2026-000123", or its number), postcode ("NR1 3DE" or a
    district "NR1"), a person's name ("Smith", "Jane Smith", any alias) or the street."""
    term = " ".join((term or "").split())
    if not term:
        return queryset
    where = Q(reference__iexact=term)
    digits = term.rsplit("-", 1)[-1]
    if digits.isdigit():
        where |= Q(pk=int(digits))
    postcode = keys.postcode_key(term)
    if postcode:
        where |= Q(location__postcode_key=postcode)
    elif term.replace(" ", "").isalnum() and any(c.isdigit() for c in term) and len(term) <= 4:
        where |= Q(location__postcode_key__startswith=term.upper())
    words = [keys.fold(w) for w in term.split() if keys.fold(w)]
    if words:
        named = Q(person__names__family_norm=words[-1])
        if len(words) > 1:
            named &= Q(person__names__given_norm=words[0]) | Q(
                person__names__given_canon=keys.given_canon(words[0])
            )
        where |= Q(pk__in=IncidentPerson.objects.filter(named).values("incident_id"))
        where |= Q(location__street__icontains=term)
    return queryset.filter(where)

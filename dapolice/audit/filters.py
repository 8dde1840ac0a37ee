"""The audit trail's filters, shared by the page and the API (django-filter).

Only who, what kind, which action, which record and when: nothing filters on the values or
reasons a row holds (they can be case content, and a filter on them is an oracle that recovers
a hidden value letter by letter).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dapolice.audit.forms import AuditFilterForm
from dapolice.audit.models import AuditEvent, AuditEventQuerySet


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(django_filters.FilterSet):  # type: ignore[misc]
    action = django_filters.CharFilter(
        label=_("Action starts with"),
        help_text=_("For example, incidents.person"),
        field_name="action",
        lookup_expr="startswith",
        max_length=100,
    )
    subject_type = django_filters.CharFilter(
        label=_("Record type"),
        help_text=_("For example, incidents.person"),
        field_name="subject_type",
        max_length=100,
    )
    subject_id = django_filters.CharFilter(
        label=_("Record id"),
        help_text=_("Needs a record type. Finds the lists it was shown on too."),
        method="filter_subject",
        max_length=64,
    )
    actor = django_filters.CharFilter(
        label=_("User"), help_text=_("Username or user id"), method="filter_actor", max_length=150
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AuditEvent.Kind.choices)
    since = django_filters.DateFilter(label=_("From (date)"), method="filter_since")
    until = django_filters.DateFilter(label=_("To (date)"), method="filter_until")

    class Meta:
        model = AuditEvent
        form = AuditFilterForm
        fields: list[str] = []

    def filter_subject(
        self, queryset: AuditEventQuerySet, name: str, value: str
    ) -> AuditEventQuerySet:
        subject_type = self.form.cleaned_data.get("subject_type")
        if not value or not subject_type:
            return queryset
        # "Who looked at this record?": read on its own, or shown on a list or search page
        # (the GIN index on object_ids, migration 0004).
        if connection.vendor == "postgresql":
            shown = Q(object_ids__contains=[value])
        else:  # SQLite has no JSON containment; the ids are stored as quoted strings
            shown = Q(object_ids__icontains=f'"{value}"')
        return queryset.filter(Q(subject_id=value) | shown)

    def filter_actor(
        self, queryset: AuditEventQuerySet, name: str, value: str
    ) -> AuditEventQuerySet:
        value = value.strip()
        if not value:
            return queryset
        if value.isascii() and value.isdigit():
            if int(value) > 2**63 - 1:  # no such id; beyond bigint it was a 500 (issue 7)
                return queryset.none()
            return queryset.filter(actor_id=int(value))
        return queryset.filter(actor__username__iexact=value)

    def filter_since(
        self, queryset: AuditEventQuerySet, name: str, value: date
    ) -> AuditEventQuerySet:
        return queryset.filter(at__gte=_local_midnight(value))

    def filter_until(
        self, queryset: AuditEventQuerySet, name: str, value: date
    ) -> AuditEventQuerySet:
        if value == date.max:  # the day after it is not a date (a 500 before; issue 7)
            return queryset
        return queryset.filter(at__lt=_local_midnight(value + timedelta(days=1)))

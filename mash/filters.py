"""The queue's filters (django-filter), shared by the page and the API: risk, status, why it is
here (the sample), overdue, team. Only codes travel in the URL, never a name."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mash.choices import OPEN_STATUSES, CaseStatus, EntryReason, Team
from mash.models import MashCase
from risk.choices import Level

STATUS_CHOICES = [("open", _("Waiting or in progress")), *CaseStatus.choices]


class MashCaseFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("Risk"), choices=Level.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", empty_label=_("Any")
    )
    reason = django_filters.ChoiceFilter(
        label=_("Why it is here"), choices=EntryReason.choices, empty_label=_("Any")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"),
        method="filter_overdue",
        widget=django_filters.widgets.BooleanWidget(),
    )
    team = django_filters.ChoiceFilter(label=_("Team"), choices=Team.choices, empty_label=_("Any"))

    class Meta:
        model = MashCase
        fields = ["level", "status", "reason", "overdue", "team"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "govuk-select"

    def filter_status(self, queryset: Any, name: str, value: str) -> Any:
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        now = timezone.now()
        late = Q(status=CaseStatus.WAITING, start_due_at__lt=now) | Q(
            status__in=OPEN_STATUSES, due_at__lt=now
        )
        return queryset.filter(late) if value else queryset.exclude(late)

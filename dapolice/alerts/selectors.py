"""Reads of the alert inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dapolice.alerts.models import Alert, AlertQuerySet, Heartbeat


def alert_list_for_user(*, user: Any, include_acknowledged: bool = False) -> AlertQuerySet:
    qs = Alert.objects.visible_to(user)
    if not include_acknowledged:
        qs = qs.open()
    return qs.select_related("acknowledged_by")


def alert_open_count(*, user: Any) -> int:
    return Alert.objects.visible_to(user).open().count()


def alert_get_for_user(*, user: Any, pk: int) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(user), pk=pk)


def heartbeat_age(*, name: str = "deadline-sweep", now: datetime | None = None) -> float | None:
    """Seconds since the loop ``name`` (the deadline sweep) last completed; None if never."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return ((now or timezone.now()) - beat_at).total_seconds()


def alerting_delayed(*, now: datetime | None = None) -> bool:
    """True when the sweep has not completed for more than two intervals (or ever): the board
    and ``/healthz`` then say "alerting delayed"."""
    age = heartbeat_age(now=now)
    return age is None or age > 2 * settings.DEADLINE_SCAN_SECONDS


def alerts_for_subject(*, user: Any, subject: models.Model) -> AlertQuerySet:
    """The alerts a record raised (all recipients'), for the record's own page. The caller has
    already checked that ``user`` may see the record; titles carry references only."""
    return Alert.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
    ).select_related("acknowledged_by")


def alerts_for_subjects(
    *, user: Any, subject: models.Model, related: Sequence[models.Model]
) -> AlertQuerySet:
    """The alerts a record and records belonging to it raised (an incident and its bail and
    custody events), newest first. The caller has already checked ``user`` may see them."""
    from django.db.models import Q

    cond = Q(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
    for r in related:
        cond |= Q(subject_type=r._meta.label_lower, subject_id=str(r.pk))
    return Alert.objects.filter(cond).select_related("acknowledged_by")

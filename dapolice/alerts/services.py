"""Deadlines and alerts: set, cancel, fire once, acknowledge."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.registry import AlertSpec, handler_for
from dapolice.common.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

SCAN_BATCH = 500


def _subject_key(subject: models.Model) -> tuple[str, str]:
    return subject._meta.label_lower, str(subject.pk)


def deadline_set(*, kind: str, subject: models.Model, due_at: datetime) -> Deadline:
    """Create or move the deadline of ``kind`` for ``subject``.

    Moving a deadline that has already fired re-arms it: it is a new moment, and the alert for
    the old one stays in the inbox. Setting the same moment again changes nothing, so callers
    may call this idempotently.
    """
    subject_type, subject_id = _subject_key(subject)
    with transaction.atomic():
        deadline, created = Deadline.objects.select_for_update().get_or_create(
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            defaults={"due_at": due_at},
        )
        if not created and (deadline.due_at != due_at or deadline.cancelled_at is not None):
            if deadline.fired_at is not None:
                # The old moment's alerts stay in the inbox (they keep kind and subject) but let
                # go of the deadline: the constraints allow one alert per deadline and recipient,
                # so the new moment could otherwise never raise its own.
                Alert.objects.filter(deadline=deadline).update(deadline=None)
            deadline.due_at = due_at
            deadline.cancelled_at = None
            deadline.fired_at = None
            deadline.save(update_fields=["due_at", "cancelled_at", "fired_at"])
    return deadline


def deadline_cancel(*, kind: str, subject: models.Model) -> bool:
    """Stop a deadline from firing (the thing happened). True if a pending one was cancelled."""
    subject_type, subject_id = _subject_key(subject)
    return bool(
        Deadline.objects.filter(
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            fired_at__isnull=True,
            cancelled_at__isnull=True,
        ).update(cancelled_at=timezone.now())
    )


def _raise(
    deadline: Deadline | None, spec: AlertSpec, kind: str, subject: tuple[str, str]
) -> Alert:
    return Alert.objects.create(
        deadline=deadline,
        kind=kind,
        severity=spec.severity,
        title=spec.title,
        link=spec.link,
        recipient_id=spec.recipient_id,
        recipient_role=spec.recipient_role,
        recipient_agency_id=spec.recipient_agency_id,
        subject_type=subject[0],
        subject_id=subject[1],
        about_id=spec.about_id,
    )


def deadline_fire(*, deadline_id: int, now: datetime | None = None) -> bool:
    """Claim one due deadline and raise its alerts; True only for the one claimant.

    The claim (``fired_at``) and the alerts commit together. A second scan, a retried task or a
    second worker finds ``fired_at`` set and does nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Deadline.objects.filter(
            pk=deadline_id, fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now
        ).update(fired_at=now)
        if claimed != 1:
            return False
        deadline = Deadline.objects.get(pk=deadline_id)
        subject = (deadline.subject_type, deadline.subject_id)
        for spec in handler_for(deadline.kind)(deadline):
            _raise(deadline, spec, deadline.kind, subject)
    return True


def deadlines_fire_due(*, now: datetime | None = None) -> int:
    """Fire every due deadline; the periodic scan. Returns how many this call fired."""
    now = now or timezone.now()
    fired = 0
    while True:
        due = list(
            Deadline.objects.filter(
                fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now
            )
            .order_by("due_at")
            .values_list("pk", flat=True)[:SCAN_BATCH]
        )
        if not due:
            return fired
        for pk in due:
            try:
                fired += deadline_fire(deadline_id=pk, now=now)
            except IntegrityError:
                # Another scan raised the same alerts first; the unique constraint kept one.
                logger.info("deadline %s fired concurrently elsewhere", pk)
        if len(due) < SCAN_BATCH:
            return fired


def alert_raise(*, kind: str, subject: models.Model | None, spec: AlertSpec) -> Alert:
    """Raise an alert now (not from a deadline)."""
    key = _subject_key(subject) if subject is not None else ("", "")
    return _raise(None, spec, kind, key)


def alert_acknowledge(*, actor: Any, alert: Alert) -> Alert:
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise Conflict(_("This alert has already been acknowledged."))
        if locked.about_id is not None and locked.about_id == actor.pk:
            # Also the ``alerts.acknowledge`` rule; here for callers without a view.
            raise DomainError(_("This alert is about you: someone else acknowledges it."))
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = actor
        locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return locked

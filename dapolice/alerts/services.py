"""Deadlines and alerts: set, cancel, fire once, acknowledge."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.alerts.models import Alert, AlertDelivery, Deadline, Heartbeat
from dapolice.alerts.registry import AlertSpec, handler_for, repeat_for
from dapolice.audit.services import record_change
from dapolice.common.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

#: Due deadlines claimed per sweep transaction.
SCAN_BATCH = 500
#: The heartbeat row the sweep writes.
SWEEP_HEARTBEAT = "deadline-sweep"
#: Undelivered alerts older than this many sweep intervals (60 s at the default 15 s) are
#: nudged again by the sweep (the first nudge is published after commit and may be lost with
#: the broker); younger ones are left to it.
REDELIVER_AFTER_INTERVALS = 4
#: ... and no older than this: alerts raised before e-mail delivery existed are not sent.
REDELIVER_WITHIN = timedelta(hours=24)
#: At most this many re-nudges per sweep.
REDELIVER_BATCH = 500


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


def _alert(
    deadline: Deadline | None, spec: AlertSpec, kind: str, subject: tuple[str, str]
) -> Alert:
    return Alert(
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


def _raise(
    deadline: Deadline | None, spec: AlertSpec, kind: str, subject: tuple[str, str]
) -> Alert:
    alert = _alert(deadline, spec, kind, subject)
    alert.save()
    return alert


def deadlines_set(*, subject: models.Model, due: Mapping[str, datetime | None]) -> None:
    """Set (or move, or with ``None`` cancel) several deadlines of one subject: one call per
    change of the thing watched, inside its transaction."""
    for kind, due_at in due.items():
        if due_at is None:
            deadline_cancel(kind=kind, subject=subject)
        else:
            deadline_set(kind=kind, subject=subject, due_at=due_at)


def deadlines_create(*, subject: models.Model, due: Mapping[str, datetime | None]) -> None:
    """The deadlines of a subject created in this transaction (a new incident): nobody else can
    hold one yet, so they are inserted in one statement (``deadlines_set`` reads and locks each
    first: six queries instead of one). ``None`` sets nothing."""
    subject_type, subject_id = _subject_key(subject)
    Deadline.objects.bulk_create(
        [
            Deadline(kind=kind, subject_type=subject_type, subject_id=subject_id, due_at=due_at)
            for kind, due_at in due.items()
            if due_at is not None
        ]
    )


def deadlines_cancel(*, subject: models.Model, kinds: Iterable[str]) -> int:
    """Cancel the pending deadlines of ``kinds`` for ``subject`` (the thing happened)."""
    subject_type, subject_id = _subject_key(subject)
    return Deadline.objects.filter(
        kind__in=list(kinds),
        subject_type=subject_type,
        subject_id=subject_id,
        fired_at__isnull=True,
        cancelled_at__isnull=True,
    ).update(cancelled_at=timezone.now())


def _fire_claimed(deadline: Deadline, now: datetime) -> list[int]:
    """Raise the alerts of a deadline this transaction holds locked; their ids."""
    subject = (deadline.subject_type, deadline.subject_id)
    specs = handler_for(deadline.kind)(deadline)
    _release_previous_round([deadline])
    return [_raise(deadline, spec, deadline.kind, subject).pk for spec in specs]


def _release_previous_round(deadlines: Iterable[Deadline]) -> None:
    """A recurring deadline's earlier rounds' alerts stay in the inbox (kind and subject kept) but
    let go of the row: the constraints allow one alert per deadline and recipient, so the new
    round could otherwise never raise its own. Only rows of a recurring kind can have any."""
    ids = [d.pk for d in deadlines if repeat_for(d.kind) is not None]
    if ids:
        Alert.objects.filter(deadline_id__in=ids).update(deadline=None)


def _next_round(deadline: Deadline, now: datetime) -> datetime | None:
    """When a recurring deadline falls due again, strictly after ``now`` (a sweep that ran late,
    or a system that was down for a round, raises one alert, not one per round missed)."""
    repeat = repeat_for(deadline.kind)
    if repeat is None:
        return None
    return repeat(deadline, now)


def _mark_fired(deadlines: Iterable[Deadline], now: datetime) -> None:
    """Mark claimed rows fired, or re-arm a recurring one for its next round (same transaction:
    a recurrence cannot be lost between the alert and the next due time)."""
    once: list[int] = []
    again: list[Deadline] = []
    for deadline in deadlines:
        due_again = _next_round(deadline, now)
        if due_again is None:
            once.append(deadline.pk)
        else:
            deadline.due_at, deadline.fired_at = due_again, None
            again.append(deadline)
    Deadline.objects.filter(pk__in=once).update(fired_at=now)
    if again:
        _rearm(again)


def _rearm(rows: list[Deadline]) -> None:
    """Write the recurring rows' next due times (``fired_at`` back to NULL) in one statement.
    On PostgreSQL an UPDATE joined to a VALUES list: Django's ``bulk_update`` builds a CASE per
    row, four times slower at a batch of 500 (``bench_alerts``, "recurring due")."""
    if connection.vendor != "postgresql":
        Deadline.objects.bulk_update(rows, ["due_at", "fired_at"], batch_size=SCAN_BATCH)
        return
    table = connection.ops.quote_name(Deadline._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(rows))
    params: list[Any] = [x for d in rows for x in (d.pk, d.due_at)]
    # Only placeholders are interpolated: the table name is the model's, the values are params.
    sql = (
        f"UPDATE {table} AS d SET due_at = v.due_at::timestamptz, fired_at = NULL "  # noqa: S608
        f"FROM (VALUES {values}) AS v(id, due_at) WHERE d.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
        ids = _fire_claimed(deadline, now)
        if repeat_for(deadline.kind) is not None:
            _mark_fired([deadline], now)
        transaction.on_commit(lambda: alerts_nudge(alert_ids=ids))
    return True


def _sweep_batch(now: datetime, failed: set[int]) -> int:
    """One transaction: lock up to a batch of due rows (skipping rows another sweep holds),
    raise their alerts, mark them fired. Returns how many rows it claimed; adds to ``failed``
    the rows whose handler failed (left pending for the next sweep)."""
    with transaction.atomic():
        due = list(
            Deadline.objects.filter(
                fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now
            )
            .exclude(pk__in=failed)
            .order_by("due_at")
            .select_for_update(skip_locked=True)[:SCAN_BATCH]
        )
        fired: list[Deadline] = []
        alerts: list[Alert] = []
        for deadline in due:
            try:
                specs = handler_for(deadline.kind)(deadline)
            except DatabaseError:
                raise  # the transaction is broken: the whole batch is retried next sweep
            except Exception:
                # One handler's failure leaves that row pending (retried by the next sweep, and
                # logged) without holding up the others.
                logger.exception("deadline %s (%s) could not be fired", deadline.pk, deadline.kind)
                failed.add(deadline.pk)
                continue
            subject = (deadline.subject_type, deadline.subject_id)
            alerts += [_alert(deadline, spec, deadline.kind, subject) for spec in specs]
            fired.append(deadline)
        _release_previous_round(fired)
        # One INSERT for the batch; the unique constraints still refuse a second alert.
        alert_ids = [a.pk for a in Alert.objects.bulk_create(alerts)]
        _mark_fired(fired, now)
        if alert_ids:
            transaction.on_commit(lambda: alerts_nudge(alert_ids=alert_ids))
    return len(due)


def deadlines_sweep(*, now: datetime | None = None) -> int:
    """The periodic sweep: fire every due deadline, once; returns how many this call fired.

    Due, pending rows are read through the partial index ``deadline_pending_idx`` and locked
    with ``FOR UPDATE SKIP LOCKED``, so two sweeps at once share the work and never wait on
    each other; the unique constraints on ``Alert`` make a second alert for one deadline and
    recipient impossible even if they did not. Alerts whose e-mail was never delivered (a
    lost nudge) are nudged again. The heartbeat is written last.
    """
    now = now or timezone.now()
    fired = 0
    failed: set[int] = set()
    while True:
        before = len(failed)
        claimed = _sweep_batch(now, failed)
        fired += claimed - (len(failed) - before)
        if claimed < SCAN_BATCH:
            break
    alerts_nudge(alert_ids=alerts_undelivered(now=now))
    heartbeat_beat(name=SWEEP_HEARTBEAT, now=now)
    return fired


def deadlines_fire_due(*, now: datetime | None = None) -> int:
    """Fire every due deadline (the sweep; kept under its first name for callers and tests)."""
    return deadlines_sweep(now=now)


def heartbeat_beat(*, name: str, now: datetime | None = None) -> None:
    """Record that the loop ``name`` completed now (``/healthz`` and the board read it)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now()})


def alerts_undelivered(*, now: datetime | None = None) -> list[int]:
    """Alerts whose delivery has not completed a while after they were raised."""
    now = now or timezone.now()
    if not settings.DAPOLICE_ALERT_EMAIL:
        return []
    return list(
        Alert.objects.filter(
            delivered_at__isnull=True,
            created_at__lte=now
            - timedelta(seconds=REDELIVER_AFTER_INTERVALS * settings.DEADLINE_SCAN_SECONDS),
            created_at__gte=now - REDELIVER_WITHIN,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:REDELIVER_BATCH]
    )


def alerts_nudge(*, alert_ids: Iterable[int]) -> int:
    """Publish a delivery task per alert. Only a nudge: a broker that is down loses it, and the
    next sweep nudges again (``alerts_undelivered``). Returns how many were published."""
    if not settings.DAPOLICE_ALERT_EMAIL:
        return 0
    from dapolice.alerts.tasks import alert_deliver_task

    published = 0
    for pk in alert_ids:
        try:
            alert_deliver_task.apply_async(args=[pk], retry=False)
        except Exception:  # kombu's OperationalError and friends: the broker is down
            logger.warning("delivery of alert %s not queued (broker unavailable)", pk)
            return published
        published += 1
    return published


def _alert_recipients(alert: Alert) -> list[Any]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if alert.recipient_id is not None:
        users = users.filter(pk=alert.recipient_id)
    else:
        users = users.filter(groups__name=alert.recipient_role)
        if alert.recipient_agency_id is not None:
            users = users.filter(agency_id=alert.recipient_agency_id)
    return list(users.order_by("pk").distinct())


def alert_deliver(*, alert_id: int) -> int:
    """E-mail one alert to each of its recipients once; idempotent, so a retried or doubled task
    sends nothing twice (``AlertDelivery``). The message carries the alert's title (references
    only, never names) and a link: no personal data leaves the system. Returns e-mails sent."""
    alert = Alert.objects.filter(pk=alert_id, delivered_at__isnull=True).first()
    if alert is None:
        return 0
    sent = 0
    link = settings.DAPOLICE_SITE_URL + (alert.link or reverse("alerts:list"))
    for user in _alert_recipients(alert):
        with transaction.atomic():
            # The alert's row lock serialises two deliveries of one alert: the second waits,
            # then finds the first one's delivery rows.
            Alert.objects.select_for_update().filter(pk=alert.pk).first()
            if AlertDelivery.objects.filter(alert=alert, recipient=user).exists():
                continue
            send_mail(
                subject=f"[dapolice] {alert.title}",
                message=_("%(title)s\n\nOpen it in dapolice: %(link)s\n")
                % {"title": alert.title, "link": link},
                from_email=None,
                recipient_list=[user.email],
            )
            AlertDelivery.objects.create(alert=alert, recipient=user, sent_at=timezone.now())
            sent += 1
    Alert.objects.filter(pk=alert.pk, delivered_at__isnull=True).update(delivered_at=timezone.now())
    return sent


def alert_raise(*, kind: str, subject: models.Model | None, spec: AlertSpec) -> Alert:
    """Raise an alert now (not from a deadline)."""
    key = _subject_key(subject) if subject is not None else ("", "")
    alert = _raise(None, spec, kind, key)
    transaction.on_commit(lambda: alerts_nudge(alert_ids=[alert.pk]))
    return alert


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
        # Who cleared an alert (a break-glass, a bulk read, a missed deadline) is on record.
        record_change(
            actor=actor,
            action="alerts.alert.acknowledged",
            subject=locked,
            changes={"acknowledged_at": [None, locked.acknowledged_at]},
        )
    return locked

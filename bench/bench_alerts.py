"""The deadline sweep (issue 9): one sweep's time with 100,000 open deadlines.

In the home bench database, inside a transaction rolled back at the end: 100,000 pending
deadlines due over the next 30 days are bulk-inserted (the size is ``--sizes``' largest, at least
100,000), then

* ``deadlines_sweep`` with none due: the partial index ``deadline_pending_idx`` makes it an
  index probe that finds nothing, plus the heartbeat write and the undelivered-alerts probe;
* ``deadlines_sweep`` with 500 of them due (one batch): lock with SKIP LOCKED, raise 500 role
  alerts, mark them fired; each repetition in a savepoint rolled back, so every one finds 500;
* ``deadlines_sweep`` with 500 due of a **recurring** kind (``deadline_repeat``: the medium-risk
  re-assessment's way), each re-armed for its next round in the same transaction.

The due-to-raised delay at the default 15 s interval is at most the interval plus one sweep:
``make faults`` measures it end to end with real processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bench.harness import Context, Row

KIND = "bench.alerts.due"
RECURRING = "bench.alerts.recurring"
OPEN = 100_000
DUE = 500


class _Rollback(Exception):
    pass


def run(ctx: Context) -> list[Row]:
    from django.db import transaction
    from django.test import override_settings
    from django.utils import timezone

    from dapolice.accounts.choices import Role
    from dapolice.alerts.models import Deadline
    from dapolice.alerts.registry import AlertSpec, deadline_handler, deadline_repeat, handler_for
    from dapolice.alerts.services import deadlines_sweep

    try:
        handler_for(KIND)
    except Exception:  # noqa: BLE001 (not yet registered)

        @deadline_handler(KIND)
        def _to_role(deadline: Deadline) -> list[AlertSpec]:
            return [
                AlertSpec(title=f"B-{deadline.subject_id}", recipient_role=Role.CONTROL_SUPERVISOR)
            ]

    try:
        handler_for(RECURRING)
    except Exception:  # noqa: BLE001 (not yet registered)

        @deadline_handler(RECURRING)
        def _recurring(deadline: Deadline) -> list[AlertSpec]:
            return [
                AlertSpec(title=f"R-{deadline.subject_id}", recipient_role=Role.CONTROL_SUPERVISOR)
            ]

        @deadline_repeat(RECURRING)
        def _every_28_days(deadline: Deadline, now: datetime) -> datetime:
            return deadline.due_at + timedelta(days=28)

    ctx.home()
    size = OPEN if not ctx.in_place else 1000
    rows: list[Row] = []
    now = timezone.now()
    try:
        with transaction.atomic():
            Deadline.objects.bulk_create(
                (
                    Deadline(
                        kind=KIND,
                        subject_type="bench.thing",
                        subject_id=str(i),
                        due_at=now + timedelta(seconds=60 + (30 * 86400) * i / size),
                    )
                    for i in range(size)
                ),
                batch_size=5000,
            )
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE alerts_deadline")
            empty = ctx.measure(lambda: deadlines_sweep(now=now))
            rows.append(
                Row.timed("deadlines_sweep, none due", empty, size=size, unit="open deadlines")
            )
            later = now + timedelta(seconds=60 + (30 * 86400) * DUE / size)

            def sweep_due() -> None:
                sid = transaction.savepoint()
                # The sweep's "now" is hours ahead here, so the alerts it has just raised would
                # look overdue for delivery and be e-mailed inline (tasks are eager in this
                # process): delivery is the worker's separate task, not part of a sweep.
                with override_settings(DAPOLICE_ALERT_EMAIL=False):
                    fired = deadlines_sweep(now=later)
                transaction.savepoint_rollback(sid)
                assert fired >= DUE, fired  # noqa: S101 (the bench measures what it claims)

            due = ctx.measure(sweep_due, n=max(3, ctx.repeat // 3), warmup=1)
            rows.append(
                Row.timed(
                    f"deadlines_sweep, {DUE} due (alerts raised)",
                    due,
                    size=size,
                    unit="open deadlines",
                    figures={"per deadline ms": round(due.median / DUE, 3)},
                )
            )
            # 500 recurring rows due a second ago; the regular ones are all a minute ahead.
            Deadline.objects.bulk_create(
                Deadline(
                    kind=RECURRING,
                    subject_type="bench.thing",
                    subject_id=str(i),
                    due_at=now - timedelta(seconds=1),
                )
                for i in range(DUE)
            )

            def sweep_recurring() -> None:
                sid = transaction.savepoint()
                with override_settings(DAPOLICE_ALERT_EMAIL=False):
                    fired = deadlines_sweep(now=now)
                transaction.savepoint_rollback(sid)
                assert fired == DUE, fired  # noqa: S101

            again = ctx.measure(sweep_recurring, n=max(3, ctx.repeat // 3), warmup=1)
            rows.append(
                Row.timed(
                    f"deadlines_sweep, {DUE} recurring due (re-armed)",
                    again,
                    size=size,
                    unit="open deadlines",
                    figures={"per deadline ms": round(again.median / DUE, 3)},
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    return rows

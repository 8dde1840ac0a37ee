"""The sweep (issue 9): due rows locked with SKIP LOCKED, one alert per deadline however many
sweeps run, a heartbeat in the database, "alerting delayed" on /healthz and the board, and an
idempotent e-mail delivery keyed by the alert (a reference and a link only).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.alerts.models import Alert, AlertDelivery, Deadline, Heartbeat
from dapolice.alerts.registry import AlertSpec, deadline_handler
from dapolice.alerts.selectors import alerting_delayed, heartbeat_age
from dapolice.alerts.services import (
    SWEEP_HEARTBEAT,
    alert_deliver,
    alerts_undelivered,
    deadline_set,
    deadlines_sweep,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TO_ROLE = "tests.sweep.to_role"
BROKEN = "tests.sweep.broken"


@deadline_handler(TO_ROLE)
def _to_control_room(deadline: Deadline) -> list[AlertSpec]:
    return [
        AlertSpec(
            title=f"DA-2026-{deadline.subject_id}: overdue",
            link=f"/incidents/{deadline.subject_id}/",
            recipient_role=Role.CONTROL_SUPERVISOR,
        )
    ]


@deadline_handler(BROKEN)
def _broken(deadline: Deadline) -> list[AlertSpec]:
    raise LookupError("the handler's record is gone")


def users(make_user: Any, n: int) -> list[User]:
    return [make_user(Role.CALL_TAKER) for _ in range(n)]


def test_a_failing_handler_leaves_its_row_pending_and_the_others_fire(make_user):
    a, b = users(make_user, 2)
    with time_machine.travel(T0, tick=False):
        bad = deadline_set(kind=BROKEN, subject=a, due_at=T0)
        good = deadline_set(kind=TO_ROLE, subject=b, due_at=T0)
        assert deadlines_sweep() == 1
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.fired_at is None
    assert good.fired_at == T0


def test_the_sweep_writes_its_heartbeat_and_delay_is_two_intervals(settings, db):
    settings.DEADLINE_SCAN_SECONDS = 15
    with time_machine.travel(T0, tick=False) as clock:
        assert heartbeat_age() is None
        assert alerting_delayed()
        deadlines_sweep()
        assert heartbeat_age() == 0
        clock.shift(timedelta(seconds=30))
        assert not alerting_delayed()
        clock.shift(timedelta(seconds=1))
        assert alerting_delayed()
    assert Heartbeat.objects.get(name=SWEEP_HEARTBEAT).beat_at == T0


def test_board_says_alerting_delayed_when_the_heartbeat_is_old(client_for, call_taker):
    client = client_for(call_taker)
    with time_machine.travel(T0, tick=False) as clock:
        deadlines_sweep()
        assert b"alerting-delayed" not in client.get(reverse("incidents:board")).content
        clock.shift(timedelta(minutes=5))
        html = client.get(reverse("incidents:board")).content.decode()
    assert 'data-testid="alerting-delayed"' in html
    assert "Alerting delayed" in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_healthz_reports_alerting_delayed(client, settings, make_user):
    # The other checks are test_health.py's; here only the sweep's. The public sees "failing",
    # a signed-in system administrator why.
    def alerting() -> tuple[int, str]:
        response = client.get("/healthz", {"format": "json"})
        return response.status_code, response.json()["Alerting"]

    limit = 2 * settings.DEADLINE_SCAN_SECONDS
    with time_machine.travel(T0, tick=False) as clock:
        assert alerting()[1] == "failing"
        client.force_login(make_user(Role.SYSADMIN))
        assert "has not run yet" in alerting()[1]
        deadlines_sweep()
        assert alerting()[1] == "OK"
        clock.shift(timedelta(seconds=limit))
        assert alerting()[1] == "OK"
        clock.shift(timedelta(seconds=1))
        status, message = alerting()
    assert status == 503
    assert message.endswith(f"alerting delayed: last deadline sweep {limit + 1} s ago")


# --- Two sweeps at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_raise_each_alert_exactly_once(make_user, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    subjects = users(make_user, 60)
    with time_machine.travel(T0, tick=False):
        for user in subjects:
            deadline_set(kind=TO_ROLE, subject=user, due_at=T0 - timedelta(seconds=5))
    fired: list[int] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            fired.append(deadlines_sweep(now=T0))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(fired) == 60
    assert Alert.objects.filter(kind=TO_ROLE).count() == 60
    assert Deadline.objects.filter(kind=TO_ROLE, fired_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_another_sweep_holds_is_skipped_not_waited_for(make_user, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    a, b = users(make_user, 2)
    held = deadline_set(kind=TO_ROLE, subject=a, due_at=T0)
    deadline_set(kind=TO_ROLE, subject=b, due_at=T0)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Deadline.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert deadlines_sweep(now=T0 + timedelta(seconds=1)) == 1  # b only, without waiting
    finally:
        release.set()
        holder.join(timeout=30)
    assert deadlines_sweep(now=T0 + timedelta(seconds=2)) == 1  # a, once released
    assert Alert.objects.filter(kind=TO_ROLE).count() == 2


# --- Delivery ---------------------------------------------------------------------------------


@pytest.fixture
def supervisors(make_user: Any) -> list[User]:
    made = [make_user(Role.CONTROL_SUPERVISOR) for _ in range(2)]
    for i, user in enumerate(made):
        User.objects.filter(pk=user.pk).update(email=f"sup{i}@force.example")
    make_user(Role.CALL_TAKER)  # not a recipient
    return made


def test_delivery_mails_each_recipient_once_with_a_reference_and_a_link_only(
    supervisors, make_user, settings
):
    settings.DAPOLICE_SITE_URL = "https://dapolice.force.example"
    subject = make_user(Role.CALL_TAKER)
    with time_machine.travel(T0, tick=False):
        deadline_set(kind=TO_ROLE, subject=subject, due_at=T0)
        deadlines_sweep()
    alert = Alert.objects.get(kind=TO_ROLE)
    assert alert_deliver(alert_id=alert.pk) == 2
    assert alert_deliver(alert_id=alert.pk) == 0  # a retried or doubled task
    assert sorted(m.to[0] for m in mail.outbox) == ["sup0@force.example", "sup1@force.example"]
    body = mail.outbox[0].body
    assert f"DA-2026-{subject.pk}: overdue" in body
    assert f"https://dapolice.force.example/incidents/{subject.pk}/" in body
    assert subject.last_name not in body + mail.outbox[0].subject
    assert AlertDelivery.objects.filter(alert=alert).count() == 2
    alert.refresh_from_db()
    assert alert.delivered_at is not None


def test_a_half_done_delivery_sends_only_what_is_missing(supervisors, make_user):
    subject = make_user(Role.CALL_TAKER)
    with time_machine.travel(T0, tick=False):
        deadline_set(kind=TO_ROLE, subject=subject, due_at=T0)
        deadlines_sweep()
    alert = Alert.objects.get(kind=TO_ROLE)
    # As if a worker sent the first e-mail, recorded it and was killed before the second.
    AlertDelivery.objects.create(alert=alert, recipient=supervisors[0], sent_at=T0)
    assert alert_deliver(alert_id=alert.pk) == 1
    assert [m.to[0] for m in mail.outbox] == ["sup1@force.example"]


def test_the_sweep_nudges_alerts_whose_delivery_never_happened(supervisors, make_user):
    """The after-commit nudge was lost (broker down): the next sweep a minute on nudges again
    (the tasks run inline in tests)."""
    subject = make_user(Role.CALL_TAKER)
    with time_machine.travel(T0, tick=False) as clock:
        deadline_set(kind=TO_ROLE, subject=subject, due_at=T0)
        deadlines_sweep()  # the nudge is an on-commit hook: never run inside this test
        alert = Alert.objects.get(kind=TO_ROLE)
        assert alerts_undelivered() == []  # too young: its own nudge may still come
        clock.shift(timedelta(seconds=61))
        assert alerts_undelivered() == [alert.pk]
        deadlines_sweep()
        assert alerts_undelivered() == []
    assert len(mail.outbox) == 2


def test_no_email_when_alert_email_is_off(supervisors, make_user, settings):
    settings.DAPOLICE_ALERT_EMAIL = False
    subject = make_user(Role.CALL_TAKER)
    with time_machine.travel(T0, tick=False) as clock:
        deadline_set(kind=TO_ROLE, subject=subject, due_at=T0)
        deadlines_sweep()
        clock.shift(timedelta(minutes=5))
        deadlines_sweep()
    assert mail.outbox == []


def test_delivery_task_takes_a_primary_key_only_and_retries_a_bounded_number_of_times():
    from dapolice.alerts.tasks import alert_deliver_task

    assert alert_deliver_task.acks_late is True
    assert alert_deliver_task.reject_on_worker_lost is True
    assert alert_deliver_task.max_retries == 5
    assert alert_deliver_task.ignore_result is True
    message = alert_deliver_task.s(123)
    assert message.args == (123,)
    assert not message.kwargs

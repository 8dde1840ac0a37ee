"""Deadlines fire once (not never, not twice), and the inbox shows each user their own alerts.

Deadlines here are about users (any model will do as a subject); the test handlers below turn
one into an alert for that user, or for every holder of a role.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from dapolice.alerts.selectors import alert_list_for_user, alert_open_count
from dapolice.alerts.services import (
    alert_acknowledge,
    alert_raise,
    deadline_cancel,
    deadline_fire,
    deadline_set,
    deadlines_fire_due,
)
from dapolice.common.errors import Conflict

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TO_USER = "tests.alerts.to_user"
TO_ROLE = "tests.alerts.to_role"


# Registered once, at import: the registry refuses a second, different handler for a kind.
@deadline_handler(TO_USER)
def _alert_the_subject(deadline: Deadline) -> list[AlertSpec]:
    return [AlertSpec(title=f"Reminder {deadline.pk}", recipient_id=int(deadline.subject_id))]


@deadline_handler(TO_ROLE)
def _alert_control_room(deadline: Deadline) -> list[AlertSpec]:
    return [
        AlertSpec(
            title=f"Overdue {deadline.pk}",
            recipient_role=Role.CONTROL_SUPERVISOR,
            severity="urgent",
        )
    ]


def alerts_for(deadline: Deadline) -> int:
    return Alert.objects.filter(deadline=deadline).count()


# --- Deadlines -------------------------------------------------------------------------------


def test_due_deadline_fires_exactly_once_across_repeated_scans(call_taker):
    with time_machine.travel(T0, tick=False):
        deadline = deadline_set(kind=TO_USER, subject=call_taker, due_at=T0 - timedelta(minutes=1))
        assert deadlines_fire_due() == 1
        assert deadlines_fire_due() == 0
        assert deadline_fire(deadline_id=deadline.pk) is False
    deadline.refresh_from_db()
    assert deadline.fired_at == T0
    assert alerts_for(deadline) == 1
    assert Alert.objects.get(deadline=deadline).recipient == call_taker


def test_deadline_not_yet_due_does_not_fire(call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        deadline = deadline_set(kind=TO_USER, subject=call_taker, due_at=T0 + timedelta(minutes=15))
        assert deadlines_fire_due() == 0
        clock.shift(timedelta(minutes=15) - timedelta(seconds=1))
        assert deadlines_fire_due() == 0
        assert alerts_for(deadline) == 0
        clock.shift(timedelta(seconds=1))
        assert deadlines_fire_due() == 1, "a deadline is due at its moment, not after"
    assert alerts_for(deadline) == 1


def test_cancelled_deadline_never_fires(call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        deadline = deadline_set(kind=TO_USER, subject=call_taker, due_at=T0 + timedelta(minutes=5))
        assert deadline_cancel(kind=TO_USER, subject=call_taker) is True
        clock.shift(timedelta(hours=1))
        assert deadlines_fire_due() == 0
        assert deadline_fire(deadline_id=deadline.pk) is False
    assert alerts_for(deadline) == 0


def test_cancelling_a_fired_deadline_changes_nothing(call_taker):
    with time_machine.travel(T0, tick=False):
        deadline_set(kind=TO_USER, subject=call_taker, due_at=T0)
        deadlines_fire_due()
        assert deadline_cancel(kind=TO_USER, subject=call_taker) is False
    assert Alert.objects.filter(recipient=call_taker).count() == 1


def test_setting_the_same_moment_again_does_not_re_arm(call_taker):
    with time_machine.travel(T0, tick=False):
        deadline_set(kind=TO_USER, subject=call_taker, due_at=T0)
        deadlines_fire_due()
        deadline_set(kind=TO_USER, subject=call_taker, due_at=T0)
        assert deadlines_fire_due() == 0
    assert Alert.objects.filter(recipient=call_taker).count() == 1


def test_moving_a_fired_deadline_re_arms_it(call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        deadline = deadline_set(kind=TO_USER, subject=call_taker, due_at=T0)
        assert deadlines_fire_due() == 1
        moved = deadline_set(kind=TO_USER, subject=call_taker, due_at=T0 + timedelta(hours=1))
        assert moved.pk == deadline.pk
        assert moved.fired_at is None
        assert deadlines_fire_due() == 0, "the new moment has not come yet"
        clock.shift(timedelta(hours=1))
        assert deadlines_fire_due() == 1
        assert deadlines_fire_due() == 0
    # The alert for the first moment stays in the inbox; the second moment raised its own.
    assert Alert.objects.filter(recipient=call_taker, kind=TO_USER).count() == 2


def test_deadline_for_a_role_raises_one_alert_seen_by_every_holder(personas, make_user):
    second_supervisor = make_user(Role.CONTROL_SUPERVISOR)
    with time_machine.travel(T0, tick=False):
        deadline = deadline_set(kind=TO_ROLE, subject=personas["call_taker"], due_at=T0)
        deadlines_fire_due()
    assert alerts_for(deadline) == 1
    assert alert_open_count(user=personas["control_supervisor"]) == 1
    assert alert_open_count(user=second_supervisor) == 1
    assert alert_open_count(user=personas["call_taker"]) == 0


@pytest.mark.postgres
# Two threads need committed rows; serialized_rollback restores the roles and the system user
# that an earlier transactional test's flush removed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_scans_on_postgres_raise_each_alert_once(make_user):
    users = [make_user(Role.CALL_TAKER) for _ in range(20)]
    with time_machine.travel(T0, tick=False):
        for user in users:
            deadline_set(kind=TO_USER, subject=user, due_at=T0 - timedelta(seconds=1))
            deadline_set(kind=TO_ROLE, subject=user, due_at=T0 - timedelta(seconds=1))

    start = threading.Barrier(2)
    fired: list[int] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            with time_machine.travel(T0, tick=False):
                start.wait(timeout=30)
                fired.append(deadlines_fire_due())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(fired) == 40, fired
    assert Alert.objects.filter(kind=TO_USER).count() == 20
    assert Alert.objects.filter(kind=TO_ROLE).count() == 20
    assert not Deadline.objects.filter(fired_at__isnull=True).exists()


# --- Acknowledgement and visibility ----------------------------------------------------------


def raise_for(user: Any = None, role: str = "", title: str = "DA-2026-000001 overdue") -> Alert:
    spec = AlertSpec(title=title, recipient_id=user.pk if user else None, recipient_role=role)
    return alert_raise(kind=TO_USER, subject=None, spec=spec)


def test_alert_is_acknowledged_once(call_taker):
    alert = raise_for(call_taker)
    with time_machine.travel(T0, tick=False):
        done = alert_acknowledge(actor=call_taker, alert=alert)
    assert done.acknowledged_at == T0
    assert done.acknowledged_by == call_taker
    with pytest.raises(Conflict):
        alert_acknowledge(actor=call_taker, alert=alert)
    alert.refresh_from_db()
    assert alert.acknowledged_at == T0


def test_acknowledging_is_audited_once_with_who_and_when(call_taker):
    from dapolice.audit.models import AuditEvent

    alert = raise_for(call_taker)
    with time_machine.travel(T0, tick=False):
        alert_acknowledge(actor=call_taker, alert=alert)
    with pytest.raises(Conflict):
        alert_acknowledge(actor=call_taker, alert=alert)
    rows = AuditEvent.objects.filter(action="alerts.alert.acknowledged", subject_id=str(alert.pk))
    assert [(row.actor_id, row.kind) for row in rows] == [(call_taker.pk, AuditEvent.Kind.CHANGE)]


def test_acknowledge_through_the_inbox_then_again_warns(client_for, call_taker):
    alert = raise_for(call_taker)
    client = client_for(call_taker)
    first = client.post(f"/alerts/{alert.pk}/acknowledge/", follow=True)
    assert b"Alert acknowledged." in first.content
    second = client.post(f"/alerts/{alert.pk}/acknowledge/", follow=True)
    assert b"already been acknowledged" in second.content
    assert alert_open_count(user=call_taker) == 0


def test_acknowledge_needs_a_post(client_for, call_taker):
    alert = raise_for(call_taker)
    assert client_for(call_taker).get(f"/alerts/{alert.pk}/acknowledge/").status_code == 405
    assert alert_open_count(user=call_taker) == 1


def test_user_sees_only_their_own_and_their_roles_alerts(personas):
    call_taker, supervisor = personas["call_taker"], personas["control_supervisor"]
    mine = raise_for(call_taker, title="mine")
    for_my_role = raise_for(role=Role.CALL_TAKER, title="my role")
    raise_for(supervisor, title="someone else's")
    raise_for(role=Role.CONTROL_SUPERVISOR, title="another role")

    assert set(alert_list_for_user(user=call_taker)) == {mine, for_my_role}
    assert alert_open_count(user=call_taker) == 2
    assert alert_open_count(user=personas["outsider"]) == 0


def test_inbox_page_lists_only_the_users_alerts(client_for, personas):
    call_taker = personas["call_taker"]
    raise_for(call_taker, title="DA-2026-000111 for you")
    raise_for(personas["control_supervisor"], title="DA-2026-000222 not for you")
    html = client_for(call_taker).get("/alerts/").content.decode()
    assert "DA-2026-000111 for you" in html
    assert "DA-2026-000222" not in html


def test_cannot_acknowledge_another_users_alert(client_for, personas):
    theirs = raise_for(personas["control_supervisor"])
    response = client_for(personas["call_taker"]).post(f"/alerts/{theirs.pk}/acknowledge/")
    assert response.status_code == 404, "not visible is the same as not there"
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_acknowledged_alerts_leave_the_inbox_but_show_with_show_all(client_for, call_taker):
    alert = raise_for(call_taker, title="DA-2026-000333 done")
    alert_acknowledge(actor=call_taker, alert=alert)
    client = client_for(call_taker)
    assert b"DA-2026-000333" not in client.get("/alerts/").content
    shown = client.get("/alerts/", {"show": "all"}).content.decode()
    assert "DA-2026-000333" in shown
    assert "Acknowledged by" in shown


def test_inbox_uses_a_constant_number_of_queries(
    client_for, call_taker, make_user, django_assert_max_num_queries
):
    other = make_user(Role.CONTROL_SUPERVISOR)
    client = client_for(call_taker)
    first = raise_for(call_taker)
    alert_acknowledge(actor=other, alert=first)
    client.get("/alerts/", {"show": "all"})  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get("/alerts/", {"show": "all"}).status_code == 200

    for i in range(29):
        alert = raise_for(call_taker if i % 2 else None, role="" if i % 2 else Role.CALL_TAKER)
        if i % 3 == 0:
            alert_acknowledge(actor=make_user(Role.CALL_TAKER), alert=alert)
    with django_assert_max_num_queries(len(one)):
        response = client.get("/alerts/", {"show": "all"})
    assert response.content.count(b"data-alert=") == 30


def test_a_partner_role_alert_reaches_only_that_agencys_members(
    make_user, agency_health, agency_housing
):
    from django.db import IntegrityError, transaction

    from dapolice.alerts.registry import AlertSpec
    from dapolice.alerts.selectors import alert_list_for_user
    from dapolice.alerts.services import alert_raise

    health = make_user("partner", agency=agency_health)
    housing = make_user("partner", agency=agency_housing)
    alert_raise(
        kind="marac.action.due",
        subject=None,
        spec=AlertSpec(
            title="Action due", recipient_role="partner", recipient_agency_id=agency_health.pk
        ),
    )
    assert [a.title for a in alert_list_for_user(user=health)] == ["Action due"]
    assert list(alert_list_for_user(user=housing)) == []
    # A partner alert without an agency would reach every agency: the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        alert_raise(
            kind="marac.action.due",
            subject=None,
            spec=AlertSpec(title="Everyone", recipient_role="partner"),
        )

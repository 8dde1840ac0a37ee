"""Attendance alerts (issue 9): logging, regrading, deferring and arriving set, move and cancel
an incident's deadline rows in their own transaction, and the sweep raises each alert once.

Frozen clock throughout: category B is 60 minutes from the call (urban), the warning 5 minutes
before, the escalation 15 minutes after (settings).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_sweep
from incidents import services
from incidents.choices import ATTENDANCE_BREACH, ATTENDANCE_ESCALATION, ATTENDANCE_WARNING
from incidents.models import Incident

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def deadlines(incident: Incident) -> dict[str, Deadline]:
    rows = Deadline.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk))
    return {d.kind: d for d in rows}


def raised(incident: Incident) -> list[tuple[str, str]]:
    rows = Alert.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk))
    return sorted((a.kind, a.recipient_role) for a in rows)


def sweep_at(clock: time_machine.Coordinates, at: datetime) -> int:
    clock.move_to(at)
    return deadlines_sweep()


def test_logging_a_call_sets_warning_breach_and_escalation_in_its_transaction(log_incident):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="B")
    due = {kind: d.due_at for kind, d in deadlines(incident).items()}
    assert due == {
        ATTENDANCE_WARNING: NOW + 55 * MIN,
        ATTENDANCE_BREACH: NOW + 60 * MIN,
        ATTENDANCE_ESCALATION: NOW + 75 * MIN,
    }


def test_a_failed_save_leaves_no_deadline_behind(log_incident):
    def log_then_fail() -> None:
        with transaction.atomic():
            log_incident(category="B")
            raise RuntimeError("the save failed after the incident")

    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        log_then_fail()
    assert not Deadline.objects.exists()


def test_warning_breach_and_escalation_each_fire_once_at_their_moment(log_incident):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        assert sweep_at(clock, NOW + 55 * MIN - timedelta(seconds=1)) == 0
        assert sweep_at(clock, NOW + 55 * MIN) == 1
        assert raised(incident) == [(ATTENDANCE_WARNING, Role.CONTROL_SUPERVISOR)]
        assert sweep_at(clock, NOW + 59 * MIN) == 0
        assert sweep_at(clock, NOW + 60 * MIN) == 1
        assert deadlines_sweep() == 0
        assert sweep_at(clock, NOW + 75 * MIN) == 1
        assert sweep_at(clock, NOW + 200 * MIN) == 0
    assert raised(incident) == [
        (ATTENDANCE_BREACH, Role.CONTROL_SUPERVISOR),
        (ATTENDANCE_ESCALATION, Role.CONTROL_SUPERVISOR),  # the duty-inspector setting's default
        (ATTENDANCE_WARNING, Role.CONTROL_SUPERVISOR),
    ]
    breach = Alert.objects.get(kind=ATTENDANCE_BREACH)
    assert breach.severity == "urgent"
    assert breach.title.startswith(incident.reference)
    assert breach.link == f"/incidents/{incident.pk}/"


def test_escalation_goes_to_the_configured_duty_inspector_role(log_incident, settings):
    settings.DAPOLICE_DUTY_INSPECTOR_ROLE = Role.SUPERVISOR
    settings.DAPOLICE_ATTENDANCE_ESCALATION_MINUTES = 30
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        assert sweep_at(clock, NOW + 89 * MIN) == 2  # warning and breach
        assert sweep_at(clock, NOW + 90 * MIN) == 1
    assert (ATTENDANCE_ESCALATION, Role.SUPERVISOR) in raised(incident)


def test_warning_minutes_are_a_setting(log_incident, settings):
    settings.DAPOLICE_ATTENDANCE_WARNING_MINUTES = 10
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="B")
    assert deadlines(incident)[ATTENDANCE_WARNING].due_at == NOW + 50 * MIN


def test_arrival_cancels_every_attendance_deadline(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        clock.move_to(NOW + 30 * MIN)
        services.incident_record_arrival(actor=call_taker, incident=incident)
        assert sweep_at(clock, NOW + 300 * MIN) == 0
    assert raised(incident) == []
    assert all(d.cancelled_at == NOW + 30 * MIN for d in deadlines(incident).values())


def test_arrival_after_the_breach_stops_the_escalation(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        assert sweep_at(clock, NOW + 61 * MIN) == 2
        services.incident_record_arrival(actor=call_taker, incident=incident)
        assert sweep_at(clock, NOW + 300 * MIN) == 0
    assert ATTENDANCE_ESCALATION not in {kind for kind, _ in raised(incident)}


def test_dispatch_alone_does_not_stop_the_clock(log_incident, call_taker, make_user):
    officer = make_user(Role.ATTENDING_OFFICER)
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        services.incident_dispatch(actor=call_taker, incident=incident, officer=officer)
        assert sweep_at(clock, NOW + 60 * MIN) == 2


def test_deferral_moves_the_deadlines(log_incident, control_supervisor):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        clock.move_to(NOW + 50 * MIN)
        services.incident_defer(
            actor=control_supervisor,
            incident=incident,
            until=NOW + 120 * MIN,
            reason="Officer committed at a serious collision",
            victim_wishes="Happy to wait, suspect has left",
        )
        assert sweep_at(clock, NOW + 60 * MIN) == 0  # the old deadline no longer fires
        assert sweep_at(clock, NOW + 115 * MIN) == 1
        assert sweep_at(clock, NOW + 120 * MIN) == 1
    assert {kind for kind, _ in raised(incident)} == {ATTENDANCE_WARNING, ATTENDANCE_BREACH}


def test_deferral_after_the_breach_re_arms_a_new_breach(log_incident, control_supervisor):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        assert sweep_at(clock, NOW + 61 * MIN) == 2
        services.incident_defer(
            actor=control_supervisor,
            incident=incident,
            until=NOW + 180 * MIN,
            reason="No unit free",
            victim_wishes="Agreed to a visit this afternoon",
        )
        assert sweep_at(clock, NOW + 179 * MIN) == 1  # the new warning
        assert sweep_at(clock, NOW + 180 * MIN) == 1  # the new breach
    kinds = [kind for kind, _ in raised(incident)]
    assert kinds.count(ATTENDANCE_BREACH) == 2
    assert kinds.count(ATTENDANCE_WARNING) == 2


def test_regrade_to_a_faster_category_brings_the_deadlines_forward(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="C")
        clock.move_to(NOW + 5 * MIN)
        services.incident_regrade(
            actor=call_taker, incident=incident, category_code="A", reason="Suspect returned"
        )
        due = {kind: d.due_at for kind, d in deadlines(incident).items()}
        assert due[ATTENDANCE_BREACH] == NOW + 15 * MIN
        assert due[ATTENDANCE_WARNING] == NOW + 10 * MIN
        assert sweep_at(clock, NOW + 15 * MIN) == 2


def test_a_call_logged_already_past_its_deadline_gets_the_breach_but_no_warning(log_incident):
    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="A", received_at=NOW - 20 * MIN)
        assert ATTENDANCE_WARNING not in deadlines(incident)
        assert sweep_at(clock, NOW) == 1
    assert raised(incident) == [(ATTENDANCE_BREACH, Role.CONTROL_SUPERVISOR)]


def test_the_incident_page_lists_the_alerts_it_raised_and_who_acknowledged(
    log_incident, client_for, control_supervisor, django_assert_max_num_queries
):
    from django.urls import reverse

    with time_machine.travel(NOW, tick=False) as clock:
        incident = log_incident(category="B")
        page = reverse("incidents:detail", args=[incident.pk])
        assert "No alerts raised." in client_for(control_supervisor).get(page).content.decode()
        sweep_at(clock, NOW + 61 * MIN)
        client = client_for(control_supervisor)  # signed in again: the first session idled out
        breach = Alert.objects.get(kind=ATTENDANCE_BREACH)
        response = client.post(reverse("alerts:acknowledge", args=[breach.pk]))
        assert response.status_code == 302
        with django_assert_max_num_queries(40):
            html = client.get(page).content.decode()
    assert f"{incident.reference}: attendance deadline passed, not attended" in html
    assert f"{incident.reference}: attendance due in 5 minutes" in html
    assert str(control_supervisor) in html.split('id="alerts"')[1].split("History")[0]

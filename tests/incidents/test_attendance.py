"""Attendance through its services (``incidents.services.attendance``): deferral past the
deadline, dispatch and arrival, each rule at its edge, on the real database. Frozen clock
throughout; category A is 15 minutes from the call, the backdating slack 5 minutes and the
deferral horizon 72 hours (settings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services
from incidents.choices import (
    ATTENDANCE_BREACH,
    ATTENDANCE_ESCALATION,
    ATTENDANCE_WARNING,
    IncidentStatus,
)
from incidents.models import Incident, IncidentOfficer

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def deadlines(incident: Incident) -> dict[str, Deadline]:
    rows = Deadline.objects.filter(subject_type="incidents.incident", subject_id=str(incident.pk))
    return {d.kind: d for d in rows}


def defer(actor, incident, until, reason="No unit free", victim_wishes="Safe at work until 5"):
    return services.incident_defer(
        actor=actor, incident=incident, until=until, reason=reason, victim_wishes=victim_wishes
    )


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    return err.value


# --- Deferral --------------------------------------------------------------------------------


def test_a_deferral_says_what_is_missing(log_incident, control_supervisor):
    incident = log_incident(category="A")
    later = NOW + timedelta(hours=2)
    no_reason = refusal(defer, control_supervisor, incident, later, reason="  ")
    assert (no_reason.field, no_reason.message) == (
        "reason",
        "Record the reason for the deferral.",
    )
    no_wishes = refusal(defer, control_supervisor, incident, later, victim_wishes=" \n")
    assert (no_wishes.field, no_wishes.message) == ("victim_wishes", "Record the victim's wishes.")
    assert Incident.objects.get(pk=incident.pk).deferred_at is None


def test_a_deferral_keeps_the_reason_and_wishes_trimmed_and_who_deferred_when(
    log_incident, control_supervisor
):
    incident = log_incident(category="A")
    later = NOW + timedelta(hours=2)
    with time_machine.travel(NOW + 2 * MIN, tick=False):
        defer(control_supervisor, incident, later, " Victim at work ", " After 17:00 ")
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.deadline_at, stored.deferred_at, stored.deferred_by) == (
        later,
        NOW + 2 * MIN,
        control_supervisor,
    )
    assert (stored.deferral_reason, stored.victim_wishes) == ("Victim at work", "After 17:00")
    assert stored.updated_at == NOW + 2 * MIN
    event = AuditEvent.objects.get(action="incidents.incident.deferred")
    assert (event.actor, event.subject_id, event.reason) == (
        control_supervisor,
        str(incident.pk),
        "Victim at work",
    )
    assert event.changes == {
        "deadline_at": [incident.deadline_at.isoformat(), later.isoformat()],
        "deferred_at": [None, (NOW + 2 * MIN).isoformat()],
        "deferred_by": [None, control_supervisor.pk],
        "deferral_reason": ["", "Victim at work"],
        "victim_wishes": ["", "After 17:00"],
    }


def test_a_deferral_to_exactly_the_deadline_is_refused_and_a_second_later_is_kept(
    log_incident, control_supervisor
):
    incident = log_incident(category="A")
    same = refusal(defer, control_supervisor, incident, incident.deadline_at)
    assert (same.field, same.message) == (
        "until",
        "A deferral must move the deadline later, into the future.",
    )
    assert defer(control_supervisor, incident, incident.deadline_at + SEC).deadline_at == (
        incident.deadline_at + SEC
    )


def test_a_deferral_after_the_deadline_passed_must_be_later_than_now(
    log_incident, control_supervisor
):
    incident = log_incident(category="A")  # deadline 14:15
    with time_machine.travel(NOW + 30 * MIN, tick=False):
        between = refusal(defer, control_supervisor, incident, NOW + 20 * MIN)
        assert between.field == "until"
        assert refusal(defer, control_supervisor, incident, NOW + 30 * MIN).field == "until"
        kept = defer(control_supervisor, incident, NOW + 30 * MIN + SEC)
    assert kept.deadline_at == NOW + 30 * MIN + SEC


def test_a_deferral_may_reach_exactly_the_horizon_and_not_a_second_beyond(
    log_incident, control_supervisor, settings
):
    settings.DAPOLICE_DEFERRAL_MAX_HOURS = 10
    incident = log_incident(category="A")
    beyond = refusal(defer, control_supervisor, incident, NOW + timedelta(hours=10) + SEC)
    assert (beyond.field, beyond.message) == (
        "until",
        "A deferral may move the deadline at most 10 hours ahead.",
    )
    assert defer(control_supervisor, incident, NOW + timedelta(hours=10)).deadline_at == (
        NOW + timedelta(hours=10)
    )


def test_a_deferral_moves_the_alerts_to_the_new_deadline(log_incident, control_supervisor):
    incident = log_incident(category="A")
    later = NOW + timedelta(hours=2)
    defer(control_supervisor, incident, later)
    due = {kind: d.due_at for kind, d in deadlines(incident).items()}
    assert due == {
        ATTENDANCE_WARNING: later - 5 * MIN,
        ATTENDANCE_BREACH: later,
        ATTENDANCE_ESCALATION: later + 15 * MIN,
    }


def test_an_attended_incident_cannot_be_deferred(log_incident, control_supervisor):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=control_supervisor, incident=incident)
    with pytest.raises(Conflict):
        defer(control_supervisor, incident, NOW + timedelta(hours=2))
    assert Incident.objects.get(pk=incident.pk).deferred_at is None


# --- Dispatch and arrival: the times ---------------------------------------------------------


def test_a_dispatch_without_a_time_is_now_and_is_audited(log_incident, call_taker):
    incident = log_incident(category="A")
    with time_machine.travel(NOW + 3 * MIN, tick=False):
        done = services.incident_dispatch(actor=call_taker, incident=incident)
    stored = Incident.objects.get(pk=incident.pk)
    assert done.status == stored.status == IncidentStatus.DISPATCHED
    assert (stored.dispatched_at, stored.dispatch_recorded_at, stored.dispatch_time_reason) == (
        NOW + 3 * MIN,
        NOW + 3 * MIN,
        "",
    )
    assert stored.updated_at == NOW + 3 * MIN
    assert stored.arrived_at is None
    event = AuditEvent.objects.get(action="incidents.incident.dispatched")
    assert (event.actor, event.subject_id, event.reason) == (call_taker, str(incident.pk), "")
    assert event.changes == {
        "status": [IncidentStatus.AWAITING, IncidentStatus.DISPATCHED],
        "dispatched_at": [None, (NOW + 3 * MIN).isoformat()],
        "dispatch_recorded_at": [None, (NOW + 3 * MIN).isoformat()],
    }
    # A dispatch leaves the attendance alerts running.
    assert all(d.cancelled_at is None for d in deadlines(incident).values())


def test_an_arrival_without_a_time_is_now_is_audited_and_cancels_the_alerts(
    log_incident, control_supervisor
):
    incident = log_incident(category="A")
    with time_machine.travel(NOW + 4 * MIN, tick=False):
        services.incident_record_arrival(actor=control_supervisor, incident=incident)
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.status == IncidentStatus.ATTENDED
    assert (stored.arrived_at, stored.arrival_recorded_at, stored.arrival_time_reason) == (
        NOW + 4 * MIN,
        NOW + 4 * MIN,
        "",
    )
    event = AuditEvent.objects.get(action="incidents.incident.attended")
    assert (event.actor, event.reason) == (control_supervisor, "")
    assert event.changes["status"] == [IncidentStatus.AWAITING, IncidentStatus.ATTENDED]
    assert "officers" not in event.changes  # a control-room supervisor is not attached
    assert {k: d.cancelled_at for k, d in deadlines(incident).items()} == {
        ATTENDANCE_WARNING: NOW + 4 * MIN,
        ATTENDANCE_BREACH: NOW + 4 * MIN,
        ATTENDANCE_ESCALATION: NOW + 4 * MIN,
    }


@pytest.mark.parametrize("step", ["dispatch", "arrival"])
def test_a_time_exactly_at_the_call_or_a_minute_ahead_is_taken_not_a_second_outside(
    log_incident, control_supervisor, step
):
    record = services.incident_dispatch if step == "dispatch" else services.incident_record_arrival
    word = "Dispatch" if step == "dispatch" else "Arrival"
    message = f"{word} time must be after the call and not in the future."
    incident = log_incident(category="A", received_at=NOW - 3 * MIN)
    before = refusal(
        record, actor=control_supervisor, incident=incident, at=incident.received_at - SEC
    )
    assert (before.field, before.message) == ("at", message)
    ahead = refusal(record, actor=control_supervisor, incident=incident, at=NOW + MIN + SEC)
    assert (ahead.field, ahead.message) == ("at", message)
    first = log_incident(category="A", received_at=NOW - 3 * MIN)
    done = record(actor=control_supervisor, incident=first, at=first.received_at)
    assert getattr(done, f"{'dispatched' if step == 'dispatch' else 'arrived'}_at") == (
        first.received_at
    )
    second = log_incident(category="A", received_at=NOW - 3 * MIN)
    done = record(actor=control_supervisor, incident=second, at=NOW + MIN)
    assert getattr(done, f"{'dispatched' if step == 'dispatch' else 'arrived'}_at") == NOW + MIN


def test_an_arrival_at_the_dispatch_time_is_taken_a_second_before_it_is_not(
    log_incident, call_taker
):
    incident = log_incident(category="A", received_at=NOW - 4 * MIN)
    services.incident_dispatch(actor=call_taker, incident=incident, at=NOW - 2 * MIN)
    early = refusal(
        services.incident_record_arrival,
        actor=call_taker,
        incident=incident,
        at=NOW - 2 * MIN - SEC,
    )
    assert (early.field, early.message) == ("at", "Arrival cannot be before the dispatch.")
    done = services.incident_record_arrival(actor=call_taker, incident=incident, at=NOW - 2 * MIN)
    assert done.arrived_at == done.dispatched_at == NOW - 2 * MIN


def test_a_later_dispatch_may_name_a_time_before_the_first(log_incident, call_taker):
    incident = log_incident(category="A", received_at=NOW - 4 * MIN)
    services.incident_dispatch(actor=call_taker, incident=incident, at=NOW - MIN)
    again = services.incident_dispatch(actor=call_taker, incident=incident, at=NOW - 3 * MIN)
    assert again.dispatched_at == NOW - 3 * MIN


# --- Backdating: a time more than the slack before it is recorded ----------------------------


@pytest.mark.parametrize("step", ["dispatch", "arrival"])
def test_a_time_exactly_the_slack_ago_needs_nobody_and_keeps_no_reason(
    log_incident, call_taker, step
):
    record = services.incident_dispatch if step == "dispatch" else services.incident_record_arrival
    incident = log_incident(category="A", received_at=NOW - 20 * MIN)
    done = record(actor=call_taker, incident=incident, at=NOW - 5 * MIN, reason="typed anyway")
    assert getattr(done, f"{step}_time_reason") == ""
    assert getattr(done, f"{step}_recorded_at") == NOW
    action = "incidents.incident." + ("dispatched" if step == "dispatch" else "attended")
    assert AuditEvent.objects.get(action=action).reason == ""


@pytest.mark.parametrize("step", ["dispatch", "arrival"])
def test_a_second_beyond_the_slack_needs_a_supervisor_and_says_so(log_incident, call_taker, step):
    record = services.incident_dispatch if step == "dispatch" else services.incident_record_arrival
    incident = log_incident(category="A", received_at=NOW - 20 * MIN)
    with pytest.raises(PermissionDenied) as err:
        record(actor=call_taker, incident=incident, at=NOW - 5 * MIN - SEC, reason="forgot")
    assert str(err.value) == (
        "A time more than 5 minutes ago needs a control-room supervisor or a supervisor, "
        "with a reason."
    )
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.status == IncidentStatus.AWAITING
    assert (stored.dispatched_at, stored.arrived_at) == (None, None)


@pytest.mark.parametrize("roles", [(Role.CONTROL_SUPERVISOR,), (Role.SUPERVISOR, Role.CALL_TAKER)])
def test_a_supervisor_backdates_with_a_reason_kept_trimmed_on_the_record_and_the_audit(
    log_incident, make_user, roles, settings
):
    settings.DAPOLICE_ATTENDANCE_BACKDATE_MINUTES = 7
    supervisor = make_user(*roles)
    incident = log_incident(category="A", received_at=NOW - 20 * MIN)
    at = NOW - 7 * MIN - SEC
    no_reason = refusal(
        services.incident_dispatch, actor=supervisor, incident=incident, at=at, reason="  "
    )
    assert (no_reason.field, no_reason.message) == (
        "reason",
        "Say why the time is more than 7 minutes ago.",
    )
    done = services.incident_dispatch(
        actor=supervisor, incident=incident, at=at, reason=" Radio down "
    )
    stored = Incident.objects.get(pk=done.pk)
    assert (stored.dispatched_at, stored.dispatch_recorded_at, stored.dispatch_time_reason) == (
        at,
        NOW,
        "Radio down",
    )
    event = AuditEvent.objects.get(action="incidents.incident.dispatched")
    assert event.reason == "Radio down"
    assert event.changes["dispatch_time_reason"] == ["", "Radio down"]


# --- Officers --------------------------------------------------------------------------------


def test_dispatch_attaches_each_officer_once_at_the_time_claimed_by_the_actor(
    log_incident, call_taker, make_user
):
    first, second = make_user(Role.ATTENDING_OFFICER), make_user(Role.SUPERVISOR)
    incident = log_incident(category="A", received_at=NOW - 4 * MIN)
    done = services.incident_dispatch(
        actor=call_taker,
        incident=incident,
        officer=first,
        officers=[first, second, first],
        at=NOW - 2 * MIN,
    )
    assert Incident.objects.get(pk=done.pk).attending_officer == first
    rows = IncidentOfficer.objects.filter(incident=incident).order_by("officer_id")
    assert [(r.officer_id, r.attached_at, r.attached_by_id) for r in rows] == [
        (first.pk, NOW - 2 * MIN, call_taker.pk),
        (second.pk, NOW - 2 * MIN, call_taker.pk),
    ]
    event = AuditEvent.objects.get(action="incidents.incident.dispatched")
    assert event.changes["officers"] == [[], sorted([first.pk, second.pk])]
    assert event.changes["attending_officer"] == [None, first.pk]


def test_a_second_dispatch_adds_only_the_new_officer_and_keeps_the_first(
    log_incident, call_taker, make_user
):
    first, second = make_user(Role.ATTENDING_OFFICER), make_user(Role.ATTENDING_OFFICER)
    incident = log_incident(category="A")
    services.incident_dispatch(actor=call_taker, incident=incident, officer=first)
    with time_machine.travel(NOW + MIN, tick=False):
        again = services.incident_dispatch(
            actor=call_taker, incident=incident, officers=[first, second]
        )
    assert again.attending_officer == first
    assert IncidentOfficer.objects.filter(incident=incident).count() == 2
    event = AuditEvent.objects.filter(action="incidents.incident.dispatched").latest("pk")
    assert event.changes["officers"] == [[first.pk], sorted([first.pk, second.pk])]
    assert "attending_officer" not in event.changes
    # The same officers again: nothing attached, nothing said about officers.
    services.incident_dispatch(actor=call_taker, incident=incident, officers=[second])
    last = AuditEvent.objects.filter(action="incidents.incident.dispatched").latest("pk")
    assert "officers" not in last.changes


def test_only_attending_officers_and_supervisors_are_sent_and_the_refusal_names_who(
    log_incident, call_taker, make_user
):
    clerk = make_user(Role.CALL_TAKER, username="clerk-kent")
    incident = log_incident(category="A")
    refused = refusal(
        services.incident_dispatch,
        actor=call_taker,
        incident=incident,
        officers=[make_user(Role.SUPERVISOR), clerk],
    )
    assert refused.field == "officers"
    assert refused.message == f"{clerk} is not an attending officer or supervisor."
    assert not IncidentOfficer.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.AWAITING


def test_an_attending_officer_recording_their_arrival_becomes_the_incidents_officer(
    log_incident, make_user
):
    officer = make_user(Role.ATTENDING_OFFICER)
    incident = log_incident(category="A")
    with time_machine.travel(NOW + 2 * MIN, tick=False):
        done = services.incident_record_arrival(actor=officer, incident=incident)
    assert Incident.objects.get(pk=done.pk).attending_officer == officer
    row = IncidentOfficer.objects.get(incident=incident)
    assert (row.officer_id, row.attached_at, row.attached_by_id) == (
        officer.pk,
        NOW + 2 * MIN,
        officer.pk,
    )


def test_a_supervisor_recording_an_arrival_is_not_attached(log_incident, make_user):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=make_user(Role.SUPERVISOR), incident=incident)
    assert not IncidentOfficer.objects.exists()
    assert Incident.objects.get(pk=incident.pk).attending_officer is None


@pytest.mark.parametrize("step", ["dispatch", "arrival"])
def test_a_backdated_time_with_no_reason_given_at_all_is_refused(
    log_incident, control_supervisor, step
):
    record = services.incident_dispatch if step == "dispatch" else services.incident_record_arrival
    incident = log_incident(category="A", received_at=NOW - 20 * MIN)
    with pytest.raises(DomainError) as err:
        record(actor=control_supervisor, incident=incident, at=NOW - 10 * MIN)
    assert err.value.field == "reason"
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.AWAITING

"""Custody events and the duty inspector rota through their services
(``incidents.services.custody``), each rule at its edge, on the real database. Frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services
from incidents.choices import CUSTODY_REASSESS_DEADLINE, CUSTODY_TELL_VICTIM_DEADLINE
from incidents.models import CustodyEvent, DutyInspectorShift, IncidentPerson

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
SEC = timedelta(seconds=1)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.time_machine(MONDAY, tick=False)


@pytest.fixture
def officer(make_user):
    return make_user(Role.ATTENDING_OFFICER)


@pytest.fixture
def case(log_incident):
    incident = log_incident(
        suspect={"given_name": "Sam", "family_name": "Suspectson"},
        received_at=MONDAY - 2 * HOUR,
    )
    suspect = IncidentPerson.objects.get(incident=incident, role="suspect").person
    return incident, suspect


def record(officer, case, **kw):
    incident, suspect = case
    return services.custody_event_record(
        actor=officer, incident=incident, suspect=suspect, **{"kind": "bail_granted", **kw}
    )


def refusal(call, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as err:
        call(*args, **kw)
    return err.value


def test_each_refusal_says_what_is_wrong_beside_its_field(officer, case):
    incident, _suspect = case
    victim = IncidentPerson.objects.get(incident=incident, role="victim").person
    for kw, field, message in (
        ({"kind": "escaped"}, "kind", "Choose what happened."),
        (
            {"occurred_at": MONDAY + 5 * MIN + SEC},
            "occurred_at",
            "The time cannot be in the future.",
        ),
        (
            {"notes": "Ring 01603 123"},
            "notes",
            "Leave phone numbers out of the notes: the victim's safe number is on the "
            "contact plan.",
        ),
    ):
        err = refusal(record, officer, case, **kw)
        assert (err.field, err.message) == (field, message)
    err = services.custody_event_record
    wrong = refusal(err, actor=officer, incident=incident, suspect=victim, kind="bail_granted")
    assert (wrong.field, wrong.message) == ("suspect", "Choose a suspect of this incident.")
    assert not CustodyEvent.objects.exists()


@pytest.mark.parametrize(
    ("notes", "kept"),
    [
        ("  Bail to 12 Mill Road, curfew 19-07  ", True),
        ("Case 123456 at court", True),
        ("Ring 0160312", False),
        ("Ring 01.60-31 2", False),
    ],
)
def test_notes_are_trimmed_and_seven_digits_in_a_row_are_a_phone_number(officer, case, notes, kept):
    if kept:
        assert record(officer, case, notes=notes).notes == notes.strip()
    else:
        assert refusal(record, officer, case, notes=notes).field == "notes"


def test_an_event_a_few_minutes_ahead_is_taken_and_without_a_time_it_is_now(officer, case):
    assert record(officer, case, occurred_at=MONDAY + 5 * MIN).occurred_at == MONDAY + 5 * MIN
    assert record(officer, case).occurred_at == MONDAY


def test_an_event_is_stored_audited_and_sets_both_deadlines(officer, case):
    incident, suspect = case
    event = record(officer, case, kind="released_ui", occurred_at=MONDAY - HOUR, notes=" n ")
    stored = CustodyEvent.objects.get(pk=event.pk)
    assert (stored.incident_id, stored.suspect_id, stored.kind, stored.recorded_by) == (
        incident.pk,
        suspect.pk,
        "released_ui",
        officer,
    )
    assert (stored.occurred_at, stored.notes, stored.tell_victim_by) == (
        MONDAY - HOUR,
        "n",
        TUESDAY - HOUR,
    )
    audit = AuditEvent.objects.get(action="incidents.custody.recorded")
    assert (audit.actor, audit.subject_id) == (officer, str(event.pk))
    assert audit.changes["kind"] == [None, "released_ui"]
    assert audit.changes["tell_victim_by"] == [None, (TUESDAY - HOUR).isoformat()]
    due = {d.kind: d.due_at for d in Deadline.objects.filter(subject_id=str(event.pk))}
    assert due == {CUSTODY_TELL_VICTIM_DEADLINE: TUESDAY - HOUR, CUSTODY_REASSESS_DEADLINE: MONDAY}


def test_the_victim_told_between_the_event_and_a_few_minutes_ahead(officer, case, make_user):
    spoc = make_user(Role.MASH)
    event = record(officer, case, occurred_at=MONDAY - HOUR)
    for at in (MONDAY - HOUR - SEC, MONDAY + 5 * MIN + SEC):
        err = refusal(services.custody_victim_informed, actor=spoc, event=event, at=at)
        assert (err.field, err.message) == ("at", "The time must be between the event and now.")
    assert CustodyEvent.objects.get(pk=event.pk).victim_informed_at is None
    at_event = services.custody_victim_informed(actor=spoc, event=event, at=MONDAY - HOUR)
    assert at_event.victim_informed_at == MONDAY - HOUR
    ahead = record(officer, case)
    told = services.custody_victim_informed(actor=spoc, event=ahead, at=MONDAY + 5 * MIN)
    assert told.victim_informed_at == MONDAY + 5 * MIN


def test_the_victim_told_is_stored_audited_and_stops_only_that_deadline(officer, case, make_user):
    spoc = make_user(Role.MASH)
    event = record(officer, case)
    with time_machine.travel(MONDAY + HOUR, tick=False):
        services.custody_victim_informed(actor=spoc, event=event)
    stored = CustodyEvent.objects.get(pk=event.pk)
    assert (stored.victim_informed_at, stored.victim_informed_by) == (MONDAY + HOUR, spoc)
    assert stored.updated_at == MONDAY + HOUR
    audit = AuditEvent.objects.get(action="incidents.custody.victim_informed")
    assert (audit.actor, audit.subject_id) == (spoc, str(event.pk))
    assert audit.changes == {
        "victim_informed_at": [None, (MONDAY + HOUR).isoformat()],
        "victim_informed_by": [None, spoc.pk],
    }
    cancelled = {d.kind: d.cancelled_at for d in Deadline.objects.filter(subject_id=str(event.pk))}
    assert cancelled == {
        CUSTODY_TELL_VICTIM_DEADLINE: MONDAY + HOUR,
        CUSTODY_REASSESS_DEADLINE: None,
    }
    with pytest.raises(Conflict) as err:
        services.custody_victim_informed(actor=spoc, event=event)
    assert err.value.message == "The victim has already been recorded as told."


# --- The duty inspector rota -----------------------------------------------------------------


@pytest.fixture
def sergeant(make_user):
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def inspector(make_user):
    return make_user(Role.SUPERVISOR)


def test_a_shift_must_end_after_it_starts_and_be_an_active_users(sergeant, inspector):
    add = services.inspector_shift_add
    err = refusal(add, actor=sergeant, user=inspector, starts_at=MONDAY, ends_at=MONDAY)
    assert (err.field, err.message) == ("ends_at", "The shift must end after it starts.")
    inspector.is_active = False
    inspector.save()
    err = refusal(add, actor=sergeant, user=inspector, starts_at=MONDAY, ends_at=MONDAY + HOUR)
    assert (err.field, err.message) == ("user", "Choose an active user.")
    assert not DutyInspectorShift.objects.exists()


def test_a_shift_is_stored_and_audited(sergeant, inspector):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=MONDAY, ends_at=MONDAY + SEC
    )
    stored = DutyInspectorShift.objects.get(pk=shift.pk)
    assert (stored.user, stored.starts_at, stored.ends_at, stored.created_by) == (
        inspector,
        MONDAY,
        MONDAY + SEC,
        sergeant,
    )
    audit = AuditEvent.objects.get(action="incidents.inspector_shift.created")
    assert (audit.actor, audit.subject_id) == (sergeant, str(shift.pk))
    assert audit.changes["ends_at"] == [None, (MONDAY + SEC).isoformat()]


def test_ending_a_shift_now_or_at_a_time_keeps_its_history(sergeant, inspector):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=MONDAY - HOUR, ends_at=MONDAY + 8 * HOUR
    )
    ended = services.inspector_shift_end(actor=sergeant, shift=shift)
    assert ended is not None
    assert DutyInspectorShift.objects.get(pk=shift.pk).ends_at == MONDAY
    audit = AuditEvent.objects.get(action="incidents.inspector_shift.ended")
    assert (audit.actor, audit.subject_id) == (sergeant, str(shift.pk))
    assert audit.changes == {"ends_at": [(MONDAY + 8 * HOUR).isoformat(), MONDAY.isoformat()]}


def test_ending_a_shift_exactly_at_its_end_is_a_conflict_and_at_its_start_removes_it(
    sergeant, inspector
):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=MONDAY + HOUR, ends_at=MONDAY + 2 * HOUR
    )
    with pytest.raises(Conflict) as err:
        services.inspector_shift_end(actor=sergeant, shift=shift, at=MONDAY + 2 * HOUR)
    assert err.value.message == "This shift has already ended."
    assert services.inspector_shift_end(actor=sergeant, shift=shift, at=MONDAY + HOUR) is None
    assert not DutyInspectorShift.objects.exists()
    audit = AuditEvent.objects.get(action="incidents.inspector_shift.removed")
    assert (audit.actor, audit.subject_id) == (sergeant, str(shift.pk))
    assert audit.changes == {
        "user_id": [inspector.pk, None],
        "starts_at": [(MONDAY + HOUR).isoformat(), None],
        "ends_at": [(MONDAY + 2 * HOUR).isoformat(), None],
    }


def test_ending_a_shift_a_second_after_it_started_keeps_it(sergeant, inspector):
    shift = services.inspector_shift_add(
        actor=sergeant, user=inspector, starts_at=MONDAY + HOUR, ends_at=MONDAY + 2 * HOUR
    )
    kept = services.inspector_shift_end(actor=sergeant, shift=shift, at=MONDAY + HOUR + SEC)
    assert kept is not None
    assert DutyInspectorShift.objects.get(pk=shift.pk).ends_at == MONDAY + HOUR + SEC


def test_an_event_without_notes_has_none(officer, case):
    event = record(officer, case)
    assert CustodyEvent.objects.get(pk=event.pk).notes == ""


def test_a_suspect_of_another_incident_is_refused(officer, case, log_incident):
    incident, _suspect = case
    other = log_incident(suspect={"given_name": "Stan", "family_name": "Elsewhere"})
    stranger = IncidentPerson.objects.get(incident=other, role="suspect").person
    err = refusal(
        services.custody_event_record,
        actor=officer,
        incident=incident,
        suspect=stranger,
        kind="bail_granted",
    )
    assert err.field == "suspect"
    assert not CustodyEvent.objects.exists()

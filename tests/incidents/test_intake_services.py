"""Logging, regrading and adding to an incident through its services
(``incidents.services.incidents``): each refusal with its message and field, what is stored and
what is audited, on the real database. Frozen clock throughout."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services, signals
from incidents.choices import ATTENDANCE_BREACH, ATTENDANCE_WARNING, PersonRole, RiskLevel
from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput, Thrive
from incidents.models import (
    AttendanceCategory,
    Incident,
    IncidentCall,
    IncidentPerson,
    Person,
    RuralArea,
)
from tests.incidents.helpers import HOME, NO, victim_of
from tests.races import after_first

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
FARM = AddressInput(house="1", street="Farm Lane", town="Holt", postcode="NR25 6AA")

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def victim(**kw: Any) -> PersonInput:
    return PersonInput(role=PersonRole.VICTIM, **{"given_name": "Vic", "family_name": "Tim", **kw})


def data(**kw: Any) -> IncidentInput:
    base: dict[str, Any] = dict(
        location=HOME,
        relationship="partner",
        checklist=Checklist(**NO),
        category_code="A",
        people=(victim(),),
    )
    return IncidentInput(**{**base, **kw})


def refused(actor, **kw: Any) -> DomainError:
    with pytest.raises(DomainError) as err:
        services.incident_create(actor=actor, data=data(**kw))
    assert not Incident.objects.exists()
    return err.value


# --- Logging a call: refusals ----------------------------------------------------------------


def test_an_unknown_or_inactive_category_is_refused_with_its_message(call_taker):
    for code in ("Z", "C"):
        AttendanceCategory.objects.filter(code="C").update(active=False)
        err = refused(call_taker, category_code=code)
        assert (err.field, err.message) == ("category", "Choose an attendance category.")


def test_an_unknown_relationship_is_refused(call_taker):
    err = refused(call_taker, relationship="pen pal")
    assert (err.field, err.message) == ("relationship", "Choose the relationship.")


def test_at_most_the_configured_number_of_people_exactly_that_many_is_fine(call_taker, settings):
    settings.DAPOLICE_MAX_PEOPLE_PER_INCIDENT = 2
    other = PersonInput(role=PersonRole.OTHER, given_name="Ann", family_name="Other")
    child = PersonInput(role=PersonRole.CHILD, given_name="Kid", family_name="Tim")
    err = refused(call_taker, people=(victim(), other, child))
    assert (err.field, err.message) == ("people", "Record at most 2 people in one incident.")
    incident = services.incident_create(actor=call_taker, data=data(people=(victim(), other)))
    assert incident.people.count() == 2


def test_one_person_linked_twice_is_refused_before_anything_is_written(call_taker, log_incident):
    jane = victim_of(log_incident())
    with pytest.raises(DomainError) as err:
        services.incident_create(
            actor=call_taker,
            data=data(
                people=(
                    PersonInput(role=PersonRole.VICTIM, person_id=jane.pk),
                    PersonInput(role=PersonRole.SUSPECT, person_id=jane.pk),
                )
            ),
        )
    assert (err.value.field, err.value.message) == (
        "people",
        "One person has one role in an incident (victim, suspect, child or other).",
    )
    assert Incident.objects.count() == 1


def test_an_unknown_role_is_refused(call_taker):
    err = refused(call_taker, people=(victim(), PersonInput(role="witness", family_name="Wit")))
    assert (err.field, err.message) == ("people", "Unknown role for a person.")


@pytest.mark.parametrize("victims", [0, 2])
def test_exactly_one_victim_is_needed(call_taker, victims):
    suspect = PersonInput(role=PersonRole.SUSPECT, given_name="Sam", family_name="Spade")
    people = tuple(victim(given_name=f"V{n}") for n in range(victims))
    err = refused(call_taker, people=(*people, suspect))
    assert (err.field, err.message) == ("people", "Record exactly one victim.")


def test_one_caller_is_fine_two_are_refused(call_taker):
    suspect = PersonInput(
        role=PersonRole.SUSPECT, given_name="Sam", family_name="Spade", is_caller=True
    )
    err = refused(call_taker, people=(victim(is_caller=True), suspect))
    assert (err.field, err.message) == ("people", "Only one person can be the caller.")
    incident = services.incident_create(
        actor=call_taker, data=data(people=(victim(is_caller=True),))
    )
    assert list(incident.people.values_list("is_caller", flat=True)) == [True]


def test_a_location_is_needed(call_taker):
    err = refused(call_taker, location=AddressInput())
    assert (err.field, err.message) == ("location", "Enter where the incident is.")


def test_happened_before_needs_details_that_are_more_than_spaces(call_taker):
    checklist = Checklist(**{**NO, "happened_before": True}, happened_before_details="   ")
    err = refused(call_taker, checklist=checklist)
    assert err.field == "happened_before_details"
    assert err.message == "Say when and where it happened before (also elsewhere or unreported)."
    # Details without the answer yes are kept as typed, trimmed.
    unasked = Checklist(**NO, happened_before_details=" last May ")
    incident = services.incident_create(actor=call_taker, data=data(checklist=unasked))
    assert incident.happened_before_details == "last May"


def test_a_call_start_in_the_future_is_refused_and_an_old_one_is_kept(call_taker):
    err = refused(call_taker, received_at=NOW + MIN + SEC)
    assert (err.field, err.message) == ("received_at", "The call cannot start in the future.")
    old = NOW - timedelta(hours=5)
    incident = services.incident_create(actor=call_taker, data=data(received_at=old))
    assert (incident.received_at, incident.deadline_at) == (old, old + 15 * MIN)


def test_each_person_is_checked_before_anything_is_written(call_taker):
    err = refused(call_taker, people=(victim(phones=("not a number",)),))
    assert err.field == "phones"


def test_a_linked_person_that_is_gone_is_refused(call_taker):
    err = refused(call_taker, people=(PersonInput(role=PersonRole.VICTIM, person_id=987654),))
    assert (err.field, err.message) == ("people", "A linked person no longer exists.")


# --- Logging a call: what is stored ----------------------------------------------------------


def test_a_call_stores_the_answers_trimmed_with_the_grade_from_the_call(call_taker):
    checklist = Checklist(
        **{**NO, "happened_before": True, "victim_vulnerable": True},
        happened_before_details=" In March ",
        vulnerability_details=" Pregnant ",
    )
    with time_machine.travel(NOW + 2 * MIN, tick=False):
        incident = services.incident_create(
            actor=call_taker,
            data=data(
                checklist=checklist,
                thrive=Thrive(threat=" Threats to kill ", engagement="Wants help"),
                narrative="  Shouting heard  ",
                received_at=NOW,
            ),
        )
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.received_at, stored.taken_by, stored.relationship) == (
        NOW,
        call_taker,
        "partner",
    )
    assert (stored.happened_before, stored.happened_before_details) == (True, "In March")
    assert (stored.victim_vulnerable, stored.vulnerability_details) == (True, "Pregnant")
    assert (stored.thrive_threat, stored.thrive_engagement, stored.thrive_harm) == (
        " Threats to kill ",
        "Wants help",
        "",
    )
    assert stored.narrative == "Shouting heard"
    assert (stored.category.code, stored.target_minutes) == ("A", 15)
    assert stored.target_at == stored.deadline_at == NOW + 15 * MIN
    assert stored.location.postcode == HOME.postcode
    assert stored.reference == f"DA-2026-{stored.pk:06d}"
    assert stored.location_is_rural is False


def test_a_call_without_a_start_time_starts_now(call_taker):
    with time_machine.travel(NOW + 7 * MIN, tick=False):
        incident = services.incident_create(actor=call_taker, data=data())
    assert incident.received_at == NOW + 7 * MIN
    assert incident.people.get().received_at == NOW + 7 * MIN


def test_a_call_takers_rural_choice_wins_over_the_table_either_way(call_taker):
    RuralArea.objects.create(postcode_prefix="NR25")
    urban = services.incident_create(
        actor=call_taker, data=data(location=AddressInput(**{**FARM.__dict__, "is_rural": False}))
    )
    assert (urban.location_is_rural, urban.target_minutes) == (False, 15)
    by_table = services.incident_create(actor=call_taker, data=data(location=FARM))
    assert (by_table.location_is_rural, by_table.target_minutes) == (True, 20)
    rural = services.incident_create(
        actor=call_taker, data=data(location=AddressInput(**{**HOME.__dict__, "is_rural": True}))
    )
    assert (rural.location_is_rural, rural.target_minutes) == (True, 20)


def test_the_deadline_preview_is_what_the_call_gets_and_writes_nothing(call_taker):
    RuralArea.objects.create(postcode_prefix="NR25")
    preview = services.incident_deadline_preview(
        category_code="A", location=FARM, received_at=NOW - 2 * MIN
    )
    assert preview == (20, NOW + 18 * MIN, True)
    assert not Incident.objects.exists()
    AttendanceCategory.objects.filter(code="B").update(active=False)
    assert (
        services.incident_deadline_preview(category_code="B", location=FARM, received_at=NOW)
        is None
    )
    assert (
        services.incident_deadline_preview(category_code="", location=FARM, received_at=NOW) is None
    )


def test_people_living_at_the_location_get_it_as_their_address_and_their_role_and_call_time(
    call_taker,
):
    elsewhere = AddressInput(house="9", street="Far Road", town="Diss", postcode="IP22 4AA")
    incident = services.incident_create(
        actor=call_taker,
        data=data(
            received_at=NOW - 3 * MIN,
            people=(
                victim(lives_at_location=True, address=elsewhere, is_caller=True),
                PersonInput(
                    role=PersonRole.SUSPECT, given_name="Sam", family_name="Spade",
                    address=elsewhere,
                ),
                PersonInput(role=PersonRole.CHILD, given_name="Kid", family_name="Tim"),
            ),
        ),
    )  # fmt: skip
    rows = {
        r.role: r for r in IncidentPerson.objects.filter(incident=incident).select_related("person")
    }
    assert set(rows) == {PersonRole.VICTIM, PersonRole.SUSPECT, PersonRole.CHILD}
    assert rows[PersonRole.VICTIM].person.address_id == incident.location_id
    assert rows[PersonRole.VICTIM].is_caller is True
    assert rows[PersonRole.SUSPECT].person.address.postcode == "IP22 4AA"
    assert rows[PersonRole.SUSPECT].is_caller is False
    assert rows[PersonRole.CHILD].person.address_id is None
    assert {r.received_at for r in rows.values()} == {NOW - 3 * MIN}
    assert rows[PersonRole.VICTIM].person.given_name == "Vic"


def test_a_linked_person_living_at_the_location_is_moved_there(call_taker, log_incident):
    jane = victim_of(log_incident(victim={"given_name": "Jane", "family_name": "Doe"}))
    incident = services.incident_create(
        actor=call_taker,
        data=data(
            location=FARM,
            people=(
                PersonInput(role=PersonRole.VICTIM, person_id=jane.pk, lives_at_location=True),
            ),
        ),
    )
    assert Person.objects.get(pk=jane.pk).address_id == incident.location_id
    assert victim_of(incident).pk == jane.pk


def test_a_call_is_audited_with_its_people_and_sets_its_alerts_and_says_so_on_commit(
    call_taker, django_capture_on_commit_callbacks
):
    heard: list[int] = []

    def receiver(sender, incident_id, **kw):
        heard.append(incident_id)

    signals.incident_created.connect(receiver, dispatch_uid="test-heard")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident = services.incident_create(actor=call_taker, data=data())
    finally:
        signals.incident_created.disconnect(dispatch_uid="test-heard")
    assert heard == [incident.pk]
    created = AuditEvent.objects.get(action="incidents.incident.created")
    assert (created.actor, created.subject_id) == (call_taker, str(incident.pk))
    assert created.changes["reference"] == [None, incident.reference]
    assert created.changes["target_minutes"] == [None, 15]
    linked = AuditEvent.objects.get(action="incidents.incident.people_linked")
    assert (linked.actor, linked.subject_id) == (call_taker, str(incident.pk))
    assert linked.changes == {"people": [None, [[victim_of(incident).pk, "victim"]]]}
    due = {
        d.kind: d.due_at
        for d in Deadline.objects.filter(subject_id=str(incident.pk), cancelled_at=None)
    }
    assert due[ATTENDANCE_BREACH] == NOW + 15 * MIN
    assert due[ATTENDANCE_WARNING] == NOW + 10 * MIN


def test_someone_elses_idempotency_key_is_a_conflict_with_its_message(call_taker, make_user):
    key = uuid.uuid4()
    first = services.incident_create(actor=call_taker, data=data(idempotency_key=key))
    with pytest.raises(Conflict) as err:
        services.incident_create(actor=make_user(Role.CALL_TAKER), data=data(idempotency_key=key))
    assert err.value.message == "This form was already used by someone else. Open a new one."
    again = services.incident_create(actor=call_taker, data=data(idempotency_key=key))
    assert again.pk == first.pk
    # Without a key, two submissions are two calls.
    services.incident_create(actor=call_taker, data=data())
    services.incident_create(actor=call_taker, data=data())
    assert Incident.objects.count() == 3


# --- Regrading -------------------------------------------------------------------------------


def test_a_regrade_needs_a_reason_and_an_active_category(log_incident, call_taker):
    incident = log_incident(category="C")
    with pytest.raises(DomainError) as err:
        services.incident_regrade(
            actor=call_taker, incident=incident, category_code="A", reason=" "
        )
    assert (err.value.field, err.value.message) == ("reason", "Say what changed.")
    with pytest.raises(DomainError) as err:
        services.incident_regrade(
            actor=call_taker, incident=incident, category_code="Z", reason="r"
        )
    assert err.value.field == "category"


def test_a_regrade_is_stored_audited_with_its_reason_trimmed_and_moves_the_alerts(
    log_incident, call_taker
):
    incident = log_incident(category="C", received_at=NOW - 2 * MIN)
    with time_machine.travel(NOW + 3 * MIN, tick=False):
        services.incident_regrade(
            actor=call_taker, incident=incident, category_code="A", reason=" Suspect back "
        )
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.category.code, stored.target_minutes) == ("A", 15)
    assert stored.target_at == stored.deadline_at == NOW + 13 * MIN
    assert stored.updated_at == NOW + 3 * MIN
    event = AuditEvent.objects.get(action="incidents.incident.regraded")
    assert (event.actor, event.subject_id, event.reason) == (
        call_taker,
        str(incident.pk),
        "Suspect back",
    )
    assert event.changes["target_minutes"] == [240, 15]
    assert event.changes["deadline_at"] == [
        (NOW + 238 * MIN).isoformat(),
        (NOW + 13 * MIN).isoformat(),
    ]
    breach = Deadline.objects.get(subject_id=str(incident.pk), kind=ATTENDANCE_BREACH)
    assert breach.due_at == NOW + 13 * MIN


def test_a_regrade_uses_the_incidents_own_rurality(log_incident, call_taker):
    rural = log_incident(category="C", location=AddressInput(**{**HOME.__dict__, "is_rural": True}))
    regraded = services.incident_regrade(
        actor=call_taker, incident=rural, category_code="A", reason="Worse"
    )
    assert regraded.target_minutes == 20


def test_lowering_the_grade_before_or_exactly_at_the_target_needs_no_supervisor(
    log_incident, call_taker
):
    incident = log_incident(category="A")
    with time_machine.travel(NOW + 15 * MIN, tick=False):
        lowered = services.incident_regrade(
            actor=call_taker, incident=incident, category_code="C", reason="Calmer"
        )
    assert lowered.target_minutes == 240


def test_after_the_target_a_lower_grade_is_refused_saying_why_but_a_same_or_higher_is_not(
    log_incident, call_taker
):
    incident = log_incident(category="B")
    with time_machine.travel(NOW + 61 * MIN, tick=False):
        with pytest.raises(PermissionDenied) as err:
            services.incident_regrade(
                actor=call_taker, incident=incident, category_code="C", reason="Calmer"
            )
        assert str(err.value) == (
            "The target time has passed, so a lower grade would defer attendance: "
            "only a control-room supervisor may do that."
        )
        assert Incident.objects.get(pk=incident.pk).target_minutes == 60
        same = services.incident_regrade(
            actor=call_taker, incident=incident, category_code="B", reason="Same again"
        )
        assert same.target_minutes == 60
        higher = services.incident_regrade(
            actor=call_taker, incident=incident, category_code="A", reason="Worse"
        )
    assert higher.target_minutes == 15


def test_a_deferral_survives_a_regrade_only_while_it_is_later_than_the_new_target(
    log_incident, call_taker, control_supervisor
):
    incident = log_incident(category="A")
    services.incident_defer(
        actor=control_supervisor, incident=incident, until=NOW + 2 * 60 * MIN,
        reason="Victim at work", victim_wishes="After 4",
    )  # fmt: skip
    kept = services.incident_regrade(
        actor=call_taker, incident=incident, category_code="B", reason="Calmer"
    )
    assert (kept.target_at, kept.deadline_at) == (NOW + 60 * MIN, NOW + 120 * MIN)
    replaced = services.incident_regrade(
        actor=call_taker, incident=incident, category_code="C", reason="Calmer still"
    )
    assert (replaced.target_at, replaced.deadline_at) == (NOW + 240 * MIN, NOW + 240 * MIN)
    # Without a deferral the deadline simply follows the grade.
    plain = log_incident(category="C")
    plain = services.incident_regrade(
        actor=call_taker, incident=plain, category_code="A", reason="Worse"
    )
    assert plain.deadline_at == NOW + 15 * MIN


def test_a_deferral_exactly_at_the_new_target_gives_way_to_it(
    log_incident, call_taker, control_supervisor
):
    incident = log_incident(category="A")
    services.incident_defer(
        actor=control_supervisor, incident=incident, until=NOW + 60 * MIN,
        reason="Victim at work", victim_wishes="After 4",
    )  # fmt: skip
    regraded = services.incident_regrade(
        actor=call_taker, incident=incident, category_code="B", reason="Calmer"
    )
    assert regraded.deadline_at == NOW + 60 * MIN
    assert Incident.objects.get(pk=incident.pk).deadline_at == NOW + 60 * MIN


def test_an_attended_incident_is_not_regraded(log_incident, call_taker):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=call_taker, incident=incident)
    with pytest.raises(Conflict) as err:
        services.incident_regrade(
            actor=call_taker, incident=incident, category_code="B", reason="r"
        )
    assert err.value.message == "This incident has already been attended."


# --- Risk level ------------------------------------------------------------------------------


def test_the_risk_level_is_stored_audited_once_and_an_unknown_level_refused(
    log_incident, call_taker
):
    incident = log_incident()
    with pytest.raises(DomainError) as err:
        services.incident_set_risk_level(actor=call_taker, incident=incident, level="extreme")
    assert (err.value.field, err.value.message) == ("risk_level", "Unknown risk level.")
    with time_machine.travel(NOW + MIN, tick=False):
        services.incident_set_risk_level(actor=call_taker, incident=incident, level=RiskLevel.HIGH)
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.risk_level, stored.updated_at) == (RiskLevel.HIGH, NOW + MIN)
    event = AuditEvent.objects.get(action="incidents.incident.risk_level_set")
    assert (event.actor, event.subject_id) == (call_taker, str(incident.pk))
    assert event.changes["risk_level"][1] == RiskLevel.HIGH
    again = services.incident_set_risk_level(
        actor=call_taker, incident=incident, level=RiskLevel.HIGH
    )
    assert again.risk_level == RiskLevel.HIGH
    assert AuditEvent.objects.filter(action="incidents.incident.risk_level_set").count() == 1


# --- Adding a person -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [PersonRole.VICTIM, "witness"])
def test_a_second_victim_or_an_unknown_role_is_not_added(log_incident, call_taker, role):
    incident = log_incident()
    with pytest.raises(DomainError) as err:
        services.incident_add_person(
            actor=call_taker, incident=incident, data=PersonInput(role=role, family_name="Two")
        )
    assert (err.value.field, err.value.message) == (
        "role",
        "Add a suspect, a child or another person (the incident has its victim).",
    )
    assert incident.people.count() == 1


def test_a_person_added_is_linked_in_their_role_as_of_the_call_and_audited(
    log_incident, call_taker
):
    incident = log_incident(received_at=NOW - 9 * MIN)
    person = services.incident_add_person(
        actor=call_taker,
        incident=incident,
        data=PersonInput(
            role=PersonRole.SUSPECT, given_name="Sam", family_name="Spade", is_caller=True
        ),
    )
    row = IncidentPerson.objects.get(incident=incident, person=person)
    assert (row.role, row.is_caller, row.received_at) == (
        PersonRole.SUSPECT,
        False,
        NOW - 9 * MIN,
    )
    event = AuditEvent.objects.filter(action="incidents.incident.people_linked").latest("pk")
    assert (event.actor, event.subject_id) == (call_taker, str(incident.pk))
    assert event.changes == {"people": [None, [[person.pk, PersonRole.SUSPECT]]]}


def test_a_person_on_record_added_gets_the_new_details(log_incident, call_taker):
    sam = victim_of(log_incident(victim={"given_name": "Sam", "family_name": "Spade"}))
    incident = log_incident()
    added = services.incident_add_person(
        actor=call_taker,
        incident=incident,
        data=PersonInput(role=PersonRole.SUSPECT, person_id=sam.pk, phones=("07700 900123",)),
    )
    assert added.pk == sam.pk
    assert list(sam.phones.values_list("number", flat=True)) == ["+447700900123"]
    assert IncidentPerson.objects.get(incident=incident, person=sam).role == PersonRole.SUSPECT


def test_a_person_added_twice_or_gone_is_refused_with_the_field(log_incident, call_taker):
    incident = log_incident()
    jane = victim_of(incident)
    with pytest.raises(DomainError) as err:
        services.incident_add_person(
            actor=call_taker,
            incident=incident,
            data=PersonInput(role=PersonRole.SUSPECT, person_id=jane.pk),
        )
    assert (err.value.field, err.value.message) == (
        "person_id",
        "One person has one role in an incident (victim, suspect, child or other).",
    )
    with pytest.raises(DomainError) as err:
        services.incident_add_person(
            actor=call_taker,
            incident=incident,
            data=PersonInput(role=PersonRole.SUSPECT, person_id=987654),
        )
    assert (err.value.field, err.value.message) == (
        "person_id",
        "A linked person no longer exists.",
    )
    assert incident.people.count() == 1


def test_a_person_added_is_checked_first(log_incident, call_taker):
    incident = log_incident()
    with pytest.raises(DomainError) as err:
        services.incident_add_person(
            actor=call_taker,
            incident=incident,
            data=PersonInput(role=PersonRole.SUSPECT, family_name="S", phones=("nope",)),
        )
    assert err.value.field == "phones"
    assert incident.people.count() == 1


def test_people_are_added_up_to_the_configured_most_and_not_one_more(
    log_incident, call_taker, settings
):
    settings.DAPOLICE_MAX_PEOPLE_PER_INCIDENT = 2
    incident = log_incident()

    def add(name: str) -> Person:
        return services.incident_add_person(
            actor=call_taker,
            incident=incident,
            data=PersonInput(role=PersonRole.OTHER, given_name=name, family_name="Other"),
        )

    add("Ann")
    with pytest.raises(DomainError) as err:
        add("Bob")
    assert (err.value.field, err.value.message) == (
        "people",
        "Record at most 2 people in one incident.",
    )
    assert incident.people.count() == 2


def test_nobody_is_added_to_an_attended_incident(log_incident, call_taker):
    incident = log_incident()
    services.incident_record_arrival(actor=call_taker, incident=incident)
    with pytest.raises(Conflict):
        services.incident_add_person(
            actor=call_taker,
            incident=incident,
            data=PersonInput(role=PersonRole.SUSPECT, family_name="Late"),
        )


# --- A further call --------------------------------------------------------------------------


def test_a_further_call_is_stored_trimmed_at_now_and_audited(log_incident, call_taker):
    incident = log_incident()
    key = uuid.uuid4()
    with time_machine.travel(NOW + 4 * MIN, tick=False):
        call = services.incident_add_call(
            actor=call_taker, incident=incident, note="  He is back  ", idempotency_key=key
        )
    stored = IncidentCall.objects.get(pk=call.pk)
    assert (stored.incident_id, stored.taken_by, stored.note) == (
        incident.pk,
        call_taker,
        "He is back",
    )
    assert (stored.received_at, stored.idempotency_key) == (NOW + 4 * MIN, key)
    event = AuditEvent.objects.get(action="incidents.incident.call_added")
    assert (event.actor, event.subject_id) == (call_taker, str(incident.pk))
    assert event.changes == {"calls": [None, call.pk]}


def test_the_same_call_sent_twice_is_one_call_and_someone_elses_key_is_refused(
    log_incident, call_taker, make_user
):
    incident = log_incident()
    key = uuid.uuid4()
    first = services.incident_add_call(
        actor=call_taker, incident=incident, note="n", idempotency_key=key
    )
    again = services.incident_add_call(
        actor=call_taker, incident=incident, note="n", idempotency_key=key
    )
    assert again.pk == first.pk
    assert IncidentCall.objects.count() == 1
    with pytest.raises(DomainError) as err:
        services.incident_add_call(
            actor=make_user(Role.CALL_TAKER), incident=incident, note="n", idempotency_key=key
        )
    assert err.value.message == "This page was already used for another call."
    assert IncidentCall.objects.count() == 1


def test_no_call_is_added_to_an_attended_incident(log_incident, call_taker):
    incident = log_incident()
    services.incident_record_arrival(actor=call_taker, incident=incident)
    with pytest.raises(Conflict):
        services.incident_add_call(
            actor=call_taker, incident=incident, note="n", idempotency_key=uuid.uuid4()
        )
    assert not IncidentCall.objects.exists()


def test_a_resubmitted_form_returns_its_incident_even_if_the_answers_no_longer_pass(
    call_taker,
):
    key = uuid.uuid4()
    first = services.incident_create(actor=call_taker, data=data(idempotency_key=key))
    AttendanceCategory.objects.filter(code="A").update(active=False)
    again = services.incident_create(actor=call_taker, data=data(idempotency_key=key))
    assert again.pk == first.pk


def test_the_created_signal_names_the_incident_model_as_sender(
    call_taker, django_capture_on_commit_callbacks
):
    heard: list[int] = []

    def receiver(sender, incident_id, **kw):
        heard.append(incident_id)

    signals.incident_created.connect(receiver, sender=Incident, dispatch_uid="test-sender")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident = services.incident_create(actor=call_taker, data=data())
    finally:
        signals.incident_created.disconnect(sender=Incident, dispatch_uid="test-sender")
    assert heard == [incident.pk]


def test_the_reference_carries_the_year_of_the_call_not_of_today(call_taker):
    new_year_eve = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    incident = services.incident_create(actor=call_taker, data=data(received_at=new_year_eve))
    assert incident.reference == f"DA-2025-{incident.pk:06d}"
    assert Incident.objects.get(pk=incident.pk).reference == incident.reference


def test_a_control_room_supervisor_may_lower_the_grade_after_the_target(
    log_incident, control_supervisor
):
    incident = log_incident(category="A")
    with time_machine.travel(NOW + 30 * MIN, tick=False):
        lowered = services.incident_regrade(
            actor=control_supervisor, incident=incident, category_code="C", reason="Calmer"
        )
    assert (lowered.target_minutes, lowered.deadline_at) == (240, NOW + 240 * MIN)


# --- Two submissions of one form racing (found by make mutate, 30 November) -------------------


def _submitted_just_after_the_key_lookup(call_taker, key, actor=None):
    """While the block runs, its first SELECT by idempotency key returns, then ``actor`` (the
    call taker by default) logs the same form, as a second submission committing between this
    one's look-up and its insert would. Yields what receives that incident."""
    return after_first(
        "SELECT",
        "idempotency_key",
        action=lambda: services.incident_create(
            actor=actor or call_taker, data=data(idempotency_key=key, narrative="first")
        ),
    )


def test_a_submission_losing_the_race_for_its_key_returns_the_incident_that_won(call_taker):
    """Two submissions of one form: this one's look-up finds no incident with its key, the other
    lands before this one's insert, whose unique key then fails. The call taker gets the
    incident that won, not an error, and the call is logged once."""
    key = uuid.uuid4()
    with _submitted_just_after_the_key_lookup(call_taker, key) as landed:
        got = services.incident_create(
            actor=call_taker, data=data(idempotency_key=key, narrative="second")
        )
    assert got.pk == landed.value.pk
    assert got.narrative == "first"
    assert Incident.objects.filter(idempotency_key=key).count() == 1
    assert Incident.objects.count() == 1


def test_losing_the_race_for_a_key_someone_else_used_is_a_conflict(call_taker, make_user):
    key = uuid.uuid4()
    other = make_user(Role.CALL_TAKER)
    race = _submitted_just_after_the_key_lookup(call_taker, key, actor=other)
    with race as landed, pytest.raises(Conflict) as err:
        services.incident_create(actor=call_taker, data=data(idempotency_key=key))
    assert err.value.message == "This form was already used by someone else. Open a new one."
    assert list(Incident.objects.values_list("pk", "taken_by")) == [(landed.value.pk, other.pk)]


def test_a_new_address_takes_the_rurality_the_deadline_was_decided_with(call_taker):
    """Issue 13: the rural-area table is asked once per call. The new address row takes the
    rurality decided for the deadline instead of asking again; a call taker's choice is used
    for both and the table is not asked at all."""
    from django.test.utils import CaptureQueriesContext

    RuralArea.objects.create(postcode_prefix="NR25")
    with CaptureQueriesContext(connection) as captured:
        incident = services.incident_create(actor=call_taker, data=data(location=FARM))
    asked = [q["sql"] for q in captured.captured_queries if '"incidents_ruralarea"' in q["sql"]]
    assert len(asked) == 1
    assert (incident.location_is_rural, incident.location.is_rural) == (True, True)
    town = AddressInput(house="2", street="Farm Lane", town="Holt", postcode="NR25 6AB")
    with CaptureQueriesContext(connection) as captured:
        chosen = services.incident_create(
            actor=call_taker, data=data(location=replace(town, is_rural=False))
        )
    assert not [q for q in captured.captured_queries if '"incidents_ruralarea"' in q["sql"]]
    assert (chosen.location_is_rural, chosen.location.is_rural) == (False, False)

"""Call-intake rules, through the services (domain.md, "Call intake")."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services
from incidents.choices import IncidentStatus, PersonRole
from incidents.inputs import AddressInput, PersonInput
from incidents.models import AttendanceCategory, Incident, Person, RuralArea
from tests.incidents.helpers import HOME, victim_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
RURAL = AddressInput(house="3", street="Church Lane", town="Holt", postcode="NR25 6AB")


@pytest.mark.parametrize(
    ("category", "location", "rural", "minutes"),
    [
        ("A", HOME, None, 15),
        ("A", HOME, True, 20),
        ("B", HOME, None, 60),
        ("B", HOME, True, 60),
        ("C", HOME, None, 240),
    ],
)
def test_grading_sets_the_deadline_from_the_time_the_call_was_received(
    log_incident, category, location, rural, minutes
):
    received = NOW - timedelta(minutes=3)
    loc = AddressInput(**{**location.__dict__, "is_rural": rural})
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category=category, received_at=received, location=loc)
    assert incident.target_minutes == minutes
    assert incident.target_at == received + timedelta(minutes=minutes)
    assert incident.deadline_at == incident.target_at


def test_category_a_is_20_minutes_when_the_postcode_district_is_listed_rural(log_incident):
    RuralArea.objects.create(postcode_prefix="NR25")
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A", location=RURAL)
    assert incident.location_is_rural is True
    assert incident.deadline_at == NOW + timedelta(minutes=20)


def test_category_minutes_are_configuration_not_code(log_incident):
    AttendanceCategory.objects.filter(code="C").update(urban_minutes=24 * 60)
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="C")
    assert incident.deadline_at == NOW + timedelta(hours=24)


def test_inactive_or_unknown_category_is_refused(log_incident):
    AttendanceCategory.objects.filter(code="C").update(active=False)
    with pytest.raises(DomainError) as err:
        log_incident(category="C")
    assert err.value.field == "category"


def test_reference_is_human_readable_unique_and_from_the_call_year(log_incident):
    with time_machine.travel(NOW, tick=False):
        first = log_incident()
        second = log_incident()
    assert re.fullmatch(r"DA-2026-\d{6}", first.reference)
    assert first.reference != second.reference


def test_same_idempotency_key_creates_one_incident(log_incident):
    key = uuid.uuid4()
    first = log_incident(key=key)
    again = log_incident(key=key)
    assert first.pk == again.pk
    assert Incident.objects.count() == 1


def test_exactly_one_victim_is_required(log_incident, call_taker):
    with pytest.raises(DomainError, match="exactly one victim"):
        log_incident(
            others=(PersonInput(role=PersonRole.VICTIM, given_name="Two", family_name="Victims"),)
        )


def test_happened_before_needs_the_details(call_taker):
    from incidents.inputs import Checklist, IncidentInput
    from tests.incidents.helpers import NO

    data = IncidentInput(
        location=HOME,
        relationship="partner",
        checklist=Checklist(**{**NO, "happened_before": True}),
        category_code="A",
        people=(PersonInput(role="victim", family_name="Smith"),),
    )
    with pytest.raises(DomainError) as err:
        services.incident_create(actor=call_taker, data=data)
    assert err.value.field == "happened_before_details"


def test_invalid_phone_number_is_refused_with_the_field(log_incident):
    with pytest.raises(DomainError) as err:
        log_incident(victim={"family_name": "Smith", "phones": ("not a number",)})
    assert err.value.field == "phones"


def test_linking_adds_new_details_to_the_existing_person(log_incident):
    jane = victim_of(log_incident(victim={"given_name": "Jane", "family_name": "Doe"}))
    second = log_incident(
        victim={
            "person_id": jane.pk,
            "phones": ("07700 900123",),
            "date_of_birth": date(1990, 4, 1),
            "aliases": (("Janey", "Smith"),),
        }
    )
    jane.refresh_from_db()
    assert victim_of(second).pk == jane.pk
    assert Person.objects.count() == 1
    assert list(jane.phones.values_list("number", flat=True)) == ["+447700900123"]
    assert jane.date_of_birth == date(1990, 4, 1)
    # The new date of birth re-keys every name, so the person is found by it.
    assert set(jane.names.values_list("dob_key", flat=True)) == {date(1990, 4, 1)}
    assert jane.names.filter(is_primary=False, family_name="Smith").exists()


def test_deferral_needs_reason_and_victims_wishes_and_is_audited(log_incident, control_supervisor):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
        later = NOW + timedelta(hours=3)
        with pytest.raises(DomainError) as err:
            services.incident_defer(
                actor=control_supervisor, incident=incident, until=later, reason=" ",
                victim_wishes="at work until 5",
            )  # fmt: skip
        assert err.value.field == "reason"
        with pytest.raises(DomainError) as err:
            services.incident_defer(
                actor=control_supervisor, incident=incident, until=later, reason="No units",
                victim_wishes="",
            )  # fmt: skip
        assert err.value.field == "victim_wishes"
        deferred = services.incident_defer(
            actor=control_supervisor,
            incident=incident,
            until=later,
            reason="Victim at work, safe",
            victim_wishes="Attend after 17:00",
        )
    assert deferred.deadline_at == later
    assert deferred.target_at == NOW + timedelta(minutes=15)  # the grade's target is kept
    event = AuditEvent.objects.get(action="incidents.incident.deferred")
    assert event.actor == control_supervisor
    assert event.reason == "Victim at work, safe"
    assert event.changes["deadline_at"][1] == later.isoformat()


def test_deferral_must_move_the_deadline_later(log_incident, control_supervisor):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="C")
        with pytest.raises(DomainError) as err:
            services.incident_defer(
                actor=control_supervisor,
                incident=incident,
                until=incident.deadline_at - timedelta(minutes=1),
                reason="r",
                victim_wishes="w",
            )
    assert err.value.field == "until"


@pytest.mark.parametrize(("arrive_after", "within"), [(15, True), (16, False)])
def test_attended_within_target_is_computed_from_the_grade(
    log_incident, call_taker, arrive_after, within
):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
    with time_machine.travel(NOW + timedelta(minutes=arrive_after), tick=False):
        attended = services.incident_record_arrival(actor=call_taker, incident=incident)
    assert attended.status == IncidentStatus.ATTENDED
    assert attended.attended_within_target is within


def test_a_deferral_does_not_make_a_late_arrival_on_target(log_incident, control_supervisor):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
        incident = services.incident_defer(
            actor=control_supervisor, incident=incident, until=NOW + timedelta(hours=2),
            reason="Victim asked", victim_wishes="After school run",
        )  # fmt: skip
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        attended = services.incident_record_arrival(actor=control_supervisor, incident=incident)
    assert attended.attended_within_target is False
    assert attended.deferred_at is not None


def test_arrival_cannot_be_before_the_call_or_recorded_twice(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident()
        with pytest.raises(DomainError):
            services.incident_record_arrival(
                actor=call_taker, incident=incident, at=NOW - timedelta(minutes=5)
            )
        services.incident_record_arrival(actor=call_taker, incident=incident)
        with pytest.raises(Conflict):
            services.incident_record_arrival(actor=call_taker, incident=incident)


def test_regrade_recomputes_the_target_from_the_call(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="C")
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        regraded = services.incident_regrade(
            actor=call_taker, incident=incident, category_code="A", reason="Suspect returned"
        )
    assert regraded.deadline_at == NOW + timedelta(minutes=15)


def test_creation_is_audited_with_the_people_linked(log_incident, call_taker):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Spade"})
    created = AuditEvent.objects.get(action="incidents.incident.created")
    assert created.actor == call_taker
    assert created.subject_id == str(incident.pk)
    assert created.changes["category"] == [None, incident.category_id]
    linked = AuditEvent.objects.get(action="incidents.incident.people_linked")
    assert {role for _, role in linked.changes["people"][1]} == {"victim", "suspect"}
    assert AuditEvent.objects.filter(action="incidents.person.created").count() == 2


def test_a_person_linked_twice_in_one_role_is_refused(log_incident):
    jane = victim_of(log_incident())
    with pytest.raises(DomainError):
        log_incident(victim=jane, others=(PersonInput(role="victim", person_id=jane.pk),))
    assert Person.objects.count() == 1

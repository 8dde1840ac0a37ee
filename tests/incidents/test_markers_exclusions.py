"""Markers and must-not-see lists through their services (``incidents.services.markers``,
``incidents.services.exclusions``): each refusal with its message and field, what is stored and
audited, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from dapolice.accounts.choices import Role
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError
from incidents import services
from incidents.choices import MarkerKind
from incidents.models import Address, Marker, StaffExclusion
from tests.incidents.helpers import victim_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.time_machine(NOW, tick=False)


# --- Markers ---------------------------------------------------------------------------------


def test_a_marker_needs_a_known_kind_and_exactly_one_of_person_or_address(log_incident, make_user):
    mash = make_user(Role.MASH)
    incident = log_incident()
    jane, home = victim_of(incident), incident.location
    with pytest.raises(DomainError) as err:
        services.marker_add(actor=mash, kind="grudge", person=jane)
    assert (err.value.field, err.value.message) == ("kind", "Choose a kind of marker.")
    for where in ({}, {"person": jane, "address": home}):
        with pytest.raises(DomainError) as err:
            services.marker_add(actor=mash, kind=MarkerKind.WEAPONS, **where)
        assert (err.value.field, err.value.message) == (
            "person",
            "A marker is on a person or on an address.",
        )
    assert not Marker.objects.exists()


@pytest.mark.parametrize("on", ["person", "address"])
def test_a_marker_is_stored_with_its_note_trimmed_and_audited(log_incident, make_user, on):
    mash = make_user(Role.MASH)
    incident = log_incident()
    where = {"person": victim_of(incident)} if on == "person" else {"address": incident.location}
    marker = services.marker_add(
        actor=mash, kind=MarkerKind.FIREARM_CERTIFICATE, note="  Shotgun licence  ", **where
    )
    stored = Marker.objects.get(pk=marker.pk)
    assert (stored.kind, stored.note, stored.created_by, stored.active) == (
        MarkerKind.FIREARM_CERTIFICATE,
        "Shotgun licence",
        mash,
        True,
    )
    assert (stored.person_id, stored.address_id) == (
        (where["person"].pk, None) if on == "person" else (None, incident.location_id)
    )
    event = AuditEvent.objects.get(action="incidents.marker.created")
    assert (event.actor, event.subject_id) == (mash, str(marker.pk))
    assert event.changes["kind"] == [None, MarkerKind.FIREARM_CERTIFICATE]


def test_a_restricted_address_marker_restricts_the_address_with_the_note_as_reason(
    log_incident, make_user
):
    mash = make_user(Role.MASH)
    incident = log_incident()
    marker = services.marker_add(
        actor=mash,
        kind=MarkerKind.RESTRICTED_ADDRESS,
        address=incident.location,
        note="Refuge placement",
    )
    assert Address.objects.get(pk=incident.location_id).is_restricted is True
    assert (marker.kind, marker.address_id, marker.active) == (
        MarkerKind.RESTRICTED_ADDRESS,
        incident.location_id,
        True,
    )
    assert Marker.objects.filter(kind=MarkerKind.RESTRICTED_ADDRESS).count() == 1
    event = AuditEvent.objects.get(action="incidents.address.restricted")
    assert event.reason == "Refuge placement"
    assert not AuditEvent.objects.filter(action="incidents.marker.created").exists()


def test_a_restricted_address_marker_is_for_mash_or_a_supervisor_and_on_an_address_only(
    log_incident, make_user, call_taker
):
    incident = log_incident()
    with pytest.raises(PermissionDenied) as err:
        services.marker_add(
            actor=call_taker,
            kind=MarkerKind.RESTRICTED_ADDRESS,
            address=incident.location,
            note="Refuge",
        )
    assert str(err.value) == "Only MASH staff or a supervisor may restrict an address."
    with pytest.raises(DomainError) as derr:
        services.marker_add(
            actor=make_user(Role.MASH),
            kind=MarkerKind.RESTRICTED_ADDRESS,
            person=victim_of(incident),
            note="Refuge",
        )
    assert (derr.value.field, derr.value.message) == ("kind", "Only an address can be restricted.")
    assert Address.objects.get(pk=incident.location_id).is_restricted is False
    assert not Marker.objects.exists()


# --- Must-not-see lists ----------------------------------------------------------------------


def test_an_entry_needs_a_reason_one_record_and_someone_else_to_add_it(log_incident, make_user):
    mash, officer = make_user(Role.MASH), make_user(Role.CALL_TAKER)
    incident = log_incident()
    jane = victim_of(incident)
    cases = [
        (dict(user=officer, reason="  ", person=jane), "reason",
         "Say why this person must not see the record."),
        (dict(user=officer, reason="Related"), "person", "Name a person or an incident."),
        (dict(user=officer, reason="Related", person=jane, incident=incident), "person",
         "Name a person or an incident."),
        (dict(user=mash, reason="Related", person=jane), "user",
         "Someone else adds you to a must-not-see list."),
    ]  # fmt: skip
    for kwargs, field, message in cases:
        with pytest.raises(DomainError) as err:
            services.exclusion_add(actor=mash, **kwargs)
        assert (err.value.field, err.value.message) == (field, message)
    assert not StaffExclusion.objects.exists()


@pytest.mark.parametrize("on", ["person", "incident"])
def test_an_entry_is_stored_once_with_its_reason_trimmed_and_audited_on_the_record(
    log_incident, make_user, on
):
    mash, officer = make_user(Role.MASH), make_user(Role.CALL_TAKER)
    incident = log_incident()
    subject = victim_of(incident) if on == "person" else incident
    entry = services.exclusion_add(
        actor=mash, user=officer, reason=" Her brother ", **{on: subject}
    )
    stored = StaffExclusion.objects.get(pk=entry.pk)
    assert (stored.user, stored.reason, stored.added_by, stored.added_at) == (
        officer,
        "Her brother",
        mash,
        NOW,
    )
    assert (stored.person_id, stored.incident_id) == (
        (subject.pk, None) if on == "person" else (None, incident.pk)
    )
    action = f"incidents.{on}.must_not_see_added"
    event = AuditEvent.objects.get(action=action)
    assert (event.actor, event.subject_id, event.reason) == (mash, str(subject.pk), "Her brother")
    assert event.changes == {"must_not_see": [None, officer.pk]}
    again = services.exclusion_add(actor=mash, user=officer, reason="Again", **{on: subject})
    assert again.pk == entry.pk
    assert StaffExclusion.objects.count() == 1
    assert AuditEvent.objects.filter(action=action).count() == 1
    # Another user, or the same user for the other kind of record, is a new entry.
    other = services.exclusion_add(
        actor=mash, user=make_user(Role.CALL_TAKER), reason="Friend", **{on: subject}
    )
    assert other.pk != entry.pk


def test_an_entry_removed_can_be_added_again(log_incident, make_user):
    mash, officer = make_user(Role.MASH), make_user(Role.CALL_TAKER)
    incident = log_incident()
    entry = services.exclusion_add(actor=mash, user=officer, reason="Related", incident=incident)
    services.exclusion_remove(actor=mash, entry=entry, reason="Moved away")
    again = services.exclusion_add(actor=mash, user=officer, reason="Back", incident=incident)
    assert again.pk != entry.pk
    assert again.removed_at is None


@pytest.mark.parametrize("on", ["person", "incident"])
def test_removing_needs_a_reason_keeps_the_entry_and_is_audited_once(log_incident, make_user, on):
    mash, officer = make_user(Role.MASH), make_user(Role.CALL_TAKER)
    incident = log_incident()
    subject = victim_of(incident) if on == "person" else incident
    entry = services.exclusion_add(actor=mash, user=officer, reason="Related", **{on: subject})
    with pytest.raises(DomainError) as err:
        services.exclusion_remove(actor=mash, entry=entry, reason=" ")
    assert (err.value.field, err.value.message) == ("reason", "Say why the entry is removed.")
    with pytest.raises(DomainError) as err:
        services.exclusion_remove(actor=officer, entry=entry, reason="I am fine")
    assert err.value.message == "Someone else removes you from a must-not-see list."
    assert StaffExclusion.objects.get(pk=entry.pk).removed_at is None
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        removed = services.exclusion_remove(actor=mash, entry=entry, reason=" Moved away ")
    stored = StaffExclusion.objects.get(pk=entry.pk)
    assert (stored.removed_at, stored.removed_by) == (NOW + timedelta(minutes=5), mash)
    assert removed.removed_at == stored.removed_at
    action = f"incidents.{on}.must_not_see_removed"
    event = AuditEvent.objects.get(action=action)
    assert (event.actor, event.subject_id, event.reason) == (mash, str(subject.pk), "Moved away")
    assert event.changes == {"must_not_see": [officer.pk, None]}
    # Removing it again changes nothing and says nothing.
    services.exclusion_remove(actor=make_user(Role.MASH), entry=entry, reason="Again")
    assert StaffExclusion.objects.get(pk=entry.pk).removed_by == mash
    assert AuditEvent.objects.filter(action=action).count() == 1


def test_a_marker_without_a_note_has_none_and_a_restriction_without_one_is_refused(
    log_incident, make_user
):
    mash = make_user(Role.MASH)
    incident = log_incident()
    marker = services.marker_add(actor=mash, kind=MarkerKind.VIOLENCE, person=victim_of(incident))
    assert Marker.objects.get(pk=marker.pk).note == ""
    with pytest.raises(DomainError) as err:
        services.marker_add(
            actor=mash, kind=MarkerKind.RESTRICTED_ADDRESS, address=incident.location
        )
    assert err.value.field == "reason"
    assert Address.objects.get(pk=incident.location_id).is_restricted is False


def test_restricting_an_address_again_gives_its_own_restriction_marker(log_incident, make_user):
    from incidents.inputs import AddressInput

    mash = make_user(Role.MASH)
    first = log_incident().location
    second = log_incident(
        location=AddressInput(house="7", street="Quiet Row", town="Diss", postcode="IP22 4AA")
    ).location
    own = services.marker_add(
        actor=mash, kind=MarkerKind.RESTRICTED_ADDRESS, address=first, note="Refuge"
    )
    services.marker_add(actor=mash, kind=MarkerKind.RESTRICTED_ADDRESS, address=second, note="Safe")
    services.marker_add(actor=mash, kind=MarkerKind.WEAPONS, address=first, note="Knives")
    again = services.marker_add(
        actor=mash, kind=MarkerKind.RESTRICTED_ADDRESS, address=first, note="Again"
    )
    assert again.pk == own.pk


def test_an_entry_for_one_record_is_not_an_entry_for_another(log_incident, make_user):
    mash, officer = make_user(Role.MASH), make_user(Role.CALL_TAKER)
    one, two = log_incident(), log_incident(victim={"given_name": "Two", "family_name": "Other"})
    on_person = services.exclusion_add(
        actor=mash, user=officer, reason="Related", person=victim_of(one)
    )
    other_person = services.exclusion_add(
        actor=mash, user=officer, reason="Related", person=victim_of(two)
    )
    on_incident = services.exclusion_add(actor=mash, user=officer, reason="Related", incident=one)
    other_incident = services.exclusion_add(
        actor=mash, user=officer, reason="Related", incident=two
    )
    assert len({on_person.pk, other_person.pk, on_incident.pk, other_incident.pk}) == 4
    assert StaffExclusion.objects.count() == 4

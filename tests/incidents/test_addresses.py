"""Addresses through their services (``incidents.services.addresses``): one row per dwelling,
the rural table, restriction, typing a refuge, the break-glass reveal and its sign-off, on the
real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.urls import reverse

from dapolice.accounts.choices import Role
from dapolice.alerts.models import Alert
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services
from incidents.choices import MarkerKind
from incidents.inputs import AddressInput
from incidents.models import Address, AddressReveal, Incident, Marker, RuralArea
from tests.incidents.helpers import victim_of
from tests.races import after_first, before_first

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
FARM = AddressInput(house="1", street="Farm Lane", town="Holt", postcode="NR25 6AA")
REASON = "Welfare visit arranged with the refuge manager"

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def typed(**kw) -> AddressInput:
    return AddressInput(**{**FARM.__dict__, **kw})


# --- One row per dwelling --------------------------------------------------------------------


def test_an_address_is_stored_trimmed_with_its_postcode_shown_the_uk_way(call_taker):
    address = services.address_get_or_create(
        actor=call_taker,
        data=AddressInput(
            house=" 1A ", street=" Farm Lane ", locality=" Letheringsett ", town=" Holt ",
            postcode="nr256aa",
        ),
    )  # fmt: skip
    stored = Address.objects.get(pk=address.pk)
    assert (stored.house, stored.street, stored.locality, stored.town, stored.postcode) == (
        "1A",
        "Farm Lane",
        "Letheringsett",
        "Holt",
        "NR25 6AA",
    )
    assert (stored.postcode_key, stored.house_key) == ("NR256AA", "1A")
    assert (stored.is_rural, stored.is_restricted) == (False, False)
    event = AuditEvent.objects.get(action="incidents.address.created")
    assert (event.actor, event.subject_id) == (call_taker, str(address.pk))
    assert set(event.changes) <= {"is_rural", "is_restricted"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "NOT A CODE", "Enter a real UK postcode, like NR1 2AB."),
        ("house", "1234567", "Enter a house number of at most 6 digits, or the name of the house."),
        ("street", "s" * 201, "This can be at most 200 characters."),
        ("locality", "l" * 101, "This can be at most 100 characters."),
        ("town", "t" * 101, "This can be at most 100 characters."),
    ],
)
def test_a_bad_part_is_refused_beside_its_field(call_taker, field, value, message):
    with pytest.raises(DomainError) as err:
        services.address_get_or_create(actor=call_taker, data=typed(**{field: value}))
    assert (err.value.field, err.value.message) == (field, message)
    assert not Address.objects.exists()


def test_the_longest_parts_allowed_are_kept(call_taker):
    address = services.address_get_or_create(
        actor=call_taker,
        data=typed(street=" " + "s" * 200 + " ", locality="l" * 100, town="t" * 100),
    )
    assert len(Address.objects.get(pk=address.pk).street) == 200


def test_the_same_house_and_postcode_typed_again_is_the_same_row_without_both_a_new_one(
    call_taker,
):
    first = services.address_get_or_create(actor=call_taker, data=FARM)
    again = services.address_get_or_create(
        actor=call_taker, data=typed(street="Farm Ln", postcode="nr25 6aa", is_rural=True)
    )
    assert again.pk == first.pk
    assert Address.objects.get(pk=first.pk).is_rural is False  # never rewritten by a call
    other_house = services.address_get_or_create(actor=call_taker, data=typed(house="2"))
    assert other_house.pk != first.pk
    no_house = [
        services.address_get_or_create(actor=call_taker, data=typed(house="")) for _ in range(2)
    ]
    no_postcode = [
        services.address_get_or_create(actor=call_taker, data=typed(postcode="")) for _ in range(2)
    ]
    assert len({a.pk for a in (*no_house, *no_postcode)}) == 4
    assert AuditEvent.objects.filter(action="incidents.address.created").count() == 6


def test_a_new_row_takes_the_rural_choice_else_the_table(call_taker):
    RuralArea.objects.create(postcode_prefix="NR25")
    by_table = services.address_get_or_create(actor=call_taker, data=FARM)
    assert by_table.is_rural is True
    chosen = services.address_get_or_create(actor=call_taker, data=typed(house="2", is_rural=False))
    assert chosen.is_rural is False
    urban = services.address_get_or_create(
        actor=call_taker, data=typed(house="3", postcode="NR1 2AB", is_rural=True)
    )
    assert urban.is_rural is True


def test_rural_is_the_listed_district_or_sector_of_the_postcode_never_its_squashed_digits(db):
    assert services.rural_for_postcode("NR1 3DE") is False
    RuralArea.objects.create(postcode_prefix="NR13")
    assert services.rural_for_postcode("NR1 3DE") is False
    assert services.rural_for_postcode("NR13 5AB") is True
    RuralArea.objects.create(postcode_prefix="NR1 3")
    assert services.rural_for_postcode("nr13de") is True
    assert services.rural_for_postcode("NR1 4DE") is False
    assert services.rural_for_postcode("not a postcode") is False
    assert services.rural_for_postcode("") is False


# --- Restriction -----------------------------------------------------------------------------


def test_restricting_needs_a_reason_marks_once_and_is_audited(call_taker, make_user):
    mash = make_user(Role.MASH)
    address = services.address_get_or_create(actor=call_taker, data=FARM)
    with pytest.raises(DomainError) as err:
        services.address_mark_restricted(actor=mash, address=address, reason="  ")
    assert (err.value.field, err.value.message) == ("reason", "Say why this address is restricted.")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        services.address_mark_restricted(actor=mash, address=address, reason="Refuge placement")
    stored = Address.objects.get(pk=address.pk)
    assert (stored.is_restricted, stored.updated_at) == (True, NOW + timedelta(minutes=1))
    marker = Marker.objects.get(address=address)
    assert (marker.kind, marker.note, marker.created_by, marker.active) == (
        MarkerKind.RESTRICTED_ADDRESS,
        "",
        mash,
        True,
    )
    event = AuditEvent.objects.get(action="incidents.address.restricted")
    assert (event.actor, event.subject_id, event.reason) == (
        mash,
        str(address.pk),
        "Refuge placement",
    )
    assert event.changes == {"is_restricted": [False, True]}
    services.address_mark_restricted(actor=mash, address=address, reason="Again")
    assert Marker.objects.filter(address=address).count() == 1
    assert AuditEvent.objects.filter(action="incidents.address.restricted").count() == 1


def test_lifting_needs_a_reason_deactivates_only_its_marker_and_is_audited_once(
    call_taker, make_user
):
    mash = make_user(Role.MASH)
    address = services.address_get_or_create(actor=call_taker, data=FARM)
    other = services.address_get_or_create(actor=call_taker, data=typed(house="2"))
    services.address_mark_restricted(actor=mash, address=address, reason="Refuge")
    services.address_mark_restricted(actor=mash, address=other, reason="Refuge")
    services.marker_add(actor=mash, kind=MarkerKind.WEAPONS, address=address, note="Knives")
    with pytest.raises(DomainError) as err:
        services.address_unrestrict(actor=mash, address=address, reason=" ")
    assert (err.value.field, err.value.message) == (
        "reason",
        "Say why this address is no longer restricted.",
    )
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        services.address_unrestrict(actor=mash, address=address, reason=" Refuge closed ")
    stored = Address.objects.get(pk=address.pk)
    assert (stored.is_restricted, stored.updated_at) == (False, NOW + timedelta(minutes=2))
    active = set(Marker.objects.filter(active=True).values_list("address_id", "kind"))
    assert active == {(address.pk, MarkerKind.WEAPONS), (other.pk, MarkerKind.RESTRICTED_ADDRESS)}
    event = AuditEvent.objects.get(action="incidents.address.unrestricted")
    assert (event.actor, event.subject_id, event.reason) == (mash, str(address.pk), "Refuge closed")
    assert event.changes == {"is_restricted": [True, False]}
    services.address_unrestrict(actor=mash, address=address, reason="Again")
    assert AuditEvent.objects.filter(action="incidents.address.unrestricted").count() == 1


# --- Typing a refuge -------------------------------------------------------------------------


def test_typing_a_refuge_is_audited_and_alerts_the_control_room_and_its_owner_once(
    call_taker, make_user
):
    mash = make_user(Role.MASH)
    refuge = services.address_get_or_create(actor=mash, data=FARM)
    services.address_mark_restricted(actor=mash, address=refuge, reason="Refuge")
    again = services.address_get_or_create(actor=call_taker, data=FARM)
    assert again.pk == refuge.pk
    event = AuditEvent.objects.get(action="incidents.address.restricted_typed")
    assert (event.actor, event.subject_id, event.kind) == (call_taker, str(refuge.pk), "access")
    assert event.changes == {"sensitive": [None, True]}
    title = f"A restricted address was typed into a call by {call_taker}"
    alerts = Alert.objects.filter(kind="incidents.address.restricted_typed")
    assert sorted((a.recipient_role, a.recipient_id) for a in alerts) == sorted(
        [(Role.CONTROL_SUPERVISOR, None), ("", mash.pk)]
    )
    assert {(a.title, a.severity, a.about_id, a.subject_id) for a in alerts} == {
        (title, "urgent", call_taker.pk, str(refuge.pk))
    }
    # The same typist again while the alert is open: audited, no new alert.
    services.address_get_or_create(actor=call_taker, data=FARM)
    assert AuditEvent.objects.filter(action="incidents.address.restricted_typed").count() == 2
    assert Alert.objects.filter(kind="incidents.address.restricted_typed").count() == 2


def test_the_owner_typing_their_own_refuge_alerts_only_the_control_room(make_user):
    mash = make_user(Role.MASH)
    refuge = services.address_get_or_create(actor=mash, data=FARM)
    services.address_mark_restricted(actor=mash, address=refuge, reason="Refuge")
    services.address_get_or_create(actor=mash, data=FARM)
    alerts = Alert.objects.filter(kind="incidents.address.restricted_typed")
    assert [(a.recipient_role, a.recipient_id) for a in alerts] == [(Role.CONTROL_SUPERVISOR, None)]


def test_an_unrestricted_address_typed_again_says_nothing(call_taker):
    services.address_get_or_create(actor=call_taker, data=FARM)
    services.address_get_or_create(actor=call_taker, data=FARM)
    assert not AuditEvent.objects.filter(action="incidents.address.restricted_typed").exists()
    assert not Alert.objects.exists()


# --- Break-glass reveal and its sign-off -----------------------------------------------------


def refuge_case(log_incident, mash, **kw):
    incident = log_incident(location=FARM, **kw)
    services.address_mark_restricted(actor=mash, address=incident.location, reason="Refuge")
    return Incident.objects.select_related("location").get(pk=incident.pk)


def test_a_reveal_is_for_a_restricted_address_in_the_case_only(log_incident, make_user):
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR)
    plain = log_incident()
    refuge = refuge_case(log_incident, mash)
    for incident, address in ((plain, plain.location), (plain, refuge.location)):
        with pytest.raises(DomainError) as err:
            services.address_reveal(
                actor=sergeant, incident=incident, address=address, reason=REASON
            )
        assert (err.value.field, err.value.message) == (
            "address",
            "There is no restricted address to reveal here.",
        )
    assert not AddressReveal.objects.exists()
    assert not AuditEvent.objects.filter(action="access.break_glass").exists()


def test_a_person_in_the_case_living_at_a_refuge_can_have_it_revealed(log_incident, make_user):
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR)
    refuge = refuge_case(
        log_incident,
        mash,
        victim={"given_name": "Rae", "family_name": "Safe", "lives_at_location": True},
    )
    elsewhere = log_incident(victim=victim_of(refuge))
    assert elsewhere.location_id != refuge.location_id
    services.address_reveal(
        actor=sergeant, incident=elsewhere, address=refuge.location, reason=REASON
    )
    assert AddressReveal.objects.get().incident == elsewhere


def test_a_reveal_is_granted_audited_queued_and_told_to_the_control_room(
    log_incident, make_user, call_taker
):
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR)
    refuge = refuge_case(log_incident, mash)
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        shown = services.address_reveal(
            actor=sergeant, incident=refuge, address=refuge.location, reason=f"  {REASON}  "
        )
    assert shown.pk == refuge.location_id
    grant = AuditEvent.objects.get(action="access.break_glass")
    assert (grant.actor, grant.reason) == (sergeant, REASON)
    assert grant.changes["scope"][1].endswith(f"incident:{refuge.pk}")
    assert grant.changes["case"] == [None, refuge.reference]
    reveal = AddressReveal.objects.get()
    assert (reveal.address_id, reveal.incident_id, reveal.revealed_by) == (
        refuge.location_id,
        refuge.pk,
        sergeant,
    )
    assert (reveal.revealed_at, reveal.reason, reveal.own_incident) == (
        grant.at,
        REASON,
        False,
    )
    alert = Alert.objects.get(kind="incidents.address.revealed")
    assert alert.title == f"Restricted address on {refuge.reference} revealed by {sergeant}"
    assert (alert.link, alert.recipient_role, alert.severity, alert.about_id) == (
        reverse("incidents:reveal-queue"),
        Role.CONTROL_SUPERVISOR,
        "warning",
        sergeant.pk,
    )
    assert alert.subject_id == str(reveal.pk)


def test_a_reveal_on_an_incident_the_revealer_logged_is_marked(log_incident, make_user):
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR, Role.CALL_TAKER)
    refuge = refuge_case(log_incident, mash, actor=sergeant)
    services.address_reveal(actor=sergeant, incident=refuge, address=refuge.location, reason=REASON)
    assert AddressReveal.objects.get().own_incident is True


def reveal(log_incident, make_user) -> AddressReveal:
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR)
    refuge = refuge_case(log_incident, mash)
    services.address_reveal(actor=sergeant, incident=refuge, address=refuge.location, reason=REASON)
    return AddressReveal.objects.get()


def test_a_sign_off_needs_an_outcome_and_a_note_when_not_justified(log_incident, make_user):
    done = reveal(log_incident, make_user)
    reviewer = make_user(Role.CONTROL_SUPERVISOR)
    for outcome, note, field, message in (
        ("maybe", "n", "outcome", "Choose whether the reveal was justified."),
        (
            AddressReveal.Outcome.NOT_JUSTIFIED,
            "  ",
            "note",
            "Say why the reveal was not justified.",
        ),
    ):
        with pytest.raises(DomainError) as err:
            services.reveal_review(actor=reviewer, reveal=done, outcome=outcome, note=note)
        assert (err.value.field, err.value.message) == (field, message)
    with pytest.raises(DomainError) as err:
        services.reveal_review(
            actor=done.revealed_by, reveal=done, outcome=AddressReveal.Outcome.JUSTIFIED, note=""
        )
    assert (err.value.field, err.value.message) == (
        "outcome",
        "Someone else signs off your own reveal.",
    )
    assert AddressReveal.objects.get().reviewed_at is None


@pytest.mark.parametrize(
    ("outcome", "note"),
    [("justified", ""), ("justified", " Fine "), ("not_justified", " No welfare visit ")],
)
def test_a_sign_off_is_stored_once_and_audited_with_its_note(
    log_incident, make_user, outcome, note
):
    done = reveal(log_incident, make_user)
    reviewer = make_user(Role.CONTROL_SUPERVISOR)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.reveal_review(actor=reviewer, reveal=done, outcome=outcome, note=note)
    stored = AddressReveal.objects.get()
    assert (stored.reviewed_by, stored.reviewed_at, stored.outcome, stored.review_note) == (
        reviewer,
        NOW + timedelta(hours=1),
        outcome,
        note.strip(),
    )
    event = AuditEvent.objects.get(action="incidents.reveal.reviewed")
    assert (event.actor, event.subject_id, event.reason) == (reviewer, str(done.pk), note.strip())
    assert event.changes == {"outcome": [None, outcome]}
    with pytest.raises(Conflict) as err:
        services.reveal_review(
            actor=make_user(Role.CONTROL_SUPERVISOR), reveal=done, outcome="justified", note=""
        )
    assert err.value.message == "This reveal has already been signed off."
    assert AddressReveal.objects.get().reviewed_by == reviewer


def typed_alerts() -> list[tuple[str, str, int | None, str]]:
    rows = Alert.objects.filter(kind="incidents.address.restricted_typed")
    return sorted((a.title, a.recipient_role, a.recipient_id, a.subject_id) for a in rows)


def test_each_typist_and_each_refuge_get_their_own_alerts(make_user):
    mash = make_user(Role.MASH)
    first = services.address_get_or_create(actor=mash, data=FARM)
    second = services.address_get_or_create(actor=mash, data=typed(house="2"))
    for refuge in (first, second):
        services.address_mark_restricted(actor=mash, address=refuge, reason="Refuge")
    one, two = make_user(Role.CALL_TAKER), make_user(Role.CALL_TAKER)
    services.address_get_or_create(actor=one, data=FARM)
    services.address_get_or_create(actor=one, data=typed(house="2"))
    services.address_get_or_create(actor=two, data=FARM)
    expected = [
        (f"A restricted address was typed into a call by {who}", role, recipient, str(where.pk))
        for who, where in ((one, first), (one, second), (two, first))
        for role, recipient in ((Role.CONTROL_SUPERVISOR, None), ("", mash.pk))
    ]
    assert typed_alerts() == sorted(expected)


def test_only_whoever_restricted_the_address_is_its_owner(make_user, call_taker):
    mash, sergeant = make_user(Role.MASH), make_user(Role.SUPERVISOR)
    refuge = services.address_get_or_create(actor=mash, data=FARM)
    services.address_mark_restricted(actor=mash, address=refuge, reason="Refuge")
    services.marker_add(actor=sergeant, kind=MarkerKind.WEAPONS, address=refuge, note="Knives")
    # A restriction carried over by a migration has nobody named as its owner.
    Marker.objects.create(kind=MarkerKind.RESTRICTED_ADDRESS, address=refuge, created_by=None)
    services.address_get_or_create(actor=call_taker, data=FARM)
    assert [(role, recipient) for _t, role, recipient, _s in typed_alerts()] == [
        ("", mash.pk),
        (Role.CONTROL_SUPERVISOR, None),
    ]


def test_the_same_house_number_in_another_postcode_is_another_dwelling(call_taker):
    first = services.address_get_or_create(actor=call_taker, data=FARM)
    other = services.address_get_or_create(actor=call_taker, data=typed(postcode="NR1 2AB"))
    assert other.pk != first.pk
    assert Address.objects.get(pk=other.pk).postcode == "NR1 2AB"


def test_a_new_address_is_audited_with_its_rural_and_restricted_flags_only(call_taker):
    address = services.address_get_or_create(actor=call_taker, data=typed(is_rural=True))
    event = AuditEvent.objects.get(action="incidents.address.created", subject_id=str(address.pk))
    assert event.changes == {"is_rural": [None, True], "is_restricted": [None, False]}


def test_the_same_typist_typing_the_same_refuge_again_raises_nothing_new(make_user, call_taker):
    mash = make_user(Role.MASH)
    refuge = services.address_get_or_create(actor=mash, data=FARM)
    services.address_mark_restricted(actor=mash, address=refuge, reason="Refuge")
    services.address_get_or_create(actor=call_taker, data=FARM)
    first = typed_alerts()
    services.address_get_or_create(actor=call_taker, data=FARM)
    assert typed_alerts() == first
    assert len(first) == 2


# --- Two calls typing one new dwelling at once (found by make mutate, 30 November) -----------


def _typed_just_after_the_lookup(actor, data, restrict_by=None):
    """While the block runs, its look-up by postcode and house number returns (nothing), then
    ``actor`` types the same dwelling (and ``restrict_by`` makes it a refuge), as a second call
    committing between this one's look-up and its insert would. One connection, deterministic.
    Yields what receives the other call's address."""

    def other_call():
        address = services.address_get_or_create(actor=actor, data=data)
        if restrict_by is not None:
            services.address_mark_restricted(actor=restrict_by, address=address, reason="R")
        return address

    return after_first("SELECT", '"postcode_key"', '"incidents_address"', action=other_call)


def test_a_call_losing_the_race_for_a_new_dwelling_gets_the_row_that_won(call_taker, make_user):
    """The unique key refuses this call's insert; the call taker gets the other call's row, not
    an error, and the dwelling is one row, created (and audited) once, by the winner."""
    other = make_user(Role.CALL_TAKER)
    with _typed_just_after_the_lookup(other, FARM) as landed:
        got = services.address_get_or_create(actor=call_taker, data=typed(street="Farm Ln"))
    assert got.pk == landed.value.pk
    assert (got.street, got.is_restricted) == ("Farm Lane", False)
    assert list(Address.objects.values_list("pk", flat=True)) == [got.pk]
    created = AuditEvent.objects.filter(action="incidents.address.created")
    assert [(e.actor_id, e.subject_id) for e in created] == [(other.pk, str(got.pk))]
    assert not AuditEvent.objects.filter(action="incidents.address.restricted_typed").exists()
    assert not Alert.objects.filter(kind="incidents.address.restricted_typed").exists()


def test_losing_the_race_to_a_refuge_is_told_like_typing_it(call_taker, make_user):
    """The row that won is (by then) a refuge: typing it is audited as a sensitive access by
    this call taker and alerts the control room and the refuge's owner, as when it was found
    by the look-up."""
    mash = make_user(Role.MASH)
    with _typed_just_after_the_lookup(mash, FARM, restrict_by=mash) as landed:
        got = services.address_get_or_create(actor=call_taker, data=FARM)
    refuge = landed.value
    assert (got.pk, got.is_restricted) == (refuge.pk, True)
    assert Address.objects.count() == 1
    event = AuditEvent.objects.get(action="incidents.address.restricted_typed")
    assert (event.actor, event.subject_id, event.kind) == (call_taker, str(refuge.pk), "access")
    title = f"A restricted address was typed into a call by {call_taker}"
    assert typed_alerts() == sorted(
        [
            (title, Role.CONTROL_SUPERVISOR, None, str(refuge.pk)),
            (title, "", mash.pk, str(refuge.pk)),
        ]
    )


def test_an_address_without_a_house_number_failing_to_insert_is_never_swapped_for_another(
    call_taker,
):
    """Only a dwelling's own key (postcode and house number) may be answered with the row that
    holds it. An address without a house number is under no unique key: when its insert fails
    all the same (here on a taken id, as after an import that did not move the id sequence on),
    the error stands; the other address at that postcode is never handed back in its place."""
    lane = services.address_get_or_create(actor=call_taker, data=typed(house=""))

    def imported_row_takes_the_next_id():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('incidents_address', 'id')")
            (sequence,) = cursor.fetchone()
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            last, called = cursor.fetchone()
        next_id = last + 1 if called else last
        Address.objects.create(id=next_id, street="Imported Row", postcode="NR1 1AA")

    taken = before_first('INSERT INTO "incidents_address"', action=imported_row_takes_the_next_id)
    with taken, pytest.raises(IntegrityError):
        services.address_get_or_create(actor=call_taker, data=typed(house="", street="Lane"))
    assert list(Address.objects.values_list("pk", flat=True)) == [lane.pk]
    assert AuditEvent.objects.filter(action="incidents.address.created").count() == 1

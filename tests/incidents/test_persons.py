"""A person through its services (``incidents.services.persons``): what is checked before
anything is written, what a new person is made of, and what a later call adds to a person on
record, on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError
from incidents import services
from incidents.choices import PersonRole
from incidents.inputs import AddressInput, PersonInput
from incidents.models import Address, Person, PersonName, PersonPhone
from incidents.services.persons import validate_person

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
HOME = AddressInput(house="12", street="Mill Road", town="Norwich", postcode="NR1 2AB")
AWAY = AddressInput(house="9", street="Far Road", town="Diss", postcode="IP22 4AA")

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def person(**kw: Any) -> PersonInput:
    return PersonInput(
        **{"role": PersonRole.VICTIM, "given_name": "Jane", "family_name": "Doe", **kw}
    )


def refusal(data: PersonInput) -> DomainError:
    with pytest.raises(DomainError) as err:
        validate_person(data)
    return err.value


# --- What is checked before writing ---------------------------------------------------------


def test_a_new_person_needs_a_name_a_linked_one_does_not():
    for given, family in (("", ""), ("  ", " ")):
        err = refusal(person(given_name=given, family_name=family))
        assert (err.field, err.message) == (
            "family_name",
            "Enter a name, or link an existing person.",
        )
    validate_person(person(given_name="", family_name="", person_id=1))
    validate_person(person(given_name="Jane", family_name=""))
    validate_person(person(given_name="", family_name="Doe"))


@pytest.mark.parametrize("field", ["given_name", "family_name"])
def test_a_name_longer_than_100_characters_is_refused_beside_its_field(field):
    validate_person(person(**{field: " " + "a" * 100 + " "}))
    err = refusal(person(**{field: "a" * 101}))
    assert (err.field, err.message) == (field, "A name can be at most 100 characters.")


def test_other_names_up_to_the_configured_most_each_checked(settings):
    settings.DAPOLICE_MAX_ALIASES_PER_PERSON = 2
    validate_person(person(aliases=(("A", "B"), ("C", "D"))))
    err = refusal(person(aliases=(("A", "B"), ("C", "D"), ("E", "F"))))
    assert (err.field, err.message) == ("aliases", "Record at most 2 other names.")
    for alias in (("a" * 101, "Doe"), ("Jane", "a" * 101)):
        err = refusal(person(aliases=(alias,)))
        assert (err.field, err.message) == ("aliases", "A name can be at most 100 characters.")


def test_phone_numbers_up_to_the_configured_most_blanks_not_counted(settings):
    settings.DAPOLICE_MAX_PHONES_PER_PERSON = 2
    validate_person(person(phones=("07700 900001", " ", "07700 900002", "")))
    err = refusal(person(phones=("07700 900001", "07700 900002", "07700 900003")))
    assert (err.field, err.message) == ("phones", "Record at most 2 phone numbers.")


def test_a_date_or_year_of_birth_in_the_future_or_before_1900_is_refused():
    tomorrow = date(2026, 11, 24)
    for born, message in (
        (tomorrow, "Date of birth must be in the past."),
        (date(1899, 12, 31), "Date of birth must be after 1900."),
    ):
        err = refusal(person(date_of_birth=born))
        assert (err.field, err.message) == ("date_of_birth", message)
    for year, message in (
        (2027, "Date of birth must be in the past."),
        (1899, "Date of birth must be after 1900."),
    ):
        err = refusal(person(birth_year=year))
        assert (err.field, err.message) == ("date_of_birth", message)
    # A full date wins: the year known alone is not checked then.
    validate_person(person(date_of_birth=date(1990, 1, 2), birth_year=3000))
    validate_person(person(birth_year=2026))


# --- A new person ----------------------------------------------------------------------------


def test_a_new_person_is_stored_trimmed_with_names_phones_address_and_an_audit_row(call_taker):
    created = services.person_create(
        actor=call_taker,
        data=person(
            given_name=" Jane ",
            family_name=" Doe ",
            date_of_birth=date(1990, 4, 1),
            birth_year=1990,
            aliases=(("Janey", " Smith "), ("", ""), ("", "Jones")),
            phones=("07700 900123", "", "+44 7700 900123", "07700 900124"),
            address=AWAY,
        ),
    )
    stored = Person.objects.get(pk=created.pk)
    assert (stored.given_name, stored.family_name) == ("Jane", "Doe")
    assert (stored.date_of_birth, stored.birth_year) == (date(1990, 4, 1), None)
    assert stored.created_by == call_taker
    assert stored.address.postcode == "IP22 4AA"
    names = sorted(
        (n.given_name, n.family_name, n.is_primary, n.dob_key) for n in stored.names.all()
    )
    assert names == [
        ("", "Jones", False, date(1990, 4, 1)),
        ("Jane", "Doe", True, date(1990, 4, 1)),
        ("Janey", "Smith", False, date(1990, 4, 1)),
    ]
    primary = stored.names.get(is_primary=True)
    assert (primary.family_norm, primary.given_norm) == ("doe", "jane")
    assert sorted(stored.phones.values_list("number", flat=True)) == [
        "+447700900123",
        "+447700900124",
    ]
    event = AuditEvent.objects.get(action="incidents.person.created")
    assert (event.actor, event.subject_id) == (call_taker, str(stored.pk))
    assert event.changes["family_name"] == [None, "Doe"]
    assert event.changes["address"] == [None, stored.address_id]


def test_a_year_of_birth_alone_is_kept(call_taker):
    created = services.person_create(actor=call_taker, data=person(birth_year=2019))
    assert Person.objects.get(pk=created.pk).birth_year == 2019


def test_the_address_given_wins_over_the_one_typed_and_an_empty_one_typed_is_none(call_taker):
    given = services.address_get_or_create(actor=call_taker, data=HOME)
    first = services.person_create(actor=call_taker, data=person(address=AWAY), address=given)
    assert first.address_id == given.pk
    assert not Address.objects.filter(postcode="IP22 4AA").exists()
    second = services.person_create(actor=call_taker, data=person(address=AddressInput()))
    assert second.address_id is None


def test_a_new_person_is_always_named_even_with_an_id_and_bad_phones_are_refused(call_taker):
    with pytest.raises(DomainError) as err:
        services.person_create(
            actor=call_taker, data=person(given_name=" ", family_name="", person_id=1)
        )
    assert (err.value.field, err.value.message) == (
        "family_name",
        "Enter a name, or link an existing person.",
    )
    with pytest.raises(DomainError) as err:
        services.person_create(actor=call_taker, data=person(phones=("not a phone",)))
    assert (err.value.field, err.value.message) == (
        "phones",
        "Enter a phone number, like 07700 900123 or +44 7700 900123.",
    )
    with pytest.raises(DomainError) as err:
        services.person_create(actor=call_taker, data=person(family_name="a" * 101))
    assert err.value.field == "family_name"
    assert not Person.objects.exists()


# --- What a later call adds -----------------------------------------------------------------


def on_record(actor, **kw: Any) -> Person:
    return services.person_create(actor=actor, data=person(**kw))


def update(actor, who: Person, home: Address | None = None, **kw: Any) -> Person:
    return services.person_update_from_call(
        actor=actor, person=who, data=person(person_id=who.pk, **kw), home=home
    )


def test_a_missing_date_of_birth_is_filled_replaces_a_year_and_rekeys_every_name(call_taker):
    jane = on_record(call_taker, birth_year=1990, aliases=(("Janey", "Smith"),))
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        update(call_taker, jane, date_of_birth=date(1990, 4, 1))
    stored = Person.objects.get(pk=jane.pk)
    assert (stored.date_of_birth, stored.birth_year) == (date(1990, 4, 1), None)
    assert stored.updated_at == NOW + timedelta(minutes=2)
    assert set(stored.names.values_list("dob_key", flat=True)) == {date(1990, 4, 1)}
    event = AuditEvent.objects.get(action="incidents.person.updated_from_call")
    assert (event.actor, event.subject_id) == (call_taker, str(jane.pk))
    assert event.changes == {
        "date_of_birth": [None, "1990-04-01"],
        "birth_year": [1990, None],
    }


def test_a_known_date_of_birth_is_never_replaced_and_nothing_new_is_not_audited(call_taker):
    jane = on_record(call_taker, date_of_birth=date(1990, 4, 1))
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        update(call_taker, jane, date_of_birth=date(1991, 5, 5), birth_year=1991)
    stored = Person.objects.get(pk=jane.pk)
    assert (stored.date_of_birth, stored.birth_year) == (date(1990, 4, 1), None)
    assert stored.updated_at == NOW
    assert not AuditEvent.objects.filter(action="incidents.person.updated_from_call").exists()


def test_a_year_of_birth_is_filled_only_when_nothing_is_known(call_taker):
    nothing = on_record(call_taker)
    update(call_taker, nothing, birth_year=2019)
    assert Person.objects.get(pk=nothing.pk).birth_year == 2019
    year = on_record(call_taker, birth_year=2018)
    update(call_taker, year, birth_year=2019)
    assert Person.objects.get(pk=year.pk).birth_year == 2018
    event = AuditEvent.objects.get(action="incidents.person.updated_from_call")
    assert event.subject_id == str(nothing.pk)
    assert event.changes == {"birth_year": [None, 2019]}


def test_a_new_home_or_a_typed_address_becomes_the_current_one(call_taker):
    home = services.address_get_or_create(actor=call_taker, data=HOME)
    jane = on_record(call_taker)
    update(call_taker, jane, home=home, address=AWAY)
    assert Person.objects.get(pk=jane.pk).address_id == home.pk
    assert not Address.objects.filter(postcode="IP22 4AA").exists()
    update(call_taker, jane, address=AWAY)
    moved = Person.objects.get(pk=jane.pk)
    assert moved.address.postcode == "IP22 4AA"
    update(call_taker, jane, address=AddressInput())
    assert Person.objects.get(pk=jane.pk).address_id == moved.address_id
    event = AuditEvent.objects.filter(action="incidents.person.updated_from_call").latest("pk")
    assert event.changes == {"address": [home.pk, moved.address_id]}


def test_a_restricted_address_on_record_is_never_replaced_by_a_call(call_taker, make_user):
    refuge = services.address_get_or_create(actor=call_taker, data=HOME)
    services.address_mark_restricted(actor=make_user("mash"), address=refuge, reason="Refuge")
    jane = on_record(call_taker)
    update(call_taker, jane, home=refuge)
    update(call_taker, jane, address=AWAY)
    assert Person.objects.get(pk=jane.pk).address_id == refuge.pk


def test_only_new_phones_and_new_other_names_are_added_and_audited(call_taker):
    jane = on_record(call_taker, phones=("07700 900123",), aliases=(("Janey", "Smith"),))
    update(
        call_taker,
        jane,
        phones=("+44 7700 900123", "07700 900999"),
        aliases=(("JANE", "doe"), ("janey", "SMITH"), ("", "Jones"), ("Jo", "Doe")),
    )
    assert sorted(PersonPhone.objects.filter(person=jane).values_list("number", flat=True)) == [
        "+447700900123",
        "+447700900999",
    ]
    assert sorted(
        PersonName.objects.filter(person=jane, is_primary=False).values_list(
            "given_name", "family_name"
        )
    ) == [("", "Jones"), ("Janey", "Smith"), ("Jo", "Doe")]
    event = AuditEvent.objects.get(action="incidents.person.updated_from_call")
    assert event.changes == {
        "phones": [None, ["+447700900999"]],
        "aliases": [None, ["Jones", "Jo Doe"]],
    }


def test_a_bad_phone_from_a_call_is_refused_with_the_field(call_taker):
    jane = on_record(call_taker)
    with pytest.raises(DomainError) as err:
        update(call_taker, jane, phones=("not a phone",))
    assert err.value.field == "phones"

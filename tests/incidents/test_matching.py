"""The matching engine: each rule of issue 3 ("The matching engine") has a test here.

Persons are created through ``incidents.services.person_create`` (as a call taker would), so the
key columns are the ones the services write. Only the volume test bulk-loads with ``keys``
directly, as the demo generator does, to keep 500 persons fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.db import connection

from incidents import services
from incidents.choices import PersonRole
from incidents.inputs import AddressInput, PersonInput
from incidents.matching import keys, scoring
from incidents.matching.engine import (
    MatchQuery,
    candidate_blocks,
    candidate_statement,
    dob_variants,
    explain,
    fetch_candidates,
    match_persons,
    typed_of,
)
from incidents.models import Address, Person, PersonName, PersonPhone
from incidents.selectors import people_at_address

FLAG = 0.5


@pytest.fixture(autouse=True)
def _thresholds(settings: Any) -> None:
    # The defaults, pinned, so a force's settings cannot change what these tests prove.
    settings.DAPOLICE_MATCH_FLAG_THRESHOLD = FLAG
    settings.DAPOLICE_MATCH_MIN_SCORE = 0.01
    settings.DAPOLICE_MATCH_BLOCK_LIMIT = 30


@pytest.fixture
def add_person(call_taker: Any) -> Callable[..., Person]:
    def add(
        given: str,
        family: str,
        dob: date | None = None,
        *,
        phones: tuple[str, ...] = (),
        postcode: str = "",
        house: str = "",
        street: str = "",
        town: str = "",
        aliases: tuple[tuple[str, str], ...] = (),
    ) -> Person:
        address = (
            AddressInput(house=house, postcode=postcode, street=street, town=town)
            if postcode
            else None
        )
        data = PersonInput(
            role=PersonRole.VICTIM,
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            phones=phones,
            address=address,
            aliases=aliases,
        )
        return services.person_create(actor=call_taker, data=data)

    return add


def top(query: MatchQuery) -> Any:
    found = match_persons(query)
    assert found, "no candidate at all"
    return found[0]


def ids(query: MatchQuery) -> list[int]:
    return [c.person_id for c in match_persons(query)]


@pytest.fixture
def persons_at_address(call_taker: Any) -> Callable[[str, str], list[int]]:
    """Ids of the people the panel lists at an address, as a call taker sees them."""

    def listed(postcode: str, house: str) -> list[int]:
        found = people_at_address(user=call_taker, postcode=postcode, house=house)
        return [p.pk for p in found.residents]

    return listed


# --- Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        (("William", "Hargreaves"), ("Bill", "Hargreaves")),
        (("Elizabeth", "Pryce"), ("Liz", "Pryce")),
    ],
)
def test_nickname_matches_formal_name(
    add_person: Callable[..., Person], stored: tuple[str, str], typed: tuple[str, str]
) -> None:
    person = add_person(*stored, date(1979, 6, 2))
    add_person("Robert", stored[1], date(1950, 1, 9))  # another of the family
    best = top(
        MatchQuery(given_name=typed[0], family_name=typed[1], date_of_birth=date(1979, 6, 2))
    )
    assert best.person_id == person.pk
    assert best.flagged
    assert f"nickname: {typed[0]} / {stored[0]}" in best.reasons


def test_nickname_found_without_date_of_birth(add_person: Callable[..., Person]) -> None:
    person = add_person("Elizabeth", "Pryce")
    assert ids(MatchQuery(given_name="Beth", family_name="Pryce")) == [person.pk]


def test_name_that_sounds_alike_matches(add_person: Callable[..., Person]) -> None:
    person = add_person("John", "Smith", date(1988, 11, 23), phones=("07700 900456",))
    best = top(MatchQuery(given_name="Jon", family_name="Smyth", phones=("07700900456",)))
    assert best.person_id == person.pk
    assert best.flagged
    assert "name sounds alike: Jon Smyth / John Smith" in best.reasons


def test_sounds_alike_alone_is_shown_but_not_flagged(add_person: Callable[..., Person]) -> None:
    person = add_person("John", "Smith")
    best = top(MatchQuery(given_name="Jon", family_name="Smyth"))
    assert best.person_id == person.pk
    assert not best.flagged


def test_first_and_last_name_swapped(add_person: Callable[..., Person]) -> None:
    person = add_person("Kerry", "Dawson", date(1990, 2, 17))
    best = top(
        MatchQuery(given_name="Dawson", family_name="Kerry", date_of_birth=date(1990, 2, 17))
    )
    assert best.person_id == person.pk
    assert best.flagged
    assert "first and last name swapped" in best.reasons


def test_alias_is_searched_like_any_name(add_person: Callable[..., Person]) -> None:
    person = add_person("Joanne", "Whitaker", date(1984, 8, 30), aliases=(("Joanne", "Okafor"),))
    best = top(
        MatchQuery(given_name="Joanne", family_name="Okafor", date_of_birth=date(1984, 8, 30))
    )
    assert best.person_id == person.pk
    assert best.flagged
    assert "known by another name: Joanne Okafor" in best.reasons


def test_two_known_names_one_letter_apart_are_two_names() -> None:
    assert scoring.given_level("mary", "mark") == scoring.MISMATCH
    assert scoring.given_level("victoriz", "victoria") == scoring.TYPO
    assert scoring.given_level("mak", "mark") == scoring.TYPO  # not a name: a letter missed
    assert scoring.given_level("jon", "jan") == scoring.MISMATCH


def test_surname_typo_found_by_name_alone(add_person: Callable[..., Person]) -> None:
    # "Hargraeves" does not sound like "Hargreaves" to Double Metaphone; the prefix block finds it.
    person = add_person("Nadia", "Hargreaves")
    assert ids(MatchQuery(given_name="Nadia", family_name="Hargraeves")) == [person.pk]


# --- Dates of birth -----------------------------------------------------------------------------


def test_date_of_birth_day_and_month_swapped(add_person: Callable[..., Person]) -> None:
    person = add_person("Ayesha", "Khan", date(1991, 4, 7))
    best = top(MatchQuery(given_name="Ayesha", family_name="Khan", date_of_birth=date(1991, 7, 4)))
    assert best.person_id == person.pk
    assert best.flagged
    assert "date of birth with day and month swapped" in best.reasons


def test_date_of_birth_one_digit_typo(add_person: Callable[..., Person]) -> None:
    person = add_person("Ayesha", "Khan", date(1991, 4, 7))
    best = top(MatchQuery(given_name="Ayesha", family_name="Khan", date_of_birth=date(1981, 4, 7)))
    assert best.person_id == person.pk
    assert best.flagged
    assert "date of birth one digit different" in best.reasons


def test_date_of_birth_variant_finds_a_garbled_name(add_person: Callable[..., Person]) -> None:
    # Neither name block can find "Aysha Kahn" (typos in both); date of birth + given name can.
    person = add_person("Ayesha", "Khan", date(1991, 4, 7))
    assert person.pk in ids(
        MatchQuery(given_name="Ayesha", family_name="Kahnn", date_of_birth=date(1991, 7, 4))
    )


def test_a_full_date_of_birth_block_keeps_the_date_typed_first(
    add_person: Callable[..., Person], settings: Any
) -> None:
    # More people born on a variant than a block's LIMIT: the date typed, then its day/month
    # swap, are kept before one-digit typos, even when the typos were recorded first (a table
    # or an index read in order would reach them first).
    settings.DAPOLICE_MATCH_BLOCK_LIMIT = 2
    typos = [add_person("Zofia", "Nowak", d) for d in (date(1975, 3, 7), date(1985, 3, 1))]
    swapped = add_person("Zofia", "Nowak", date(1985, 7, 3))
    exact = add_person("Zofia", "Nowak", date(1985, 3, 7))
    query = MatchQuery(given_name="Zofia", family_name="Nowak", date_of_birth=date(1985, 3, 7))
    found = _found_by(query)
    assert found["dob_family"] == found["dob_given"] == {exact.pk, swapped.pk}
    # Persons already linked are left out of every tier; a typo fills the place.
    found = _found_by(replace(query, exclude_person_ids=(exact.pk,)))
    assert found["dob_family"] == found["dob_given"]
    assert swapped.pk in found["dob_family"]
    assert found["dob_family"] - {swapped.pk} <= {t.pk for t in typos}
    # One name typed: everyone born that day first, then with day and month swapped.
    settings.DAPOLICE_MATCH_BLOCK_LIMIT = 1
    one_name = MatchQuery(given_name="Zofia", date_of_birth=date(1985, 3, 7))
    assert _found_by(one_name)["dob"] == {exact.pk}
    assert _found_by(replace(one_name, exclude_person_ids=(exact.pk,)))["dob"] == {swapped.pk}


def test_dob_variants_are_swaps_and_single_digit_typos() -> None:
    variants = set(dob_variants(date(1985, 3, 14)))
    assert date(1985, 3, 14) in variants
    one_digit = {date(1985, 3, 4), date(1985, 3, 15), date(1985, 8, 14), date(1986, 3, 14)}
    assert one_digit <= variants
    assert date(1985, 4, 13) not in variants  # two digits away
    assert date(1985, 7, 3) in dob_variants(date(1985, 3, 7))  # day and month swapped
    assert all(d not in keys.PLACEHOLDER_DOBS for d in dob_variants(date(1970, 1, 7)))
    assert dob_variants(date(1900, 1, 1)) == []


def test_date_of_birth_added_later_is_searchable(
    add_person: Callable[..., Person], call_taker: Any
) -> None:
    # The services re-key every name when a missing date of birth is filled in from a call.
    person = add_person("Ayesha", "Khan", aliases=(("Ayesha", "Malik"),))
    services.person_update_from_call(
        actor=call_taker,
        person=person,
        data=PersonInput(
            role=PersonRole.VICTIM, person_id=person.pk, date_of_birth=date(1991, 4, 7)
        ),
    )
    assert set(person.names.values_list("dob_key", flat=True)) == {date(1991, 4, 7)}
    query = MatchQuery(given_name="Ayesha", family_name="Kahnn", date_of_birth=date(1991, 7, 4))
    assert person.pk in [s.person_id for s in fetch_candidates(query)]


# --- Placeholders -------------------------------------------------------------------------------


def test_placeholder_date_of_birth_is_never_a_key(add_person: Callable[..., Person]) -> None:
    person = add_person("Unknown", "Adult", date(1900, 1, 1))
    assert set(PersonName.objects.filter(person=person).values_list("dob_key", flat=True)) == {None}


def test_placeholder_date_of_birth_finds_nobody_on_its_own(
    add_person: Callable[..., Person],
) -> None:
    # Same given name, unknown (placeholder) date of birth: were 01/01/1900 a key, the
    # date-of-birth blocks would bring in every Grace whose birthday nobody knew.
    for family in ("Osei", "Reilly", "Shah"):
        add_person("Grace", family, date(1900, 1, 1))
    query = MatchQuery(given_name="Grace", family_name="Nowak", date_of_birth=date(1900, 1, 1))
    assert not [b.name for b in candidate_blocks(query) if b.name.startswith("dob")]
    assert fetch_candidates(query) == []
    assert match_persons(query) == []


def test_placeholder_is_not_reached_as_a_one_digit_variant(
    add_person: Callable[..., Person],
) -> None:
    # 07/01/1970 is one digit from the placeholder 01/01/1970: that must not pull in everyone
    # whose date of birth is unknown.
    add_person("Grace", "Osei", date(1970, 1, 1))
    query = MatchQuery(given_name="Grace", family_name="Nowak", date_of_birth=date(1970, 1, 7))
    assert fetch_candidates(query) == []


def test_placeholder_on_both_sides_is_not_agreement(add_person: Callable[..., Person]) -> None:
    person = add_person("Grace", "Osei", date(1900, 1, 1))
    best = top(MatchQuery(given_name="Grace", family_name="Osei", date_of_birth=date(1900, 1, 1)))
    assert best.person_id == person.pk
    assert "same date of birth" not in best.reasons
    assert not best.flagged


# --- Phones and addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("+44 7700 900123", "07700900123"),
        ("07700900123", "+44 7700 900123"),
        ("07700 900123", "0044 7700-900-123"),
    ],
)
def test_phone_number_reformatted_still_matches(
    add_person: Callable[..., Person], stored: str, typed: str
) -> None:
    person = add_person("Dean", "Moss", phones=(stored,))
    best = top(MatchQuery(given_name="Dean", family_name="Moss", phones=(typed,)))
    assert best.person_id == person.pk
    assert best.flagged
    assert "same mobile number" in best.reasons


def test_phone_alone_finds_the_person(add_person: Callable[..., Person]) -> None:
    person = add_person("Dean", "Moss", phones=("07700 900123",))
    assert ids(MatchQuery(phones=("+447700900123",))) == [person.pk]


def test_phones_are_read_only_when_a_number_is_typed(add_person: Callable[..., Person]) -> None:
    # Scoring compares stored numbers with typed ones only: without a valid number typed the
    # statement skips the phone lookup for every candidate, and the result is the same.
    person = add_person("Dean", "Moss", date(1980, 2, 3), phones=("07700 900123",))
    phone_table = PersonPhone._meta.db_table
    for typed in ((), ("12",)):  # none, or not a valid number
        query = MatchQuery(given_name="Dean", family_name="Moss", phones=typed)
        statement = candidate_statement(query)
        assert statement is not None
        assert phone_table not in statement[0]
        [stored] = fetch_candidates(query)
        assert (stored.person_id, stored.phones) == (person.pk, {})
        assert "same mobile number" not in top(query).reasons
    query = MatchQuery(given_name="Dean", family_name="Moss", phones=("07700900999",))
    [stored] = fetch_candidates(query)
    assert stored.phones == {"+447700900123": "mobile"}
    assert scoring.compare(typed_of(query), stored).phone == scoring.MISMATCH


@pytest.mark.parametrize("typed", ["nr12ab", "NR1 2AB", " nr1  2Ab "])
def test_postcode_spacing_and_case(
    add_person: Callable[..., Person], typed: str, persons_at_address: Any
) -> None:
    person = add_person("Lena", "Fischer", date(1975, 5, 5), postcode="NR1 2AB", house="12")
    best = top(MatchQuery(given_name="Lena", family_name="Fischer", postcode=typed, house="12"))
    assert best.person_id == person.pk
    assert best.flagged
    assert "same postcode and house number" in best.reasons
    assert persons_at_address(typed, "12") == [person.pk]


def test_persons_at_address_lists_the_household_with_a_limit(
    add_person: Callable[..., Person], settings: Any, persons_at_address: Any
) -> None:
    household = [add_person(g, "Carter", postcode="NR2 4TU", house="7A") for g in "ABC"]
    add_person("D", "Carter", postcode="NR2 4TU", house="8")
    assert persons_at_address("nr2 4tu", "7a") == [p.pk for p in household]
    settings.DAPOLICE_MATCH_ADDRESS_LIMIT = 2
    assert len(persons_at_address("NR2 4TU", "7A")) == 2
    assert persons_at_address("not a postcode", "7A") == []


# --- Restricted (refuge) addresses -------------------------------------------------------------
# The engine has no user to decide who is entitled to a refuge address, so it never uses one:
# typing a postcode must not find or confirm where someone's refuge is.

REFUGE = {"postcode": "NR3 1XX", "house": "7"}
ADDRESS_BLOCKS = {"address", "postcode_family"}


@pytest.fixture
def refuge_resident(add_person: Callable[..., Person], control_supervisor: Any) -> Person:
    person = add_person(
        "Rae", "Safe", date(1990, 5, 6), **REFUGE, street="Refuge Row", town="Norwich"
    )
    services.address_mark_restricted(
        actor=control_supervisor, address=person.address, reason="Refuge placement"
    )
    return person


def _found_by(query: MatchQuery) -> dict[str, set[int]]:
    """Block name -> the person ids that block alone returns."""
    found = {}
    with connection.cursor() as cursor:
        for block in candidate_blocks(query):
            cursor.execute(block.sql, block.params)
            found[block.name] = {row[0] for row in cursor.fetchall()}
    return found


@pytest.mark.parametrize(("given", "family"), [("Jo", "Bloggs"), ("Kim", "Safe")])
def test_a_refuge_address_typed_with_another_name_finds_nobody(
    refuge_resident: Person, given: str, family: str
) -> None:
    query = MatchQuery(given_name=given, family_name=family, **REFUGE)
    found = _found_by(query)
    assert set(found) >= ADDRESS_BLOCKS  # the address blocks ran, and found nobody
    assert all(not found.get(block) for block in ADDRESS_BLOCKS), found
    assert refuge_resident.pk not in [s.person_id for s in fetch_candidates(query)]
    assert match_persons(query) == []


@pytest.mark.parametrize(
    "address",
    [
        {"postcode": "NR3 1XX", "house": "9"},  # the refuge postcode, a wrong house number
        REFUGE,  # the refuge itself
        {"postcode": "NR1 2AB", "house": "7"},  # somewhere else: no "mismatch" either
        # Its house, street and town with the postcode mistyped: no "same street" either.
        {"postcode": "NR3 1XY", "house": "7", "street": "Refuge Row", "town": "Norwich"},
    ],
)
def test_a_refuge_address_is_no_evidence_for_its_resident(
    refuge_resident: Person, address: dict[str, str]
) -> None:
    alone = top(MatchQuery(given_name="Rae", family_name="Safe"))
    query = MatchQuery(given_name="Rae", family_name="Safe", **address)
    best = top(query)
    assert best.person_id == alone.person_id == refuge_resident.pk
    assert not [r for r in best.reasons if "postcode" in r]
    assert (best.score, best.flagged, best.reasons) == (alone.score, alone.flagged, alone.reasons)
    assert not best.flagged
    # Read with no address at all: nothing of the refuge reaches scoring.
    (stored,) = [s for s in fetch_candidates(query) if s.person_id == refuge_resident.pk]
    assert (stored.postcode_key, stored.house_key, stored.street_key, stored.town_key) == (
        "",
        "",
        "",
        "",
    )


def test_a_refuge_resident_is_still_found_by_name_and_date_of_birth(
    refuge_resident: Person,
) -> None:
    by_name = MatchQuery(given_name="Rae", family_name="Safe", date_of_birth=date(1990, 5, 6))
    alone = top(by_name)
    assert alone.person_id == refuge_resident.pk
    assert alone.flagged
    assert "same date of birth" in alone.reasons
    query = MatchQuery(
        given_name="Rae", family_name="Safe", date_of_birth=date(1990, 5, 6), **REFUGE
    )
    found = _found_by(query)
    assert {b for b, ids in found.items() if refuge_resident.pk in ids} >= {
        "name",
        "dob_family",
        "dob_given",
    }
    assert all(refuge_resident.pk not in found[b] for b in ADDRESS_BLOCKS), found
    best = top(query)
    assert (best.person_id, best.score, best.flagged, best.reasons) == (
        refuge_resident.pk,
        alone.score,
        True,
        alone.reasons,
    )


def test_nobody_is_listed_at_a_refuge_address(
    add_person: Callable[..., Person], refuge_resident: Person, persons_at_address: Any
) -> None:
    other = add_person("Ann", "Lee", **REFUGE)  # moved in later: the same (restricted) address
    assert other.address_id == refuge_resident.address_id
    assert persons_at_address("NR3 1XX", "7") == []
    assert persons_at_address("nr31xx", "7") == []
    neighbour = add_person("Tom", "Vale", postcode="NR3 1XX", house="9")
    assert persons_at_address("NR3 1XX", "9") == [neighbour.pk]


def test_nobody_is_listed_at_a_refuge_even_for_someone_who_revealed_it(
    refuge_resident: Person, control_supervisor: Any
) -> None:
    from dapolice.access.breakglass import break_glass_grant

    break_glass_grant(
        actor=control_supervisor,
        subject=refuge_resident.address,
        reason="Welfare visit arranged with the refuge manager",
    )
    found = people_at_address(user=control_supervisor, **REFUGE)
    assert found.residents == []
    # A reveal is for one incident's page only (issue 7, finding 4): the panel shows neither
    # the address nor its restriction marker, revealed or not.
    assert found.address is None
    assert found.markers == []


# --- The domestic abuse traps -----------------------------------------------------------------


@pytest.fixture
def household(add_person: Callable[..., Person]) -> dict[str, Person]:
    """Victim, partner (suspect) and two children: one address, mostly one surname."""
    home = {"postcode": "NR3 1HG", "house": "22"}
    return {
        "victim": add_person(
            "Sarah", "Turner", date(1986, 9, 12), phones=("07700 900555",), **home
        ),
        "suspect": add_person("Craig", "Turner", date(1983, 1, 30), **home),
        "child": add_person("Mason", "Turner", date(2014, 6, 3), **home),
        "child2": add_person("Sophie", "Turner", date(2017, 2, 21), **home),
    }


def test_address_and_surname_alone_never_flag(
    household: dict[str, Person], persons_at_address: Any
) -> None:
    # Not even shown as matches: they are the "people at this address" list.
    assert match_persons(MatchQuery(family_name="Turner", postcode="NR3 1HG", house="22")) == []
    assert len(persons_at_address("NR3 1HG", "22")) == 4


def test_a_sibling_at_the_same_address_is_not_a_match(household: dict[str, Person]) -> None:
    # A new child of the household, not yet on record: same surname and address, own name and DOB.
    found = match_persons(
        MatchQuery(
            given_name="Ellie",
            family_name="Turner",
            date_of_birth=date(2019, 10, 8),
            postcode="NR3 1HG",
            house="22",
        )
    )
    assert not [c for c in found if c.flagged]


def test_the_partner_is_not_flagged_when_the_victim_is_typed(household: dict[str, Person]) -> None:
    found = match_persons(
        MatchQuery(
            given_name="Sarah",
            family_name="Turner",
            date_of_birth=date(1986, 9, 12),
            postcode="NR3 1HG",
            house="22",
        )
    )
    flagged = [c.person_id for c in found if c.flagged]
    assert flagged == [household["victim"].pk]


def test_household_evidence_is_capped_whatever_the_weights() -> None:
    # Even if someone made address and surname worth a fortune, they alone stay below the flag.
    generous = scoring.Weights(
        address={
            scoring.SAME: 50.0,
            scoring.SAME_POSTCODE: 1.0,
            scoring.MISMATCH: 0.0,
            scoring.MISSING: 0.0,
        }
    )
    typed = scoring.Typed.from_raw(
        given="", family="Turner", date_of_birth=None, phones=(), postcode="NR3 1HG", house="22"
    )
    stored = scoring.Stored(
        person_id=1, dob=date(1983, 1, 30), postcode_key="NR31HG", house_key="22",
        names=[("Craig", "Turner", True)],
    )  # fmt: skip
    value = scoring.score(scoring.compare(typed, stored), generous, flag_threshold=FLAG)
    assert value < FLAG


def test_one_flag_per_household_twins(add_person: Callable[..., Person]) -> None:
    # Twins: one birthday, one surname, one address. Typing one flags that one only; the other
    # is shown below the flag, with the reason.
    home = {"postcode": "NR5 9QQ", "house": "3"}
    liam = add_person("Liam", "Byrne", date(2001, 3, 3), **home)
    ciara = add_person("Ciara", "Byrne", date(2001, 3, 3), **home)
    found = match_persons(
        MatchQuery(given_name="Ciara", family_name="Byrne", date_of_birth=date(2001, 3, 3), **home)
    )
    assert [c.person_id for c in found if c.flagged] == [ciara.pk]
    twin = next(c for c in found if c.person_id == liam.pk)
    assert "different given name: Ciara / Liam" in twin.reasons
    assert "someone else at this address matches better" in twin.reasons


def test_one_flag_per_household_namesake_parent(add_person: Callable[..., Person]) -> None:
    home = {"postcode": "NR7 0AB", "house": "41"}
    father = add_person("John", "Doyle", date(1961, 5, 20), **home)
    son = add_person("John", "Doyle", date(1990, 8, 2), **home)
    found = match_persons(
        MatchQuery(given_name="Jon", family_name="Doyle", date_of_birth=date(1990, 8, 2), **home)
    )
    assert [c.person_id for c in found if c.flagged] == [son.pk]
    assert found[1].person_id == father.pk
    assert "different date of birth" in found[1].reasons


def test_a_given_name_misspelt_with_a_wrong_date_at_home_is_the_adult_on_record(
    add_person: Callable[..., Person],
) -> None:
    """Issue 8: the household cap's exception for one given name on two adults of one
    generation reaches the same name misspelt (Stepahnie / Stephanie), the surname agreeing:
    one person typed with a slip and a wrong date. A name that is another person's (Michaela
    beside Michael) or a generation apart (the daughter named after her mother) stays capped."""
    home = {"postcode": "NR4 7TJ", "house": "16"}
    stephanie = add_person("Stephanie", "Tiller", date(1969, 2, 8), **home)
    michael = add_person("Michael", "Tiller", date(1980, 3, 2), **home)
    named = {"family_name": "Tiller", **home}
    found = top(MatchQuery(given_name="Stepahnie", date_of_birth=date(1963, 12, 20), **named))
    assert found.person_id == stephanie.pk
    assert found.flagged
    assert "different date of birth" in found.reasons
    # The partner's name sounds alike, but it is hers, not his misspelt.
    partner = top(MatchQuery(given_name="Michaela", date_of_birth=date(1984, 7, 19), **named))
    assert partner.person_id == michael.pk
    assert not partner.flagged
    # Her name misspelt on someone born a generation later: her daughter, named after her.
    daughter = top(MatchQuery(given_name="Stepahnie", date_of_birth=date(1995, 5, 14), **named))
    assert daughter.person_id == stephanie.pk
    assert not daughter.flagged


# --- Ranking, reasons, limits -----------------------------------------------------------------


def test_ranking_puts_the_true_person_first(add_person: Callable[..., Person]) -> None:
    add_person("John", "Smith", date(1971, 2, 2))
    add_person("Jon", "Smith", date(1995, 8, 19))
    add_person("John", "Smyth", date(1988, 12, 1), phones=("07700 900777",))
    true = add_person("John", "Smith", date(1988, 11, 2), phones=("07700 900321",))
    add_person("Joan", "Smith", date(1988, 11, 2))
    best = top(
        MatchQuery(
            given_name="Jon",
            family_name="Smyth",
            date_of_birth=date(1988, 2, 11),
            phones=("07700900321",),
        )
    )
    assert best.person_id == true.pk
    found = match_persons(
        MatchQuery(given_name="Jon", family_name="Smyth", date_of_birth=date(1988, 2, 11))
    )
    assert found[0].person_id == true.pk
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_reasons_are_sentences_not_codes(add_person: Callable[..., Person]) -> None:
    add_person(
        "William",
        "Smith",
        date(1980, 3, 4),
        phones=("07700900123",),
        postcode="NR1 2AB",
        house="12",
    )
    found = match_persons(
        MatchQuery(
            given_name="Smyth",
            family_name="Bill",
            date_of_birth=date(1980, 4, 3),
            phones=("+44 7700 900123",),
            postcode="nr12ab",
            house="12",
        )
    )
    reasons = found[0].reasons
    assert reasons
    codes = {scoring.DAY_MONTH_SWAP, scoring.ONE_DIGIT, scoring.SAME_POSTCODE, scoring.MISMATCH}
    for reason in reasons:
        assert " " in reason
        assert not any(code in reason for code in codes)
    assert reasons[0] == "same mobile number"


def test_scores_and_flags_follow_the_settings(
    add_person: Callable[..., Person], settings: Any
) -> None:
    # A name and a postcode (a name alone never flags, whatever the threshold: issue 14).
    add_person("John", "Smith", postcode="NR1 2AB", house="12")
    query = MatchQuery(given_name="John", family_name="Smith", postcode="NR1 2AB")
    (candidate,) = match_persons(query)
    assert 0 < candidate.score < 1
    settings.DAPOLICE_MATCH_FLAG_THRESHOLD = candidate.score
    assert match_persons(query)[0].flagged
    settings.DAPOLICE_MATCH_MIN_SCORE = candidate.score + 0.01
    assert match_persons(query) == []


def test_limit_and_excluded_persons(add_person: Callable[..., Person]) -> None:
    people = [add_person("John", "Smith", date(1970 + i, 1, 15)) for i in range(4)]
    query = MatchQuery(given_name="John", family_name="Smith")
    assert len(match_persons(query, limit=2)) == 2
    excluded = MatchQuery(
        given_name="John", family_name="Smith", exclude_person_ids=(people[0].pk, people[1].pk)
    )
    assert set(ids(excluded)) == {people[2].pk, people[3].pk}


def test_nothing_typed_searches_nothing(add_person: Callable[..., Person]) -> None:
    add_person("John", "Smith")
    assert match_persons(MatchQuery()) == []
    assert match_persons(MatchQuery(postcode="NR1 2AB")) == []


def test_a_common_name_is_weaker_evidence_than_a_rare_one(
    add_person: Callable[..., Person],
) -> None:
    # With a date of birth one digit off and nothing else, a name shared by many people on
    # record is not enough to flag; the same evidence for a rare name is.
    _namesakes("John", "Smith", 24)
    common = add_person("John", "Smith", date(1980, 3, 14))
    rare = add_person("Zebedee", "Quarrington", date(1980, 3, 14))
    one_digit_off = date(1980, 3, 15)
    found = match_persons(
        MatchQuery(given_name="John", family_name="Smith", date_of_birth=one_digit_off)
    )
    assert found[0].person_id == common.pk
    assert not found[0].flagged
    assert any(r.endswith("other people found with this name") for r in found[0].reasons)
    best = top(
        MatchQuery(given_name="Zebedee", family_name="Quarrington", date_of_birth=one_digit_off)
    )
    assert best.person_id == rare.pk
    assert best.flagged


# --- Cost: one query, whatever the table size ---------------------------------------------------


def _namesakes(given: str, family: str, n: int) -> None:
    """``n`` people of one name, born on different days (rows written with ``keys``)."""
    persons = Person.objects.bulk_create(
        Person(given_name=given, family_name=family, date_of_birth=date(1950 + i, 6, 1))
        for i in range(n)
    )
    PersonName.objects.bulk_create(
        PersonName(
            person=p, given_name=given, family_name=family, is_primary=True,
            **keys.name_keys(given, family, date_of_birth=p.date_of_birth),
        )
        for p in persons
    )  # fmt: skip


def _bulk_people(n: int, *, start: int) -> None:
    """Rows written with ``keys`` as the demo generator does (services would take minutes)."""
    from dapolice.demo import synth

    rows = synth.people(seed=start, n=n)
    addresses = Address.objects.bulk_create(
        Address(
            house=p.address.house,
            postcode=p.address.postcode,
            postcode_key=keys.postcode_key(p.address.postcode),
            house_key=keys.house_key(p.address.house),
        )
        for p in rows
    )
    persons = Person.objects.bulk_create(
        Person(
            given_name=p.given_name,
            family_name=p.family_name,
            date_of_birth=p.date_of_birth,
            address=a,
        )
        for p, a in zip(rows, addresses, strict=True)
    )
    PersonName.objects.bulk_create(
        PersonName(
            person=person, given_name=p.given_name, family_name=p.family_name, is_primary=True,
            **keys.name_keys(p.given_name, p.family_name, date_of_birth=p.date_of_birth),
        )
        for p, person in zip(rows, persons, strict=True)
    )  # fmt: skip
    PersonPhone.objects.bulk_create(
        PersonPhone(person=person, number=keys.phone_key(p.phone))
        for p, person in zip(rows, persons, strict=True)
        if p.phone
    )


@pytest.mark.parametrize("extra", [0, 490])
def test_one_query_per_search_whatever_the_table_size(
    add_person: Callable[..., Person], django_assert_max_num_queries: Any, extra: int
) -> None:
    _bulk_people(10, start=1)
    _bulk_people(extra, start=2)
    assert Person.objects.count() == 10 + extra
    person = add_person(
        "William",
        "Smith",
        date(1980, 3, 14),
        phones=("07700 900123",),
        postcode="NR1 2AB",
        house="12",
    )
    query = MatchQuery(
        given_name="Bill",
        family_name="Smyth",
        date_of_birth=date(1980, 3, 14),
        phones=("+44 7700 900123",),
        postcode="NR12AB",
        house="12",
    )
    assert len(candidate_blocks(query)) >= 6
    with django_assert_max_num_queries(1):
        found = match_persons(query)
    assert found[0].person_id == person.pk
    with django_assert_max_num_queries(1):
        match_persons(MatchQuery(given_name="William", family_name="Smith"))


@pytest.mark.postgres
def test_every_block_can_be_answered_from_its_index(add_person: Callable[..., Person]) -> None:
    """With sequential scans off, each block's plan is an index scan (not a scan of a table).

    The bench shows the same on 1M rows with the planner free to choose (``EXPLAIN``).
    """
    _bulk_people(50, start=3)
    query = MatchQuery(
        given_name="Bill",
        family_name="Smyth",
        date_of_birth=date(1980, 3, 14),
        phones=("+44 7700 900123",),
        postcode="NR12AB",
        house="12",
    )
    one_name = MatchQuery(given_name="Bill", date_of_birth=date(1980, 3, 14))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            plans = explain(query)
            plans["dob"] = explain(one_name)["dob"]
        finally:
            cursor.execute("RESET enable_seqscan")
    assert set(plans) >= {
        "phone", "address", "name", "name_swapped", "dob_family", "dob_given", "dob", "dob_house"
    }  # fmt: skip
    for name, plan in plans.items():
        assert "Seq Scan" not in plan, (name, plan)
        assert "Index" in plan, (name, plan)
    # A date-of-birth block is one probe of its composite index per (name code, date), never
    # a BitmapAnd of everyone born on those days with everyone of that name.
    assert "name_family_dob_idx" in plans["dob_family"], plans["dob_family"]
    assert "name_given_dob_idx" in plans["dob_given"], plans["dob_given"]
    assert "person_dob_idx" in plans["dob"], plans["dob"]
    assert "person_dob_idx" in plans["dob_house"], plans["dob_house"]
    # The trigram block: one GIN index of the surname's trigrams keyed by the given name, read
    # by the given names typed alone; never the surname's trigrams across the whole table.
    assert "name_keyed_trgm_idx" in plans["family_trigram"], plans["family_trigram"]
    assert "gin_trgm" not in plans["family_trigram"]
    assert "Seq Scan" not in plans["family_trigram"]
    assert not [name for name, plan in plans.items() if "BitmapAnd" in plan]


# --- Issue 8: the matcher on data it was not tuned on ----------------------------------------


def test_a_surname_typed_as_the_given_name_is_searched_and_compared_as_a_surname(
    add_person: Callable[..., Person],
) -> None:
    person = add_person("Harriet", "Quarrington", date(1984, 5, 2), postcode="NR1 2AB", house="4")
    add_person("Quarrington", "Jones", date(1990, 1, 9))  # a given name that is the surname typed
    assert "given_as_family" in [b.name for b in candidate_blocks(MatchQuery(given_name="Smith"))]
    best = top(MatchQuery(given_name="Quarrington", date_of_birth=date(1984, 5, 2)))
    assert best.person_id == person.pk
    assert "same family name" in best.reasons
    # A surname (in either box) and an address are household evidence: never a match.
    assert ids(MatchQuery(given_name="Quarrington", postcode="NR1 2AB", house="4")) == []


def test_a_given_name_and_a_postcode_search_that_street(
    add_person: Callable[..., Person],
) -> None:
    person = add_person("Harriet", "Quarrington", date(1984, 5, 2), postcode="NR1 2AB", house="4")
    add_person("Harriet", "Smith", date(1984, 5, 2), postcode="NR3 1AA", house="4")
    query = MatchQuery(given_name="Harriet", postcode="NR1 2AB")
    assert "postcode_given" in [b.name for b in candidate_blocks(query)]
    assert ids(query) == [person.pk]


def test_titles_are_not_names(add_person: Callable[..., Person]) -> None:
    person = add_person("John", "Quarrington", date(1951, 2, 3))
    best = top(
        MatchQuery(
            given_name="Sir John",
            family_name="Quarrington, 1st Bt.",
            date_of_birth=date(1951, 2, 3),
        )
    )
    assert best.person_id == person.pk
    assert best.flagged
    assert "same name" in best.reasons
    assert keys.strip_titles("Mr. Khan") == "Khan"
    assert keys.strip_titles("Major") == "Major"  # a name made only of a title is a name


def test_a_given_name_and_date_of_birth_alone_never_flag(
    add_person: Callable[..., Person],
) -> None:
    person = add_person("Harriet", "Quarrington", date(1984, 5, 2), postcode="NR1 2AB", house="4")
    alone = top(MatchQuery(given_name="Harriet", date_of_birth=date(1984, 5, 2)))
    assert alone.person_id == person.pk
    assert not alone.flagged
    with_postcode = top(
        MatchQuery(given_name="Harriet", date_of_birth=date(1984, 5, 2), postcode="NR1 2AB")
    )
    assert with_postcode.person_id == person.pk
    assert with_postcode.flagged


def test_a_persons_own_duplicate_records_are_not_namesakes(
    add_person: Callable[..., Person],
) -> None:
    # One woman recorded twice (same date of birth, two addresses): name and postcode flag.
    first = add_person("Grace", "Nowak", date(1980, 3, 14), postcode="NR1 2AB", house="4")
    add_person("Grace", "Nowak", date(1980, 3, 14), postcode="NR3 1AA", house="9")
    query = MatchQuery(given_name="Grace", family_name="Nowak", postcode="NR1 2AB")
    best = top(query)
    assert best.person_id == first.pk
    assert best.flagged
    assert not any("found with this name" in r for r in best.reasons)


def test_two_people_of_one_name_are_namesakes(add_person: Callable[..., Person]) -> None:
    first = add_person("Grace", "Nowak", date(1980, 3, 14), postcode="NR1 2AB", house="4")
    add_person("Grace", "Nowak", date(1962, 8, 30), postcode="NR3 1AA", house="9")
    best = top(MatchQuery(given_name="Grace", family_name="Nowak", postcode="NR1 2AB"))
    assert best.person_id == first.pk
    assert not best.flagged
    assert "1 other person found with this name" in best.reasons


def test_scoring_counts_distinct_people_among_namesakes() -> None:
    def rec(pk: int, dob: date | None, home: tuple[str, str] = ("", "")) -> scoring.Stored:
        return scoring.Stored(person_id=pk, dob=dob, postcode_key=home[0], house_key=home[1])

    same = [rec(1, date(1980, 3, 14)), rec(2, date(1980, 3, 14)), rec(3, date(1980, 14 - 11, 14))]
    assert scoring.distinct_people(same) == 1
    assert scoring.distinct_people([rec(1, date(1980, 3, 4)), rec(2, date(1980, 4, 3))]) == 1
    # A digit apart is not the same person: namesakes born 1950, 1951, 1952 do not chain.
    years = [rec(i, date(1950 + i, 6, 1)) for i in range(3)]
    assert scoring.distinct_people(years) == 3
    home = ("NR12AB", "4")
    assert scoring.distinct_people([rec(1, None, home), rec(2, date(1980, 1, 2), home)]) == 1
    assert scoring.distinct_people([rec(1, None, home), rec(2, None)]) == 2


def test_dates_of_birth_before_1900_have_one_digit_variants() -> None:
    assert date(1805, 7, 12) in dob_variants(date(1905, 7, 12))


def test_a_mistyped_postcode_with_the_house_street_and_town_right_is_the_same_home(
    add_person: Callable[..., Person],
) -> None:
    """Name and home flag; a postcode one slip off no longer hides the home when the street,
    house number and town are typed (read only then: without a street the address comes from
    its index alone)."""
    person = add_person(
        "Ottilie", "Brannagh", postcode="NR1 3DE", house="22", street="Castle Meadow",
        town="Norwich",
    )  # fmt: skip
    named = {"given_name": "Ottilie", "family_name": "Brannagh", "house": "22"}
    best = top(MatchQuery(**named, postcode="NR1 3ED", street="Castle Mdw", town="norwich"))
    assert (best.person_id, best.flagged) == (person.pk, True)
    assert "same house number and street, postcode different or missing" in best.reasons
    # Without the street the postcode decides: names alone, never a flag.
    assert not top(MatchQuery(**named, postcode="NR1 3ED")).flagged
    # Another town's Castle Meadow is not this home.
    elsewhere = top(MatchQuery(**named, postcode="IP1 3ED", street="Castle Meadow", town="Ipswich"))
    assert not elsewhere.flagged
    (stored,) = fetch_candidates(MatchQuery(**named, postcode="NR1 3ED"))
    assert (stored.street_key, stored.town_key) == ("", "")


@pytest.mark.parametrize("typed", ["Dmithson", "Cmithson", "mithson"])
def test_a_surname_mistyped_in_its_first_letters_is_found_by_its_trigrams(
    add_person: Callable[..., Person], typed: str
) -> None:
    """Dmithson sounds like nothing Smithson does and shares no prefix with it: only the
    trigram block (the given name and trigrams of the surname) reaches it."""
    person = add_person("Imogen", "Smithson", date(1975, 9, 21))
    other = add_person("Imogen", "Xavier", date(1975, 9, 21))  # the given name alone
    namesake = add_person("Quentin", "Smithson", date(1975, 9, 21))  # the surname alone
    found = _found_by(MatchQuery(given_name="Imogen", family_name=typed))
    assert found["family_trigram"] == {person.pk}
    assert all(person.pk not in pks for block, pks in found.items() if block != "family_trigram")
    assert other.pk not in found["family_trigram"]
    assert namesake.pk not in found["family_trigram"]
    assert ids(MatchQuery(given_name="Imogen", family_name=typed))[0] == person.pk


@pytest.mark.postgres
def test_the_keyed_trigram_probe_finds_what_pg_trgm_similarity_finds(
    add_person: Callable[..., Person],
) -> None:
    """The block's index probe (the given name's keyed trigrams) is only a way in: what it
    returns is every person with that given name (Bill, Will, William: one canonical form)
    whose surname pg_trgm calls similar, and nobody else, whichever letters were mistyped."""
    surnames = ["Smithson", "Smithsen", "Mithson", "Smith", "Johnson", "Simpson", "Thompson"]
    for surname in surnames:
        add_person("William", surname, date(1970, 1, 1))
        add_person("Bill", surname, date(1971, 1, 1))
        add_person("Harriet", surname, date(1972, 1, 1))
    for typed in ("Smithson", "Dmithson", "Thomson", "Jonson"):
        folded = keys.fold(typed)
        found = _found_by(MatchQuery(given_name="Bill", family_name=typed))["family_trigram"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT person_id FROM incidents_personname "
                "WHERE given_canon = ANY(%s) AND family_norm %% %s",
                [[keys.given_canon("Bill")], folded],
            )
            similar = {row[0] for row in cursor.fetchall()}
        assert found == similar, typed
        assert similar, typed  # each typed surname is similar to some stored one


@pytest.mark.postgres
def test_a_search_is_never_planned_in_parallel(add_person: Callable[..., Person]) -> None:
    """Worker start-up costs more than a whole search (a parallel plan of the trigram block
    held searches at 70 ms at a million persons): the statement calling the typed trigrams is
    never planned in parallel, even when the planner is told parallel work is free."""
    for i in range(40):
        add_person("William", f"Smithson{chr(97 + i % 26)}", date(1970, 1, 1 + i % 28))
    free = (
        "parallel_setup_cost", "parallel_tuple_cost",
        "min_parallel_table_scan_size", "min_parallel_index_scan_size",
    )  # fmt: skip
    with connection.cursor() as cursor:
        for name in free:
            cursor.execute(f"SET LOCAL {name} = 0")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = explain(MatchQuery(given_name="Bill", family_name="Dmithson"))["family_trigram"]
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = on")
        scanned = explain(MatchQuery(given_name="Bill", family_name="Dmithson"))["family_trigram"]
    assert "name_keyed_trgm_idx" in plan, plan
    assert "Gather" not in plan, plan
    assert "Parallel" not in plan, plan
    assert "Seq Scan" in scanned, scanned
    assert "Gather" not in scanned, scanned


def test_the_trigram_block_needs_a_surname_of_four_letters(add_person: Callable[..., Person]):
    add_person("Imogen", "Lian", date(1975, 9, 21))
    assert "family_trigram" not in _found_by(MatchQuery(given_name="Imogen", family_name="Xia"))
    assert "family_trigram" in _found_by(MatchQuery(given_name="Imogen", family_name="Xian"))


def test_a_date_of_birth_far_more_common_than_the_days_around_it_weighs_less(
    add_person: Callable[..., Person],
) -> None:
    """A default typed for an unknown date (here 1 March 1980, six people and nobody in the
    days around) weighs like 1 January: ``common_dob`` less than a date of its own."""
    from incidents.matching.engine import fetch

    default, own = date(1980, 3, 1), date(1980, 3, 2)
    person = add_person("Ada", "Pemberton", default)
    twin = add_person("Ada", "Pembertan", own)
    for i, family in enumerate(("Okoro", "Lindqvist", "Marsh", "Tennant", "Vale")):
        add_person(f"Someone{i}", family, default)
    on_default = MatchQuery(given_name="Ada", family_name="Pemberton", date_of_birth=default)
    assert fetch(on_default).common_date
    assert not fetch(replace(on_default, date_of_birth=own)).common_date
    assert not fetch(replace(on_default, date_of_birth=date(1981, 3, 1))).common_date
    common, rare = (
        top(on_default),
        top(replace(on_default, family_name="Pembertan", date_of_birth=own)),
    )
    assert (common.person_id, rare.person_id) == (person.pk, twin.pk)
    # The same name and date agreement, the common date weighing common_dob less.
    assert common.score < rare.score


@pytest.mark.parametrize(
    ("same_day", "around", "common"),
    [
        (5, 0, True),  # five people on one day, nobody the days either side
        (4, 0, False),  # fewer than five people is not a measure
        (32, 60, False),  # 10 a day around: common from three times 11
        (33, 60, True),
        (27, 162, False),  # an ordinary day at a million persons: ~27 each
        (120, 162, True),  # 1 January of a year at a million persons
    ],
)
def test_a_date_is_common_when_five_or_more_and_three_times_its_neighbours(
    same_day: int, around: int, common: bool
) -> None:
    assert scoring.common_by_frequency(same_day, around) is common


# --- A year of birth alone (issue 8: "a child's date of birth can be year-only") ------------


@pytest.fixture
def add_child_by_year(call_taker: Any) -> Callable[..., Person]:
    """A person whose date of birth is known only by its year (``Person.birth_year``)."""

    def add(given: str, family: str, year: int, *, postcode: str, house: str) -> Person:
        data = PersonInput(
            role=PersonRole.CHILD,
            given_name=given,
            family_name=family,
            birth_year=year,
            address=AddressInput(house=house, postcode=postcode),
        )
        return services.person_create(actor=call_taker, data=data)

    return add


def test_a_year_of_birth_alone_is_compared_with_the_year_of_a_date(
    add_person: Callable[..., Person], add_child_by_year: Callable[..., Person]
) -> None:
    home = {"postcode": "NR3 1HG", "house": "7"}
    child = add_child_by_year("Ellie", "Marsh", 2016, **home)
    assert child.date_of_birth is None
    assert child.birth_year == 2016
    named = {"given_name": "Ellie", "family_name": "Marsh", **home}
    # The same year, typed as a full date: "same year of birth", and a higher score than
    # with no date at all.
    same = top(MatchQuery(**named, date_of_birth=date(2016, 4, 9)))
    assert same.person_id == child.pk
    assert same.flagged
    assert "same year of birth" in same.reasons
    undated = top(MatchQuery(**named))
    assert same.score > undated.score
    # Ten years off: a different person (another child of the household): below the flag.
    other = top(MatchQuery(**named, date_of_birth=date(2006, 4, 9)))
    assert other.person_id == child.pk
    assert not other.flagged
    assert "different date of birth" in other.reasons
    # A year either side is an estimate: no evidence either way.
    near = top(MatchQuery(**named, date_of_birth=date(2017, 1, 2)))
    assert near.score == undated.score


def test_a_year_typed_alone_is_compared_with_stored_dates(
    add_person: Callable[..., Person],
) -> None:
    """A call taker who knows only a child's year of birth: the father of the same name at the
    same home (born a generation before) is someone else, not the child with no date."""
    home = {"postcode": "NR2 4SQ", "house": "15"}
    father = add_person("Callum", "Reid", date(1984, 6, 2), **home)
    child = {"given_name": "Callum", "family_name": "Reid", **home}
    typed_year = top(MatchQuery(**child, birth_year=2015))
    assert typed_year.person_id == father.pk
    assert not typed_year.flagged
    # Without the year the name and the home flag him: the year is what tells them apart.
    assert top(MatchQuery(**child)).flagged
    # The father's own year, typed alone, agrees.
    own = top(MatchQuery(**child, birth_year=1984))
    assert own.flagged
    assert "same year of birth" in own.reasons
    # A full date typed wins over a year typed with it (the year is for a date not known).
    dated = top(MatchQuery(**child, date_of_birth=date(1984, 6, 2), birth_year=2015))
    assert "same date of birth" in dated.reasons


def test_the_year_of_birth_is_read_in_the_one_statement(
    add_child_by_year: Callable[..., Person], django_assert_num_queries: Any
) -> None:
    add_child_by_year("Ava", "Price", 2019, postcode="NR1 1AA", house="2")
    query = MatchQuery(given_name="Ava", family_name="Price", birth_year=2019)
    with django_assert_num_queries(1):
        (stored,) = fetch_candidates(query)
    assert stored.birth_year == 2019
    assert stored.dob is None


def test_both_names_garbled_are_found_by_the_date_of_birth_at_the_house_number(
    add_person: Callable[..., Person],
) -> None:
    """A false given name and a surname mistyped in its first letters escape every name block;
    the date of birth at the same house number still finds the person (the ``dob_house`` block),
    with a postcode mistyped too, and the evidence flags them."""
    home = {"postcode": "NR3 1HG", "house": "9", "street": "Hayball Place", "town": "Norwich"}
    bethany = add_person("Bethany", "Large", date(1954, 12, 11), **home)
    add_person("Bethany", "Large", date(1961, 2, 3), postcode="NR3 1HG", house="10")
    query = MatchQuery(
        given_name="Isabella", family_name="Laxrge", date_of_birth=date(1954, 11, 12),
        postcode="NR3 1HQ", house="9", street="Hayball Place", town="Norwich",
    )  # fmt: skip
    found = {b.name for b in candidate_blocks(query)}
    assert "dob_house" in found
    assert bethany.pk in ids(query)
    # Not found without the house number (no other block reaches her).
    assert bethany.pk not in ids(replace(query, house=""))
    # Another house number, or another day: not this block.
    assert bethany.pk not in ids(replace(query, house="11"))
    assert bethany.pk not in ids(replace(query, date_of_birth=date(1954, 12, 13)))


def test_a_surname_like_the_one_typed_and_a_date_are_shown_not_flagged(
    add_person: Callable[..., Person],
) -> None:
    """No given name typed: "Boyls, born 30 Dec 2000" is shown Hannah Boyle born that day as a
    possible match, never flagged (at a million persons several people share a date and one of
    the surnames a slip could be); typed exactly, or with the postcode agreeing, she flags."""
    hannah = add_person("Hannah", "Boyle", date(2000, 12, 30), postcode="NR8 1ZB", house="11")
    born = date(2000, 12, 30)
    slip = top(MatchQuery(family_name="Boyls", date_of_birth=born, postcode="WD29 2WL"))
    assert (slip.person_id, slip.flagged) == (hannah.pk, False)
    assert "same date of birth" in slip.reasons
    exact = top(MatchQuery(family_name="Boyle", date_of_birth=born, postcode="WD29 2WL"))
    assert (exact.person_id, exact.flagged) == (hannah.pk, True)
    at_home = top(MatchQuery(family_name="Boyls", date_of_birth=born, postcode="NR8 1ZB"))
    assert (at_home.person_id, at_home.flagged) == (hannah.pk, True)

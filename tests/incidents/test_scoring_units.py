"""Each piece of the scorer on its own (``incidents/matching/scoring.py``): the field comparisons,
``compare``, the reasons in words and ``rank``'s household and common-name rules.

Pure functions on plain values; the engine tests (``test_matching.py``) show the same rules on
persons in the database, the rule tests (``test_scoring_rules.py``) the weights' constraints.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.matching import scoring
from incidents.matching.scoring import (
    DAY_MONTH_SWAP,
    EXACT,
    INITIAL,
    MISMATCH,
    MISSING,
    NICKNAME,
    ONE_DIGIT,
    PARTIAL,
    PHONETIC,
    SAME,
    SAME_POSTCODE,
    SAME_STREET,
    SWAP_AND_DIGIT,
    TRANSPOSED,
    TYPO,
    Evidence,
    NameEvidence,
    Stored,
    Typed,
    Weights,
)
from tests.incidents.test_scoring_rules import evidence

FLAG = 0.5
BORN = date(1988, 7, 4)  # digits 19880704


@pytest.mark.parametrize(
    ("typed", "stored", "level"),
    [
        (BORN, BORN, EXACT),
        (None, BORN, MISSING),
        (BORN, None, MISSING),
        (BORN, date(1970, 1, 1), MISSING),  # a placeholder on record is no date
        (BORN, date(1988, 4, 7), DAY_MONTH_SWAP),
        (BORN, date(1989, 4, 7), SWAP_AND_DIGIT),  # swapped, and a digit of the year
        (BORN, date(1988, 4, 20), MISMATCH),  # the day is the month, not the other way
        (BORN, date(1988, 7, 5), ONE_DIGIT),
        (BORN, date(1898, 7, 4), TRANSPOSED),  # 1988 / 1898: neighbours swapped
        (BORN, date(1889, 7, 4), MISMATCH),  # 1988 / 1889: swapped, not neighbours
        (BORN, date(1988, 7, 13), MISMATCH),  # two neighbours changed, not swapped
        (BORN, date(1488, 7, 5), MISMATCH),  # two apart, one digit moved
        (date(1988, 12, 21), date(9288, 12, 21), MISMATCH),  # 19 / 92: only one side moved
        (date(1988, 12, 21), date(2188, 12, 21), MISMATCH),  # 19 / 21: only the other
        (BORN, date(1977, 1, 1), MISMATCH),
    ],
)
def test_date_of_birth_levels(typed, stored, level):
    assert scoring.dob_level(typed, stored) == level


@pytest.mark.parametrize(
    ("typed", "stored", "result"),
    [
        ({"+447700900123"}, {"+447700900123": "mobile"}, (SAME, "mobile")),
        ({"+441632960000", "+447700900123"}, {"+447700900123": "mobile"}, (SAME, "mobile")),
        ({"+447700900123"}, {"+441632960000": "landline"}, (MISMATCH, "")),
        (set(), {"+447700900123": "mobile"}, (MISSING, "")),
        ({"+447700900123"}, {}, (MISSING, "")),
    ],
)
def test_phone_levels(typed, stored, result):
    assert scoring.phone_level(frozenset(typed), stored) == result


def _typed(**kw: object) -> Typed:
    base = dict(given="", family="", date_of_birth=None, phones=(), postcode="", house="")
    return Typed.from_raw(**{**base, **kw})  # type: ignore[arg-type]


def _stored(*names: tuple[str, str, bool], **kw: object) -> Stored:
    base = dict(person_id=1, dob=None, postcode_key="", house_key="")
    return Stored(**{**base, **kw}, names=list(names))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("postcode", "house", "stored", "level"),
    [
        ("NR3 1HG", "22", ("NR31HG", "22"), SAME),
        ("NR3 1HG", "", ("NR31HG", "22"), SAME_POSTCODE),  # no house number typed
        ("NR3 1HG", "24", ("NR31HG", "22"), SAME_POSTCODE),
        ("NR3 1HG", "22", ("NR31HH", "22"), MISMATCH),
        ("", "22", ("NR31HG", "22"), MISSING),
        ("NR3 1HG", "22", ("", ""), MISSING),  # none on record, or a refuge (read as none)
    ],
)
def test_address_levels(postcode, house, stored, level):
    typed = _typed(postcode=postcode, house=house)
    assert scoring.address_level(typed, _stored(postcode_key=stored[0], house_key=stored[1])) == (
        level
    )


#: On record: 22 Castle Meadow, Norwich NR1 3DE.
ON_RECORD = dict(
    postcode_key="NR13DE", house_key="22", street_key="castlemeadow", town_key="norwich"
)


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        # The postcode mistyped; house, street and town right: the same home.
        (dict(postcode="NR1 3ED", house="22", street="Castle Meadow", town="Norwich"), SAME_STREET),
        # No postcode typed at all: the same.
        (dict(postcode="", house="22", street="Castle Mdw", town="NORWICH"), SAME_STREET),
        # The street spelt with a slip, the town left out but the postcode district agrees.
        (dict(postcode="NR1 3ED", house="22", street="Castle Meadw"), SAME_STREET),
        # The town spelt with a slip too (a letter missed, two swapped), another district.
        (dict(postcode="IP1 3ED", house="22", street="Castle Meadow", town="Norwch"), SAME_STREET),
        (dict(postcode="IP1 3ED", house="22", street="Castle Meadow", town="Nrowich"), SAME_STREET),
        # Another town's Castle Meadow (and another district): not the same home.
        (dict(postcode="IP1 3DE", house="22", street="Castle Meadow", town="Ipswich"), MISMATCH),
        # Two slips in the town is another town; so is one in a name shorter than five letters.
        (dict(postcode="IP1 3ED", house="22", street="Castle Meadow", town="Nrowch"), MISMATCH),
        # No town and no postcode: a street name alone is in many towns.
        (dict(postcode="", house="22", street="Castle Meadow"), MISSING),
        # Another house in the street, or another street.
        (dict(postcode="NR1 3ED", house="24", street="Castle Meadow", town="Norwich"), MISMATCH),
        (dict(postcode="NR1 3ED", house="22", street="Castle Street", town="Norwich"), MISMATCH),
        # No street typed: as before, the postcode decides.
        (dict(postcode="NR1 3ED", house="22", town="Norwich"), MISMATCH),
        # The postcode agreeing still comes first.
        (dict(postcode="NR1 3DE", house="22", street="Elm Hill", town="Norwich"), SAME),
    ],
)
def test_the_same_house_and_street_when_the_postcode_disagrees(typed, level):
    assert scoring.address_level(_typed(**typed), _stored(**ON_RECORD)) == level


def test_a_short_town_a_letter_apart_is_another_town():
    stored = _stored(postcode_key="BN33AA", house_key="4", street_key="churchroad", town_key="hove")
    typed = _typed(postcode="SO1 1AA", house="4", street="Church Road", town="Hive")
    assert scoring.address_level(typed, stored) == MISMATCH
    assert scoring.address_level(replace(typed, town_key="hove"), stored) == SAME_STREET


def test_a_refuge_address_read_as_none_gives_no_street_either():
    typed = _typed(postcode="NR1 3ED", house="22", street="Castle Meadow", town="Norwich")
    assert scoring.address_level(typed, _stored()) == MISSING


def test_compare_tries_each_name_both_ways_round():
    typed = _typed(given="John", family="Smith")
    got = scoring.compare(typed, _stored(("Smith", "John", False)))
    assert got.names == (
        NameEvidence(MISMATCH, MISMATCH, False, False, "Smith", "John"),
        NameEvidence(EXACT, EXACT, True, False, "Smith", "John"),
    )


def test_compare_tries_one_name_typed_in_either_box():
    """A surname typed as the given name (one name only) is compared with the surnames too."""
    one_name = scoring.compare(_typed(given="Smith"), _stored(("John", "Smith", True)))
    assert one_name.names == (
        NameEvidence(MISMATCH, MISSING, False, True, "John", "Smith"),
        NameEvidence(MISSING, EXACT, True, True, "John", "Smith"),
    )
    assert scoring.best_name(one_name).family == EXACT
    family_only = scoring.compare(_typed(family="John"), _stored(("John", "Smith", True)))
    assert scoring.best_name(family_only) == NameEvidence(
        EXACT, MISSING, True, True, "John", "Smith"
    )


def test_compare_does_not_swap_a_name_equal_both_ways():
    same_both_ways = scoring.compare(_typed(given="Lee", family="Lee"), _stored(("Lee", "Lee", 1)))
    assert [n.swapped for n in same_both_ways.names] == [False]


def test_compare_reads_a_person_with_no_name_as_names_unknown():
    got = scoring.compare(_typed(given="John", family="Smith"), _stored())
    assert got.names == (NameEvidence(MISSING, MISSING, False, True, "", ""),)


@pytest.mark.parametrize(
    ("sharing", "words"),
    [(2, "1 other person found with this name"), (3, "2 other people found with this name")],
)
def test_shared_name_reason(sharing, words):
    assert scoring.shared_name_reason(sharing) == words


@pytest.mark.parametrize(
    ("given", "family", "could"),
    [
        (EXACT, EXACT, True),
        (NICKNAME, MISSING, True),
        (MISSING, TYPO, True),
        (MISSING, MISSING, False),
        (EXACT, MISMATCH, False),
        (INITIAL, EXACT, False),
    ],
)
def test_a_candidate_could_carry_the_typed_name(given, family, could):
    name = NameEvidence(given, family, False, True, "A", "B")
    assert scoring._could_be_the_name(name) is could


# --- Reasons in words ---------------------------------------------------------------------------

TYPED = _typed(given="John", family="Smith")


def _reasons(ev: Evidence, typed: Typed = TYPED, w: Weights = scoring.DEFAULT_WEIGHTS) -> list:
    return scoring.reasons(ev, typed, w)


def _named(given: str, family: str, stored: tuple[str, str], **kw: object) -> Evidence:
    name = NameEvidence(given, family, False, True, *stored)
    return replace(evidence(**kw), names=(name,))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ev", "words"),
    [
        (_named(EXACT, EXACT, ("John", "Smith")), ["same name"]),
        (
            _named(EXACT, TYPO, ("John", "Smyth")),
            ["name spelt similarly: John Smith / John Smyth", "same given name"],
        ),
        (
            _named(EXACT, PARTIAL, ("John", "Smith-Jones")),
            ["name spelt similarly: John Smith / John Smith-Jones", "same given name"],
        ),
        (
            _named(PHONETIC, EXACT, ("Jon", "Smith")),
            ["name sounds alike: John Smith / Jon Smith", "same family name"],
        ),
        (
            _named(INITIAL, EXACT, ("J", "Smith")),
            ["initial matches: John / J", "same family name"],
        ),
        (
            _named(MISMATCH, EXACT, ("Liam", "Smith")),
            ["same family name", "different given name: John / Liam"],
        ),
        (
            _named(EXACT, MISMATCH, ("John", "Brown")),
            ["same given name", "different family name: Smith / Brown"],
        ),
        (
            _named(EXACT, EXACT, ("John", "Smith"), dob=TRANSPOSED, address=SAME_POSTCODE),
            ["same name", "date of birth with two digits swapped", "same postcode"],
        ),
        (
            _named(EXACT, EXACT, ("John", "Smith"), dob=MISMATCH, address=SAME),
            ["same name", "same postcode and house number", "different date of birth"],
        ),
    ],
)
def test_reasons_say_what_agrees_then_what_does_not(ev, words):
    assert _reasons(ev) == words


def test_reasons_name_the_kind_of_phone():
    mobile = replace(evidence(phone=SAME), phone_kind="mobile")
    landline = replace(evidence(phone=SAME), phone_kind="landline")
    assert _reasons(mobile)[0] == "same mobile number"
    assert _reasons(landline)[0] == "same phone number"


def test_reasons_of_a_swapped_name_quote_the_names_as_typed():
    typed = _typed(given="Smith", family="Bill")
    name = NameEvidence(NICKNAME, EXACT, True, True, "William", "Smith")
    ev = replace(evidence(), names=(name,))
    assert _reasons(ev, typed) == [
        "first and last name swapped",
        "nickname: Bill / William",
        "same family name",
    ]


def test_reasons_follow_the_best_name_under_the_weights_given():
    given_only = NameEvidence(EXACT, MISMATCH, False, True, "John", "Brown")
    family_only = NameEvidence(MISMATCH, EXACT, False, True, "Liam", "Smith")
    ev = replace(evidence(), names=(given_only, family_only))
    surname_heavy = Weights(family={**scoring.DEFAULT_WEIGHTS.family, EXACT: 10.0})
    assert "same family name" in _reasons(ev, w=surname_heavy)
    assert "same given name" in _reasons(ev)


# --- Ranking --------------------------------------------------------------------------------------


def _rank(pairs: list[tuple[Stored, Evidence]], **kw: object) -> list[scoring.Scored]:
    options = {"flag_threshold": FLAG, "min_score": 0.01, "limit": 10, **kw}
    return scoring.rank(pairs, **options)  # type: ignore[arg-type]


STRONG = evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT)  # could carry the name


def test_a_name_one_candidate_carries_takes_nothing_off():
    [only] = _rank([(_stored(person_id=1), STRONG)])
    expected = scoring.score(STRONG, flag_threshold=FLAG)
    assert (only.score, only.sharing_the_name) == (round(expected, 4), 0)
    assert only.score != round(expected, 5)  # rounded to four places, as shown


def test_a_name_several_candidates_carry_is_weaker_for_each_and_says_so():
    by_phone = evidence(given=MISMATCH, family=EXACT, phone=SAME)  # another given name
    ranked = _rank(
        [
            (_stored(person_id=1), STRONG),
            (_stored(person_id=2), STRONG),
            (_stored(person_id=3), by_phone),
        ]
    )
    by_id = {s.person_id: s for s in ranked}
    shared = scoring.score(STRONG, flag_threshold=FLAG, name_shared_by=math.log(2))
    assert (by_id[1].score, by_id[1].sharing_the_name) == (round(shared, 4), 2)
    alone = scoring.score(by_phone, flag_threshold=FLAG)
    assert (by_id[3].score, by_id[3].sharing_the_name) == (round(alone, 4), 0)


def test_rank_scores_with_the_weights_given():
    heavy = Weights(dob={**scoring.DEFAULT_WEIGHTS.dob, ONE_DIGIT: 9.0})
    [only] = _rank([(_stored(), STRONG)], w=heavy)
    assert only.score == round(scoring.score(STRONG, heavy, flag_threshold=FLAG), 4)


def test_rank_drops_a_candidate_with_nothing_about_the_individual_under_its_weights():
    given_only = NameEvidence(EXACT, MISMATCH, False, True, "John", "Brown")
    family_only = NameEvidence(MISMATCH, EXACT, False, True, "Liam", "Smith")
    ev = replace(evidence(address=SAME), names=(given_only, family_only))
    surname_heavy = Weights(family={**scoring.DEFAULT_WEIGHTS.family, EXACT: 10.0})
    assert _rank([(_stored(), ev)], w=surname_heavy) == []  # best name: the surname alone
    assert len(_rank([(_stored(), ev)])) == 1


def test_one_flag_per_household_and_the_others_keep_their_own_scores():
    home = {"postcode_key": "NR31HG", "house_key": "22"}
    best = evidence(given=EXACT, family=EXACT, dob=EXACT)
    twin = evidence(given=MISMATCH, family=EXACT, dob=EXACT, address=SAME)
    weak = evidence(given=MISMATCH, family=EXACT, dob=ONE_DIGIT)
    ranked = _rank(
        [
            (_stored(person_id=1, **home), best),
            (_stored(person_id=2, **home), twin),
            (_stored(person_id=3, **home), weak),
        ]
    )
    by_id = {s.person_id: s for s in ranked}
    assert (by_id[1].flagged, by_id[1].outranked_at_address) == (True, False)
    assert (by_id[2].flagged, by_id[2].outranked_at_address, by_id[2].score) == (
        False,
        True,
        0.49,
    )
    weak_score = round(scoring.score(weak, flag_threshold=FLAG), 4)
    assert weak_score < 0.49
    assert (by_id[3].score, by_id[3].outranked_at_address) == (weak_score, False)


def test_without_a_full_address_two_strong_candidates_are_not_one_household():
    best = evidence(given=EXACT, family=EXACT, dob=EXACT)
    for home in ({"house_key": "22"}, {"postcode_key": "NR31HG"}):
        ranked = _rank([(_stored(person_id=1, **home), best), (_stored(person_id=2, **home), best)])
        assert [s.flagged for s in ranked] == [True, True]


def test_the_flag_and_the_floor_include_their_own_value():
    best = evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT)
    # Two candidates carry the name, so each score has log 2 taken off.
    exact = round(scoring.score(best, flag_threshold=FLAG, name_shared_by=math.log(2)), 4)
    home = {"postcode_key": "NR31HG", "house_key": "22"}
    pair = [(_stored(person_id=1, **home), best), (_stored(person_id=2, **home), best)]
    ranked = _rank(pair, flag_threshold=exact)
    assert [(s.flagged, s.outranked_at_address) for s in ranked] == [(True, False), (False, True)]
    assert ranked[1].score == round(exact - 0.01, 4)
    alone = round(scoring.score(best, flag_threshold=FLAG), 4)
    assert len(_rank([(_stored(), best)], min_score=alone)) == 1


def test_the_outranked_score_is_rounded_like_the_others():
    best = evidence(given=EXACT, family=EXACT, dob=EXACT)
    home = {"postcode_key": "NR31HG", "house_key": "22"}
    pair = [(_stored(person_id=1, **home), best), (_stored(person_id=2, **home), best)]
    ranked = _rank(pair, flag_threshold=0.123456)
    assert ranked[1].score == 0.1135


def test_typed_values_are_normalised_once():
    typed = Typed.from_raw(
        given="  Zoë ",
        family=" O'Brien",
        date_of_birth=date(1900, 1, 1),
        phones=("07700 900123", "12"),
        postcode="nr3 1hg",
        house=" ",
    )
    assert typed == Typed(
        given="Zoë",
        family="O'Brien",
        given_folded="zoe",
        family_folded="obrien",
        dob=None,  # a placeholder is no date
        phones=frozenset({"+447700900123"}),  # a fragment is no number
        postcode_key="NR31HG",
        house_key="",
    )
    assert Typed.from_raw(
        given="", family="", date_of_birth=BORN, phones=(), postcode="", house="12a"
    ) == Typed("", "", "", "", BORN, frozenset(), "", "12A")


def test_a_namesake_with_another_date_of_birth_scores_0_076():
    # Issue 15: with the date-of-birth weight's sign flipped, this namesake scored 0.62.
    namesake = evidence(given=EXACT, family=EXACT, dob=MISMATCH)
    assert scoring.score(namesake, flag_threshold=FLAG) == pytest.approx(1 / (1 + math.exp(2.5)))


def test_score_reads_the_best_name_and_the_cap_under_the_weights_given():
    given_only = NameEvidence(EXACT, MISMATCH, False, True, "John", "Brown")
    family_only = NameEvidence(MISMATCH, EXACT, False, True, "Liam", "Smith")
    ev = replace(evidence(address=SAME), names=(given_only, family_only))
    surname_heavy = Weights(family={**scoring.DEFAULT_WEIGHTS.family, EXACT: 10.0})
    # Default weights: the given name is the best name, about the individual, not capped.
    assert scoring.score(ev, flag_threshold=FLAG) == pytest.approx(1 / (1 + math.exp(2)))
    # Surname-heavy: the surname is the best name, household evidence only, capped.
    assert scoring.score(ev, surname_heavy, flag_threshold=FLAG) == pytest.approx(0.49)
    assert not scoring.about_the_individual(ev, surname_heavy)
    assert scoring.about_the_individual(ev)


def test_the_common_name_deduction_reads_each_best_name_under_the_weights_given():
    heavy_given = Weights(given={**scoring.DEFAULT_WEIGHTS.given, EXACT: 10.0})
    given_only = NameEvidence(EXACT, MISMATCH, False, True, "John", "Brown")  # not the name
    typo = NameEvidence(MISSING, TYPO, False, True, "", "Smyth")  # could be the name
    special = replace(evidence(dob=ONE_DIGIT), names=(given_only, typo))
    ranked = _rank(
        [
            (_stored(person_id=1), STRONG),
            (_stored(person_id=2), STRONG),
            (_stored(person_id=3), special),
        ],
        w=heavy_given,
    )
    third = next(s for s in ranked if s.person_id == 3)
    # Under these weights its best name is "John Brown", which cannot be the typed name.
    assert third.sharing_the_name == 0
    assert third.score == round(scoring.score(special, heavy_given, flag_threshold=FLAG), 4)


@pytest.mark.parametrize(
    ("a", "b", "typo"),
    [
        ("mak", "mark", True),  # three letters: one missed
        ("seu", "sue", True),  # three letters: two swapped
        ("jon", "jan", False),  # three letters: one changed is another name
        ("tom", "tim", False),
        ("abc", "xbc", False),  # three letters: the first must agree
        ("mak", "mxyk", False),  # three letters: two edits
        ("jone", "jane", True),  # four or more: one edit
        ("smith", "smyth", True),
        ("jones", "jnoes", True),  # a transposition is one edit
        ("abcde", "abxye", False),  # two edits for a short name
        ("caroline", "karolina", True),  # eight or more: two edits
        ("abcdefgh", "xbcdexgx", False),  # three
        ("chris", "christopher", True),  # one cut short
        ("kat", "katherine", True),
        ("ab", "abc", False),  # too short to say
    ],
)
def test_a_typo_is_one_edit_two_for_long_names_or_a_name_cut_short(a, b, typo):
    assert scoring._typo(a, b) is typo
    assert scoring._typo(b, a) is typo


# --- Found by ``make mutate MODULE=incidents/matching/scoring.py`` (30 November) ---------------


def test_a_single_name_typed_is_compared_in_both_boxes_even_when_they_hold_the_same_name():
    ev = scoring.compare(_typed(given="Lee"), _stored(("Lee", "Lee", True)))
    assert [(n.given, n.family, n.swapped) for n in ev.names] == [
        (EXACT, MISSING, False),
        (MISSING, EXACT, True),
    ]


@pytest.mark.parametrize(
    ("born", "common"),
    [(date(1980, 1, 1), True), (date(1980, 2, 1), False), (date(1980, 1, 2), False)],
)
def test_only_1_january_is_a_common_date_of_birth_on_its_own(born, common):
    ev = scoring.compare(_typed(given="Ann", date_of_birth=born), _stored(dob=born))
    assert (ev.dob, ev.dob_common) == (EXACT, common)
    measured = scoring.compare(
        _typed(given="Ann", date_of_birth=born, common_date=True), _stored(dob=born)
    )
    assert measured.dob_common is True


@pytest.mark.parametrize(
    ("stored_postcode", "shared"), [("NR12AB", "NR12AB"), ("NR31HG", ""), ("", "")]
)
def test_evidence_carries_the_postcode_only_when_both_sides_share_it(stored_postcode, shared):
    typed = _typed(given="Ann", postcode="nr1 2ab", house="12")
    ev = scoring.compare(typed, _stored(postcode_key=stored_postcode, house_key="12"))
    assert ev.postcode_key == shared


@pytest.mark.parametrize(
    ("street", "level"),
    [
        ("Oak Wya", SAME_STREET),  # six letters each, two swapped: a slip
        ("Oak Wa", MISMATCH),  # five letters: too short to allow a slip
        ("Oak Way", SAME_STREET),
    ],
)
def test_a_street_of_six_letters_allows_one_slip(street, level):
    stored = _stored(postcode_key="NR13DE", house_key="7", street_key="oakway", town_key="norwich")
    typed = _typed(postcode="NR9 9ZZ", house="7", street=street, town="Norwich")
    assert scoring.address_level(typed, stored) == level


def test_records_without_a_house_number_are_not_one_person_by_postcode_alone():
    alike = dict(dob=None, postcode_key="NR31HG")
    no_house = [
        _stored(person_id=1, house_key="", **alike),
        _stored(person_id=2, house_key="", **alike),
    ]
    assert scoring.distinct_people(no_house) == 2
    at_22 = [
        _stored(person_id=1, house_key="22", **alike),
        _stored(person_id=2, house_key="22", **alike),
    ]
    assert scoring.distinct_people(at_22) == 1


def _same_person(a: Stored, b: Stored) -> bool:
    """The definition: the same date of birth (or day and month swapped), or one has none and
    they live at the same address."""
    if a.dob is not None and b.dob is not None:
        return scoring.dob_level(a.dob, b.dob) in (EXACT, DAY_MONTH_SWAP)
    return bool(a.postcode_key and a.house_key) and (a.postcode_key, a.house_key) == (
        b.postcode_key,
        b.house_key,
    )


def _groups_pair_by_pair(records: list[Stored]) -> int:
    """The definition: records joined, transitively, wherever ``_same_person`` says so."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(records):
        for j, b in enumerate(records):
            if _same_person(a, b):
                parent[root(i)] = root(j)
    return len({root(i) for i in range(len(records))})


_DATES = [
    None, date(1980, 3, 4), date(1980, 4, 3), date(1981, 3, 4), date(1980, 3, 5),
    date(1980, 5, 5), date(1900, 1, 1), date(1970, 1, 1),
]  # fmt: skip
_HOMES = [
    ("", ""),
    ("NR31HG", ""),
    ("", "22"),
    ("NR31HG", "22"),
    ("NR31HG", "24"),
    ("IP12AB", "22"),
]


@given(
    st.lists(st.tuples(st.sampled_from(_DATES), st.sampled_from(_HOMES)), min_size=0, max_size=12)
)
def test_distinct_people_joins_exactly_the_records_same_person_would(rows):
    """The one-pass count groups records as comparing every pair with ``_same_person`` does:
    the same date or day and month swapped (never a placeholder), or no date and one home."""
    records = [
        _stored(person_id=i, dob=dob, postcode_key=postcode, house_key=house)
        for i, (dob, (postcode, house)) in enumerate(rows)
    ]
    assert scoring.distinct_people(records) == _groups_pair_by_pair(records)


def test_the_common_name_count_reads_each_best_name_under_the_weights_given():
    heavy_given = Weights(given={**scoring.DEFAULT_WEIGHTS.given, EXACT: 10.0})
    given_only = NameEvidence(EXACT, MISMATCH, False, True, "John", "Brown")  # not the name
    typo = NameEvidence(MISSING, TYPO, False, True, "", "Smyth")  # the name, by default weights
    special = replace(evidence(dob=ONE_DIGIT), names=(given_only, typo))
    pairs = [(_stored(person_id=i), STRONG) for i in (1, 2)] + [(_stored(person_id=3), special)]
    first = next(s for s in _rank(pairs, w=heavy_given) if s.person_id == 1)
    # Two candidates carry the name under these weights (not three): log 2 off each.
    shared = scoring.score(STRONG, heavy_given, flag_threshold=FLAG, name_shared_by=math.log(2))
    assert (first.sharing_the_name, first.score) == (2, round(shared, 4))


def test_the_reason_for_a_date_with_day_and_month_swapped_and_a_digit_off():
    ev = _named(EXACT, EXACT, ("John", "Smith"), dob=SWAP_AND_DIGIT)
    assert _reasons(ev) == [
        "same name",
        "date of birth close: day and month swapped, one digit different",
    ]


# A trained model (issue 14): term-frequency adjustments on exact agreements.

TF = {"given": {"jane": -2.0}, "postcode": {"NR12AB": 1.0}}
TRAINED = Weights(tf=TF, tf_rare={"given": 1.5, "postcode": 0.25})


def test_a_trained_table_gives_listed_values_their_own_weight_and_others_the_rare_one():
    assert TRAINED.tf_weight("given", "jane") == -2.0
    assert TRAINED.tf_weight("given", "zelda") == 1.5
    assert TRAINED.tf_weight("given", "") == 0.0
    assert TRAINED.tf_weight("family", "smith") == 0.0  # no table for the column
    # A rare value of a column with no listed values at all.
    assert Weights(tf_rare={"postcode": 0.7}).tf_weight("postcode", "NR12AB") == 0.7


def _logistic(total: float) -> float:
    return 1 / (1 + math.exp(-total))


@pytest.mark.parametrize(
    ("stored_given", "given", "adjustment"),
    [("Jane", EXACT, -2.0), ("Zelda", EXACT, 1.5), ("Jane", PHONETIC, 0.0)],
)
def test_a_trained_model_adjusts_only_an_exact_given_name_by_how_common_it_is(
    stored_given, given, adjustment
):
    name = NameEvidence(given, EXACT, False, True, stored_given, "Smith")
    ev = replace(evidence(dob=EXACT), names=(name,))
    w = TRAINED
    expected = w.prior + w.given[given] + w.family[EXACT] + adjustment + w.dob[EXACT]
    assert scoring.score(ev, w, flag_threshold=FLAG) == pytest.approx(_logistic(expected))


@pytest.mark.parametrize(
    ("address", "postcode_key", "adjustment"),
    [(SAME, "NR12AB", 1.0), (SAME_POSTCODE, "NR99ZZ", 0.25), (MISMATCH, "NR12AB", 0.0)],
)
def test_a_trained_model_adjusts_an_agreeing_postcode_by_how_common_it_is(
    address, postcode_key, adjustment
):
    ev = replace(
        evidence(given=EXACT, family=EXACT, dob=EXACT, address=address), postcode_key=postcode_key
    )
    w = Weights(tf=TF, tf_rare={"postcode": 0.25})
    expected = w.prior + w.given[EXACT] + w.family[EXACT] + w.dob[EXACT] + w.address[address]
    assert scoring.score(ev, w, flag_threshold=FLAG) == pytest.approx(
        _logistic(expected + adjustment)
    )


@pytest.mark.parametrize("column", ["given", "family"])
def test_a_model_with_name_frequencies_takes_nothing_more_off_a_shared_name(column):
    w = Weights(tf_rare={column: 0.0})
    ranked = _rank([(_stored(person_id=1), STRONG), (_stored(person_id=2), STRONG)], w=w)
    alone = round(scoring.score(STRONG, w, flag_threshold=FLAG), 4)
    assert [(s.score, s.sharing_the_name) for s in ranked] == [(alone, 0), (alone, 0)]


def test_one_flag_per_household_includes_a_score_exactly_at_the_threshold():
    best = evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT)
    # No date of birth and one home: the two records are one person, so no name is shared.
    exact = round(scoring.score(best, flag_threshold=FLAG), 4)
    home = {"postcode_key": "NR31HG", "house_key": "22"}
    pair = [(_stored(person_id=1, **home), best), (_stored(person_id=2, **home), best)]
    ranked = _rank(pair, flag_threshold=exact)
    assert [(s.score, s.flagged, s.outranked_at_address) for s in ranked] == [
        (exact, True, False),
        (round(exact - 0.01, 4), False, True),
    ]

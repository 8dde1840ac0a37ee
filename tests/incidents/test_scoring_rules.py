"""The constraints written in ``scoring.Weights``'s docstring, checked over the scorer itself.

No database: ``scoring.score`` is a pure function of the comparison levels, so every combination
of levels is enumerated (a table of about 12,000 cases, well under a second), and Hypothesis
varies what is continuous: the weights (for the rules that must hold whatever the weights) and
the common-name deduction. These tests fail if a weight changes sign or a rule is dropped; the
engine tests (``test_matching.py``) show the same rules on persons in the database.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import replace

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
    TRANSPOSED,
    TYPO,
    Evidence,
    NameEvidence,
    Weights,
)

FLAG = 0.5  # DAPOLICE_MATCH_FLAG_THRESHOLD's default
W = scoring.DEFAULT_WEIGHTS

GIVEN_LEVELS = (EXACT, PHONETIC, NICKNAME, TYPO, INITIAL, MISMATCH, MISSING)
FAMILY_LEVELS = (EXACT, PHONETIC, TYPO, PARTIAL, MISMATCH, MISSING)
DOB_LEVELS = (EXACT, DAY_MONTH_SWAP, ONE_DIGIT, TRANSPOSED, MISMATCH, MISSING)
PHONE_LEVELS = (SAME, MISMATCH, MISSING)
ADDRESS_LEVELS = (SAME, SAME_STREET, SAME_POSTCODE, MISMATCH, MISSING)

GIVEN_AGREES = (EXACT, PHONETIC, NICKNAME, TYPO)
FAMILY_AGREES = (EXACT, PHONETIC, TYPO, PARTIAL)
DOB_AGREES = (EXACT, DAY_MONTH_SWAP, ONE_DIGIT, TRANSPOSED)
#: Nothing, or evidence against: what "alone" leaves for the other fields.
NOT_FOR = {"dob": (MISSING, MISMATCH), "phone": (MISSING, MISMATCH), "address": (MISSING, MISMATCH)}

#: Each field's levels from weakest to strongest evidence (ties share a rank).
ORDER = {
    "given": [(MISMATCH,), (MISSING,), (INITIAL,), (NICKNAME, TYPO), (PHONETIC,), (EXACT,)],
    "family": [(MISMATCH,), (MISSING,), (PARTIAL,), (TYPO,), (PHONETIC,), (EXACT,)],
    "dob": [(MISMATCH,), (MISSING,), (ONE_DIGIT, TRANSPOSED), (DAY_MONTH_SWAP,), (EXACT,)],
    "phone": [(MISMATCH,), (MISSING,), (SAME,)],
    "address": [(MISMATCH,), (MISSING,), (SAME_POSTCODE,), (SAME_STREET,), (SAME,)],
}


def evidence(
    given: str = MISSING,
    family: str = MISSING,
    dob: str = MISSING,
    phone: str = MISSING,
    address: str = MISSING,
    *,
    swapped: bool = False,
    primary: bool = True,
) -> Evidence:
    name = NameEvidence(
        given=given,
        family=family,
        swapped=swapped,
        primary=primary,
        stored_given="Stored",
        stored_family="Person",
    )
    return Evidence(names=(name,), dob=dob, phone=phone, phone_kind="mobile", address=address)


def score(ev: Evidence, w: Weights = W, shared: float = 0.0) -> float:
    return scoring.score(ev, w, flag_threshold=FLAG, name_shared_by=shared)


def every_evidence() -> Iterator[tuple[dict[str, str], bool, bool]]:
    for levels in itertools.product(
        GIVEN_LEVELS, FAMILY_LEVELS, DOB_LEVELS, PHONE_LEVELS, ADDRESS_LEVELS
    ):
        fields = dict(zip(("given", "family", "dob", "phone", "address"), levels, strict=True))
        for swapped, primary in itertools.product((False, True), repeat=2):
            yield fields, swapped, primary


ALL = list(every_evidence())


# --- "any two strong agreements flag, and three flag despite one strong disagreement" --------

STRONG = {
    "name": {"given": EXACT, "family": EXACT},
    "dob": {"dob": EXACT},
    "phone": {"phone": SAME},
    "address": {"address": SAME},
}
#: A false first name, a new surname, a wrong date of birth.
DISAGREEMENTS = {
    "false first name": {"given": MISMATCH},
    "new surname": {"family": MISMATCH},
    "wrong date of birth": {"dob": MISMATCH},
}


@pytest.mark.parametrize("pair", list(itertools.combinations(STRONG, 2)), ids="+".join)
def test_any_two_strong_agreements_flag(pair):
    fields = {k: v for part in pair for k, v in STRONG[part].items()}
    assert score(evidence(**fields)) >= FLAG


def _three_with_one_against() -> Iterator[tuple[tuple[str, ...], str]]:
    for three in itertools.combinations(STRONG, 3):
        for against, fields in DISAGREEMENTS.items():
            agreed = {k for part in three for k in STRONG[part]}
            if not agreed & set(fields):  # the disagreement is about another field
                yield three, against


@pytest.mark.parametrize(
    ("three", "against"),
    list(_three_with_one_against()),
    ids=lambda v: "+".join(v) if isinstance(v, tuple) else v,
)
def test_three_strong_agreements_flag_despite_one_strong_disagreement(three, against):
    fields = {k: v for part in three for k, v in STRONG[part].items()}
    fields.update(DISAGREEMENTS[against])
    assert score(evidence(**fields)) >= FLAG


def test_every_combination_of_three_agreements_and_a_disagreement_is_checked():
    # Name, phone, address with a wrong date; date, phone, address with a false first name or
    # a new surname. (A triple holding both name and date leaves no strong field to disagree.)
    assert len(list(_three_with_one_against())) == 3


# --- "a name alone never flags, nor a name with a different date of birth (a namesake), nor
# given name and date of birth alone" -----------------------------------------------------------


def test_a_name_alone_never_flags():
    cases = [
        (fields, swapped, primary)
        for fields, swapped, primary in ALL
        if fields["given"] in GIVEN_AGREES
        and fields["family"] in FAMILY_AGREES
        and all(fields[k] in NOT_FOR[k] for k in NOT_FOR)
    ]
    assert len(cases) == 4 * 4 * 2 * 2 * 2 * 4  # names x (dob, phone, address) x swapped, alias
    flagged = [c for c in cases if score(evidence(**c[0], swapped=c[1], primary=c[2])) >= FLAG]
    assert flagged == []


def test_a_namesake_with_a_different_date_of_birth_scores_below_the_same_name_alone():
    # The date of birth disagreeing is evidence against: it must lower the score, never raise it.
    same_name = evidence(given=EXACT, family=EXACT)
    namesake = evidence(given=EXACT, family=EXACT, dob=MISMATCH)
    assert score(namesake) < score(same_name) < FLAG


def test_given_name_and_date_of_birth_alone_never_flag_when_the_surname_differs():
    cases = [
        (fields, swapped, primary)
        for fields, swapped, primary in ALL
        if fields["given"] in GIVEN_AGREES
        and fields["family"] == MISMATCH
        and fields["dob"] in DOB_AGREES
        and fields["phone"] in NOT_FOR["phone"]
        and fields["address"] in NOT_FOR["address"]
    ]
    assert cases
    flagged = [c for c in cases if score(evidence(**c[0], swapped=c[1], primary=c[2])) >= FLAG]
    assert flagged == []


def test_given_name_and_date_of_birth_alone_never_flag_when_no_surname_is_typed():
    assert score(evidence(given=EXACT, dob=EXACT)) < FLAG


def test_no_surname_on_one_side_with_only_a_given_name_and_a_date_never_flags():
    """Every level of every other field that says nothing more (no phone, no postcode)."""
    cases = [
        (fields, swapped, primary)
        for fields, swapped, primary in ALL
        if fields["family"] == MISSING
        and fields["phone"] != SAME
        and fields["address"] not in (SAME, SAME_STREET, SAME_POSTCODE)
    ]
    assert len(cases) > 100
    flagged = [c for c in cases if score(evidence(**c[0], swapped=c[1], primary=c[2])) >= FLAG]
    assert flagged == []


def test_a_surname_only_like_the_one_typed_and_a_date_never_flag_without_a_given_name():
    """No given name on one side, a surname that sounds alike, has a slip or holds the other
    (Boyls / Boyle): with a date of birth and nothing else that agrees, below the flag, at
    every level of the other fields and both ways round."""
    cases = [
        (fields, swapped, primary)
        for fields, swapped, primary in ALL
        if fields["given"] == MISSING
        and fields["family"] in (PHONETIC, TYPO, PARTIAL)
        and fields["phone"] != SAME
        and fields["address"] not in (SAME, SAME_STREET, SAME_POSTCODE)
    ]
    assert len(cases) > 50
    flagged = [c for c in cases if score(evidence(**c[0], swapped=c[1], primary=c[2])) >= FLAG]
    assert flagged == []
    assert scoring.similar_surname_and_date_alone(evidence(family=TYPO, dob=EXACT))


@pytest.mark.parametrize(
    ("fields", "flags"),
    [
        ({"family": EXACT, "dob": EXACT}, True),  # the same surname exactly: still flags
        ({"family": PHONETIC, "dob": EXACT, "phone": SAME}, True),  # with the phone as well
        ({"family": TYPO, "dob": EXACT, "address": SAME_POSTCODE}, True),  # or the postcode
        ({"family": PHONETIC, "dob": EXACT, "given": EXACT}, True),  # or the given name
        ({"family": PHONETIC, "dob": EXACT}, False),
        ({"family": PARTIAL, "dob": EXACT, "address": MISMATCH}, False),
    ],
)
def test_a_similar_surname_and_date_flag_only_with_something_more(fields, flags):
    assert (score(evidence(**fields)) >= FLAG) is flags


@pytest.mark.parametrize("more", [{"phone": SAME}, {"address": SAME}, {"address": SAME_POSTCODE}])
def test_a_given_name_and_date_of_birth_flag_with_a_phone_or_postcode_as_well(more):
    assert score(evidence(given=EXACT, dob=EXACT, **more)) >= FLAG


def test_1_january_weighs_less_than_another_date_of_birth():
    """Year-only dates are recorded as 1 January: that date agreeing says less."""
    other = evidence(given=EXACT, family=EXACT, dob=EXACT)
    new_year = scoring.Evidence(
        names=other.names, dob=EXACT, phone=MISSING, phone_kind="", address=MISSING,
        dob_common=True,
    )  # fmt: skip
    assert score(new_year) < score(other)
    assert score(new_year) >= FLAG  # a full name and the date still flag


# --- "household evidence alone never flags (the cap in score)" ---------------------------------

HOUSEHOLD = [
    fields
    for fields, swapped, primary in ALL
    if not (swapped or not primary)
    and fields["given"] not in GIVEN_AGREES
    and fields["dob"] not in DOB_AGREES
    and fields["phone"] != SAME
]

weight = st.floats(min_value=-20, max_value=60, allow_nan=False)


@st.composite
def any_weights(draw: st.DrawFn) -> Weights:
    def table(levels: tuple[str, ...]) -> dict[str, float]:
        return {level: draw(weight) for level in levels}

    return Weights(
        prior=draw(weight),
        given=table(GIVEN_LEVELS),
        family=table(FAMILY_LEVELS),
        dob=table(DOB_LEVELS),
        phone=table(PHONE_LEVELS),
        address=table(ADDRESS_LEVELS),
        household_cap=draw(st.floats(min_value=0, max_value=1)),
    )


@given(w=any_weights(), shared=st.floats(min_value=0, max_value=5))
def test_household_evidence_alone_never_flags_whatever_the_weights(w, shared):
    assert HOUSEHOLD
    for fields in HOUSEHOLD:
        value = score(evidence(**fields), w, shared)
        assert value < FLAG
        assert value <= w.household_cap


def test_household_evidence_is_capped_below_the_threshold_it_is_given():
    # The cap follows a force's threshold, not only the 0.5 default.
    ev = evidence(family=EXACT, address=SAME)
    capped = scoring.score(ev, Weights(family={**W.family, EXACT: 40.0}), flag_threshold=0.3)
    assert capped == pytest.approx(0.29)


# --- Evidence points the right way -------------------------------------------------------------


def _stronger_pairs(field: str) -> Iterator[tuple[str, str]]:
    """Each level against those of the next rank up (the order is transitive)."""
    ranks = ORDER[field]
    for lower, higher in itertools.pairwise(ranks):
        yield from itertools.product(lower, higher)


@pytest.mark.parametrize("shared", [0.0, math.log(30)])
@pytest.mark.parametrize("field", list(ORDER))
def test_stronger_evidence_never_lowers_the_score(field, shared):
    """Agreement beats partial agreement beats not known beats disagreement, field by field.

    A weight with its sign flipped (a different date of birth counting *for* a match) breaks it.
    """
    others = {k: v for k, v in ORDER.items() if k != field}
    for weaker, stronger in _stronger_pairs(field):
        for rest in itertools.product(*(sum(ranks, ()) for ranks in others.values())):
            fields = dict(zip(others, rest, strict=True))
            low = score(evidence(**fields, **{field: weaker}), shared=shared)
            high = score(evidence(**fields, **{field: stronger}), shared=shared)
            assert low <= high, (field, weaker, stronger, fields)


def test_disagreeing_is_worse_than_not_knowing_and_agreeing_better():
    """Strictly, on a case where no cap applies: each level's weight has the sign it must."""
    base = {"given": EXACT, "family": EXACT, "dob": EXACT, "phone": MISSING, "address": MISSING}
    for field, ranks in ORDER.items():
        unknown = score(evidence(**{**base, field: MISSING}), shared=4.0)
        against = score(evidence(**{**base, field: MISMATCH}), shared=4.0)
        best = score(evidence(**{**base, field: ranks[-1][0]}), shared=4.0)
        assert against < unknown < best, field


def test_a_swapped_name_and_an_alias_count_a_little_less_than_the_name_as_recorded():
    as_recorded = score(evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT))
    swapped = score(evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT, swapped=True))
    alias = score(evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT, primary=False))
    assert swapped < as_recorded
    assert alias < as_recorded


@given(shared=st.floats(min_value=0.01, max_value=5))
def test_a_shared_name_lowers_the_score(shared):
    ev = evidence(given=EXACT, family=EXACT, dob=ONE_DIGIT)
    assert score(ev, shared=shared) < score(ev)


def test_scores_are_probabilities():
    values = [score(evidence(**f, swapped=s, primary=p)) for f, s, p in ALL]
    assert all(0.0 < v < 1.0 for v in values)


def test_same_home_and_a_different_date_of_birth_is_someone_else_in_the_household():
    """A father and the son named after him: full name and home agree, the date is far off."""
    from dataclasses import replace

    def far(**levels: str) -> Evidence:
        return replace(evidence(**levels), dob_far=True)

    assert score(far(given=EXACT, family=EXACT, dob=MISMATCH, address=SAME)) < FLAG
    cases = [
        c
        for c in ALL
        if c[0]["address"] in (SAME, SAME_STREET)
        and c[0]["dob"] == MISMATCH
        and c[0]["phone"] != SAME
    ]
    assert cases
    assert all(
        score(replace(evidence(**f, swapped=s, primary=p), dob_far=True)) < FLAG
        for f, s, p in cases
    )
    # A phone in common is the individual's: it still flags. So does a date a slip away
    # (two digits wrong): a typed date, not another person's.
    assert score(far(given=EXACT, family=EXACT, dob=MISMATCH, address=SAME, phone=SAME)) >= FLAG
    assert score(evidence(given=EXACT, family=EXACT, dob=MISMATCH, address=SAME)) >= FLAG


def test_dates_more_than_two_digits_apart_are_far():
    from datetime import date

    typed = scoring.Typed.from_raw(
        given="John", family="Smith", date_of_birth=date(1988, 7, 4), phones=(), postcode="",
        house="",
    )  # fmt: skip

    def far(stored: date) -> bool:
        return scoring.compare(typed, scoring.Stored(1, stored, "", "")).dob_far

    assert far(date(1962, 3, 30))  # the father
    assert not far(date(1988, 7, 13))  # two digits: a slip


def test_names_alone_never_flag_even_with_weights_that_would():
    """Issue 14: a trained model's term-frequency weights can make a rare name alone reach
    the flag; two people share a name, however rare, so the cap is a rule."""
    from dataclasses import replace
    from datetime import date

    typed = scoring.Typed.from_raw(
        given="Zebedee", family="Quarrington", date_of_birth=None, phones=(), postcode="",
        house="",
    )  # fmt: skip
    stored = scoring.Stored(person_id=1, dob=None, postcode_key="", house_key="")
    stored.names = [("Zebedee", "Quarrington", True)]
    evidence = scoring.compare(typed, stored)
    generous = replace(scoring.DEFAULT_WEIGHTS, prior=0.0)
    assert scoring.score(evidence, generous, flag_threshold=0.5) < 0.5
    # With the date of birth agreeing too it flags.
    typed_dob = replace(typed, dob=date(1980, 3, 14))
    stored.dob = date(1980, 3, 14)
    assert scoring.score(scoring.compare(typed_dob, stored), generous, flag_threshold=0.5) >= 0.5


@pytest.mark.parametrize("other", ["name", "dob", "phone"])
def test_the_same_house_and_street_with_the_postcode_mistyped_is_strong_like_the_address(other):
    """A postcode one slip off, with the house number, street and town right, is the home:
    with any other strong agreement it flags, as the same postcode and house would."""
    levels = {**STRONG[other], "address": SAME_STREET}
    assert score(evidence(**levels)) >= FLAG
    # ... and it is never stronger than the postcode and house agreeing.
    assert W.address[SAME_POSTCODE] < W.address[SAME_STREET] <= W.address[SAME]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("1980-05-01", "1986-11-12", True),  # two adults, six years apart
        ("1980-05-01", "1995-04-30", True),  # just under fifteen years
        ("1980-05-01", "1995-05-02", False),  # fifteen years: a generation
        ("1962-03-30", "1988-07-04", False),  # the father and his son
        ("2012-06-01", "2015-02-01", False),  # two children
        ("2008-06-02", "2002-02-01", False),  # one of them is 16 only tomorrow
        ("2008-06-01", "2002-02-01", True),  # ... and 16 today
        (None, "1988-07-04", False),
    ],
)
def test_two_adults_born_less_than_fifteen_years_apart_are_one_generation(a, b, same):
    from datetime import date

    def d(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    today = date(2024, 6, 1)
    assert scoring._same_generation(d(a), d(b), today) is same
    assert scoring._same_generation(d(b), d(a), today) is same


@pytest.mark.parametrize(
    ("given", "misspelt", "family", "same_generation", "capped"),
    [
        (EXACT, False, EXACT, True, False),  # one adult, recorded with a wrong date of birth
        (EXACT, False, EXACT, False, True),  # a father and the son named after him
        (PHONETIC, False, EXACT, True, True),  # Michael / Michaela: a partner
        (NICKNAME, False, EXACT, True, True),  # Nicola / Nicholas, Sam / Samantha
        (TYPO, False, EXACT, True, True),  # a letter apart but another name (Mario / Maria)
        # One name misspelt (Stepahnie / Stephanie), the family name agreeing: one adult with a
        # wrong date, as with the same name exactly (issue 8).
        (TYPO, True, EXACT, True, False),
        (PHONETIC, True, EXACT, True, False),  # Isabwlla / Isabella
        (TYPO, True, TYPO, True, False),  # both names misspelt
        (TYPO, True, PHONETIC, True, False),
        # ... but a generation apart, a mother and the daughter named after her (misspelt) ...
        (TYPO, True, EXACT, False, True),
        # ... and with another family name, or only part of it, someone else.
        (TYPO, True, MISMATCH, True, True),
        (TYPO, True, PARTIAL, True, True),
        (TYPO, True, MISSING, True, True),
    ],
)
def test_one_given_name_on_two_adults_of_one_generation_at_one_home_is_one_person(
    given, misspelt, family, same_generation, capped
):
    from dataclasses import replace

    ev = evidence(given=given, family=family, dob=MISMATCH, address=SAME)
    ev = replace(
        ev,
        names=(replace(ev.names[0], given_misspelt=misspelt),),
        dob_far=True,
        dob_same_generation=same_generation,
    )
    assert scoring.another_in_the_household(ev) is capped
    assert (score(ev) < FLAG) is capped
    # At the same house and street with the postcode mistyped: the same.
    assert scoring.another_in_the_household(replace(ev, address=SAME_STREET)) is capped
    # A name with a different date of birth elsewhere still never flags.
    assert score(replace(ev, address=MISSING)) < FLAG


@pytest.mark.parametrize(
    ("typed", "stored", "misspelt"),
    [
        ("stepahnie", "stephanie", True),  # two letters swapped
        ("isabwlla", "isabella", True),  # one typed wrong
        ("lachlarn", "lachlan", True),  # one added
        ("emiily", "emily", True),
        ("sarha", "sarah", True),  # the last two swapped
        ("chrsitophr", "christopher", True),  # two slips in a long name
        ("chrsitphr", "christopher", False),  # three
        ("jackson", "jaxon", False),  # two in a short one: another spelling, another person
        ("michaela", "michael", False),  # a letter added at the end: another name
        ("mario", "maria", False),  # another ending: another name
        ("ztephanie", "stephanie", False),  # the first letter changed
        ("frances", "francis", False),  # two names, both known
        ("jon", "joan", False),  # three letters
        ("stephanie", "stephanie", False),  # the same: exact, not misspelt
        ("", "stephanie", False),
    ],
)
def test_a_given_name_misspelt_is_a_slip_inside_one_name_not_another_name(typed, stored, misspelt):
    assert scoring.misspelt_given(typed, stored) is misspelt
    assert scoring.misspelt_given(stored, typed) is misspelt


def test_compare_marks_a_misspelt_given_name_in_the_box_it_was_typed_in():
    def names(given: str, family: str) -> dict[bool, bool]:
        typed = scoring.Typed.from_raw(
            given=given, family=family, date_of_birth=None, phones=(), postcode="", house=""
        )
        stored = scoring.Stored(1, None, "", "", names=[("Stephanie", "Tiller", True)])
        return {n.swapped: n.given_misspelt for n in scoring.compare(typed, stored).names}

    assert names("Stepahnie", "Tiller") == {False: True, True: False}
    assert names("Tiller", "Stepahnie") == {False: False, True: True}  # names swapped
    assert names("Stephanie", "Tiller") == {False: False, True: False}


@pytest.mark.parametrize(
    ("born", "today", "adult"),
    [
        ("2011-03-29", "2027-03-29", True),  # 16 on the 29th of a month, that very day
        ("2011-03-30", "2027-03-29", False),  # ... and not the day before
        ("2011-12-31", "2027-12-31", True),
        ("2012-02-29", "2028-02-29", True),  # a leap-day birthday in a leap year
    ],
)
def test_someone_counts_as_an_adult_from_their_sixteenth_birthday(born, today, adult):
    from datetime import date

    older = date(2000, 1, 1)  # an adult, within fifteen years of each
    assert scoring._same_generation(older, date.fromisoformat(born), date.fromisoformat(today)) is (
        adult
    )


def test_a_leap_day_years_before_a_year_without_one_is_28_february():
    from datetime import date

    assert scoring._years_before(date(2028, 2, 29), 1) == date(2027, 2, 28)
    assert scoring._years_before(date(2028, 2, 29), 16) == date(2012, 2, 29)
    assert scoring._years_before(date(2027, 3, 31), 16) == date(2011, 3, 31)


def test_the_sixteenth_birthday_is_counted_on_the_london_calendar(time_machine):
    """At 00:30 on 1 July in London it is still 30 June in UTC: someone born 1 July 2011 is
    16 in London already."""
    from datetime import date

    time_machine.move_to("2027-06-30 23:30Z")
    assert scoring._local_today() == date(2027, 7, 1)
    assert scoring._same_generation(date(2000, 1, 1), date(2011, 7, 1))
    assert not scoring._same_generation(date(2000, 1, 1), date(2011, 7, 2))


@pytest.mark.parametrize(
    ("a", "b", "far"),
    [
        ("1984-06-02", "1985-07-03", True),  # three digits differ
        ("1984-06-02", "1985-07-02", False),  # two: a slip or two, not another date
        ("1984-06-02", "1984-06-02", False),
    ],
)
def test_a_date_is_far_when_more_than_two_of_its_digits_differ(a, b, far):
    from datetime import date

    assert scoring._far_apart(date.fromisoformat(a), date.fromisoformat(b)) is far
    assert not scoring._far_apart(None, date.fromisoformat(b))


def test_compare_says_whether_a_far_date_is_of_the_same_generation(time_machine):
    from datetime import date

    time_machine.move_to("2026-11-29 12:00Z")
    typed = scoring.Typed.from_raw(
        given="John", family="Smith", date_of_birth=date(1980, 5, 1), phones=(),
        postcode="NR1 3DE", house="22",
    )  # fmt: skip

    def compared(born: date) -> Evidence:
        stored = scoring.Stored(1, born, "NR13DE", "22", names=[("John", "Smith", True)])
        return scoring.compare(typed, stored)

    assert compared(date(1986, 11, 12)).dob_same_generation
    assert score(compared(date(1986, 11, 12))) >= FLAG
    assert not compared(date(1955, 11, 12)).dob_same_generation
    assert score(compared(date(1955, 11, 12))) < FLAG
    # A date a slip away is not "another date" at all.
    assert not compared(date(1980, 5, 10)).dob_same_generation


# --- A year of birth alone (issue 8) ----------------------------------------------------------


def test_a_year_of_birth_agreeing_adds_evidence_but_never_flags_alone_with_names_or_household():
    from incidents.matching.scoring import YEAR

    assert W.dob[MISSING] < W.dob[YEAR] < W.dob[ONE_DIGIT] < W.dob[EXACT]
    # It raises a score ...
    named_home = {"given": EXACT, "family": EXACT, "address": SAME}
    assert score(evidence(**named_home, dob=YEAR)) > score(evidence(**named_home))
    # ... but a name and a year (no postcode, no phone) are a namesake as often as not ...
    assert score(evidence(given=EXACT, family=EXACT, dob=YEAR)) < FLAG
    assert scoring.names_alone(evidence(given=EXACT, family=EXACT, dob=YEAR))
    # ... and the surname, the home and the year are twins or siblings: nothing about the
    # individual, whatever else agrees but the given name.
    household = evidence(given=MISMATCH, family=EXACT, dob=YEAR, address=SAME)
    assert not scoring.about_the_individual(household)
    assert score(household) < FLAG
    # A given name and a year with no surname stay below the flag too.
    assert score(evidence(given=EXACT, dob=YEAR, address=SAME_POSTCODE)) < FLAG


@pytest.mark.parametrize(
    ("typed", "typed_year", "stored", "stored_year", "level", "far", "same_generation"),
    [
        ("2016-04-09", None, None, 2016, "year", False, False),  # the date's year, recorded alone
        (None, 2016, "2016-11-30", None, "year", False, False),  # a year typed, a date stored
        (None, 2016, None, 2016, "year", False, False),  # a year on both sides
        (None, 2017, None, 2016, MISSING, False, False),  # a year out: an estimate
        ("2015-01-01", None, None, 2016, MISSING, False, False),
        (None, 2015, "1984-06-02", None, MISMATCH, True, False),  # a parent's date
        (None, 1990, "1984-06-02", None, MISMATCH, True, True),  # two adults, six years apart
        (None, 2006, None, 2016, MISMATCH, True, False),  # ten years: a child is not an adult
        (None, 2014, None, 2016, MISMATCH, True, False),  # two years: no longer an estimate
        (None, 1995, None, 2009, MISMATCH, True, True),  # 14 years, both 16 or over this year
        (None, 1994, None, 2009, MISMATCH, True, False),  # 15 years: a generation
        (None, 2000, None, 2010, MISMATCH, True, False),  # born 2010: not surely 16 yet
        (None, 1970, "1900-01-01", None, MISSING, False, False),  # a placeholder is no date
        (None, None, None, 2016, MISSING, False, False),
        ("2016-04-09", None, "2016-04-09", None, EXACT, False, False),  # full dates: unchanged
    ],
)
def test_a_year_alone_is_compared_by_year(
    time_machine, typed, typed_year, stored, stored_year, level, far, same_generation
):
    from datetime import date

    time_machine.move_to("2026-11-29 12:00Z")

    def d(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    t = scoring.Typed.from_raw(
        given="Ellie", family="Marsh", date_of_birth=d(typed), birth_year=typed_year, phones=(),
        postcode="", house="",
    )  # fmt: skip
    s = scoring.Stored(
        1, d(stored), "", "", names=[("Ellie", "Marsh", True)], birth_year=stored_year
    )
    ev = scoring.compare(t, s)
    assert (ev.dob, ev.dob_far, ev.dob_same_generation) == (level, far, same_generation)


def test_a_date_typed_wins_over_a_year_typed_with_it():
    from datetime import date

    typed = scoring.Typed.from_raw(
        given="A", family="B", date_of_birth=date(1984, 6, 2), birth_year=2015, phones=(),
        postcode="", house="",
    )  # fmt: skip
    assert typed.birth_year is None


# --- The caps read the best name under the weights given (found by ``make mutate``) -------------


def test_given_name_and_date_without_a_surname_never_flag_whatever_name_the_weights_prefer():
    no_surname = NameEvidence(EXACT, MISSING, False, True, "Ann", "")
    initial_and_surname = NameEvidence(INITIAL, EXACT, False, True, "A", "Smith")
    ev = replace(evidence(dob=EXACT), names=(no_surname, initial_and_surname))
    weak_surname = Weights(family={**W.family, EXACT: 0.5})
    # Default weights: "A Smith" is the best name, a surname agrees: flags.
    assert score(ev) >= FLAG
    # Surname weak: "Ann" with no surname is the best name, and a given name and a date alone
    # never flag.
    assert scoring.best_name(ev, weak_surname) is no_surname
    assert score(ev, weak_surname) == pytest.approx(FLAG - 0.01)


def test_a_similar_surname_and_date_without_a_given_name_read_the_best_name_under_the_weights():
    no_given = NameEvidence(MISSING, PHONETIC, False, True, "", "Boyle")
    initial_and_slip = NameEvidence(INITIAL, TYPO, False, True, "H", "Boyle")
    ev = replace(evidence(dob=EXACT), names=(no_given, initial_and_slip))
    # Default weights: "H Boyle" (an initial agrees) is the best name: not capped, flags.
    assert scoring.best_name(ev) is initial_and_slip
    assert not scoring.similar_surname_and_date_alone(ev)
    assert score(ev) >= FLAG
    # A sound-alike surname weighed more: "Boyle" with no given name is the best name, and a
    # surname like the one typed with a date alone never flags.
    loud = Weights(family={**W.family, PHONETIC: 5.0})
    assert scoring.best_name(ev, loud) is no_given
    assert scoring.similar_surname_and_date_alone(ev, loud)
    assert score(ev, loud) == pytest.approx(FLAG - 0.01)


def test_one_given_name_on_one_generation_at_home_reads_the_best_name_under_the_weights_given():
    given_exact = NameEvidence(EXACT, MISMATCH, False, True, "Ann", "Brown")
    sounds_alike = NameEvidence(PHONETIC, EXACT, False, True, "Anne", "Smith")
    ev = replace(
        evidence(dob=MISMATCH, address=SAME),
        names=(given_exact, sounds_alike),
        dob_far=True,
        dob_same_generation=True,
    )
    # Default weights: "Anne Smith" is the best name, not the same given name: someone else in
    # the household, capped.
    assert score(ev) == pytest.approx(FLAG - 0.01)
    given_first = Weights(
        given={**W.given, EXACT: 6.0}, family={**W.family, MISMATCH: 0.0, EXACT: 0.5}
    )
    # Under these, "Ann Brown" is the best name: the same given name, one person, not capped.
    assert scoring.best_name(ev, given_first) is given_exact
    total = given_first.prior + 6.0 + 0.0 + W.dob[MISMATCH] + W.address[SAME]
    assert score(ev, given_first) == pytest.approx(1 / (1 + math.exp(-total)))


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("NR1 2AB", "NR1"), ("SW1A 2AA", "SW1A"), ("M1 1AE", "M1"), ("EC1V 9HX", "EC1V"), ("", "")],
)
def test_the_postcode_district_is_all_but_the_inward_code(postcode, district):
    from incidents.matching import keys

    assert scoring._outward(keys.postcode_key(postcode)) == district

"""How alike a typed person and a stored one are: field comparisons, weights, reasons in words.

Pure functions on plain values (no database), so the benchmark can re-score the same candidates
under other weights.

The score is a log-odds sum in the manner of Fellegi and Sunter: each field adds a weight for
how it compares (agree exactly, sounds alike, a nickname, a typo, disagree, not known) to a
negative prior, and the logistic of the sum is the score in 0..1. The weights are set by hand and
checked on the synthetic labelled set (``bench/matching``).

Two rules override the sum. Victim, suspect and children usually share an address and a
surname: without evidence about *this* individual (the given name, the date of birth or a phone
number) a candidate's score is capped below the flag threshold, however much the household
evidence adds up to. And a surname missing on one side is not evidence either way, so a given
name and a date of birth with nothing else (no phone, no postcode) are capped below the flag too:
at a million persons several share both; so, with no given name to compare, are a surname
only like the one typed and a date of birth (:func:`similar_surname_and_date_alone`). At the
same home, a date of birth that disagrees (and
no phone in common) is another member of the household, capped the same way, unless both are
adults of one generation and the given name is the same, or the same name misspelt with the
family name agreeing (a wrong date, not a son named after his father): see
:func:`another_in_the_household`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from doublemetaphone import doublemetaphone
from rapidfuzz.distance import OSA, JaroWinkler

from incidents.matching import keys

# Levels of a name comparison
EXACT = "exact"
PHONETIC = "phonetic"
NICKNAME = "nickname"
TYPO = "typo"
PARTIAL = "partial"  # one family name inside the other: Smith / Smith-Jones
INITIAL = "initial"
MISMATCH = "mismatch"
MISSING = "missing"
# Levels of a date-of-birth comparison (besides EXACT, MISMATCH, MISSING)
DAY_MONTH_SWAP = "day_month_swap"
ONE_DIGIT = "one_digit"
TRANSPOSED = "transposed"
#: Day and month swapped *and* one digit different: two slips, still the same person's date
#: more often than a stranger's, and never "someone else in the household".
SWAP_AND_DIGIT = "swap_and_digit"
#: Only a year of birth is known on one side (``Person.birth_year``, a child's date given as
#: a year) and it is the year of the other side's date (or year). Weak: a household's children
#: are born in different years but twins in the same, so it never counts on its own as
#: evidence about the individual (:func:`about_the_individual`) nor lifts the names-alone cap.
YEAR = "year"
# Levels of a phone or address comparison (besides MISMATCH, MISSING)
SAME = "same"
SAME_POSTCODE = "same_postcode"
#: The postcode disagrees (or one side has none) but the house number and the street agree, in
#: the same town or postcode district: the same home with its postcode mistyped.
SAME_STREET = "same_street"
#: Address levels that place the two at one home, or in one street.
_AT_HOME = frozenset({SAME, SAME_STREET})
_ADDRESS_AGREES = frozenset({SAME, SAME_STREET, SAME_POSTCODE})

#: Levels that say something about the individual, not just the household.
_GIVEN_AGREES = frozenset({EXACT, PHONETIC, NICKNAME, TYPO})
_DOB_AGREES = frozenset({EXACT, DAY_MONTH_SWAP, ONE_DIGIT, TRANSPOSED})
#: Jaro-Winkler similarity that two phonetically equal names must also have: Double Metaphone
#: drops vowels, so Jane, Joan, June and John all key as JN.
_PHONETIC_MIN_SIMILARITY = 0.8
#: Family-name levels that leave a misspelt given name the only difference at one home
#: (:func:`another_in_the_household`): not a partial name (Smith / Smith-Jones) nor none.
_FAMILY_SAME = frozenset({EXACT, PHONETIC, TYPO})


@dataclass(frozen=True)
class Weights:
    """Log-odds weights (natural log) of each comparison level.

    Set by hand within these constraints, then checked on the synthetic labelled set
    (``python -m bench.matching tune`` prints a logistic-regression fit beside them):

    * any two strong agreements (full name, date of birth, phone, address) flag, and three
      flag despite one strong disagreement (a false first name, a new surname, a wrong date);
    * a name alone never flags (two people share a name), nor a name with a different date of
      birth (a namesake), nor given name and date of birth alone (common at a million persons);
    * household evidence alone never flags (the cap in :func:`score`), nor a given name and a
      date of birth when one side has no surname, nor a similar surname and a date of birth
      when one side has no given name, nor names alone (the same cap);
    * 1 January, the date typed when only the year is known, is weaker evidence than any
      other date (``common_dob`` off an exact date of birth on 1 January).
    """

    prior: float = -9.0
    given: Mapping[str, float] = field(
        default_factory=lambda: {
            EXACT: 4.0,
            PHONETIC: 3.2,
            NICKNAME: 3.0,
            TYPO: 3.0,
            INITIAL: 1.0,
            MISMATCH: -3.0,
            MISSING: 0.0,
        }
    )
    family: Mapping[str, float] = field(
        default_factory=lambda: {
            EXACT: 4.0,
            PHONETIC: 3.5,
            TYPO: 3.0,
            PARTIAL: 2.5,
            MISMATCH: -3.0,
            MISSING: 0.0,
        }
    )
    swapped: float = -0.5
    alias: float = -0.5
    dob: Mapping[str, float] = field(
        default_factory=lambda: {
            EXACT: 7.5,
            DAY_MONTH_SWAP: 5.0,
            ONE_DIGIT: 3.5,
            TRANSPOSED: 3.5,
            SWAP_AND_DIGIT: 0.5,
            YEAR: 2.0,
            MISMATCH: -1.5,
            MISSING: 0.0,
        }
    )
    phone: Mapping[str, float] = field(
        default_factory=lambda: {SAME: 8.0, MISMATCH: -1.0, MISSING: 0.0}
    )
    address: Mapping[str, float] = field(
        default_factory=lambda: {
            SAME: 6.0,
            SAME_STREET: 5.0,
            SAME_POSTCODE: 1.5,
            MISMATCH: -1.0,
            MISSING: 0.0,
        }
    )
    #: The most a candidate may score with no evidence about the individual (see module doc).
    household_cap: float = 0.5
    #: Log-odds off an exact date of birth on 1 January: year-only dates are recorded as
    #: 1 January, so many more people "share" it than any other day of the year.
    common_dob: float = 2.0
    #: Term-frequency adjustment of a trained model (issue 14): column ("given", "family",
    #: "postcode") -> folded value -> log-odds added to an exact agreement on that value.
    #: Empty for the hand-set weights, whose common-name adjustment is measured on the
    #: candidates instead (``rank``).
    tf: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: The adjustment of a value too rare to be listed in ``tf`` (column -> log-odds).
    tf_rare: Mapping[str, float] = field(default_factory=dict)

    def tf_weight(self, column: str, value: str) -> float:
        """Log-odds added to an exact agreement on ``value`` (0 without a trained table)."""
        rare = self.tf_rare.get(column)
        if rare is None or not value:
            return 0.0
        return self.tf.get(column, {}).get(value, rare)


DEFAULT_WEIGHTS = Weights()


# --- The two sides ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """What the call taker typed, normalised once per search."""

    given: str
    family: str
    given_folded: str
    family_folded: str
    dob: date | None  # None when not given or a placeholder
    phones: frozenset[str]  # E.164
    postcode_key: str
    house_key: str
    street_key: str = ""
    town_key: str = ""
    #: The date typed is measured as a common one (``common_by_frequency``): weighed like
    #: 1 January.
    common_date: bool = False
    #: A year of birth typed without a day and month (None when a full date is typed).
    birth_year: int | None = None

    @classmethod
    def from_raw(
        cls,
        *,
        given: str,
        family: str,
        date_of_birth: date | None,
        phones: Iterable[str],
        postcode: str,
        house: str,
        street: str = "",
        town: str = "",
        common_date: bool = False,
        birth_year: int | None = None,
    ) -> Typed:
        e164 = {keys.phone_key(p) for p in phones}
        given, family = keys.strip_titles(given), keys.strip_titles(family)
        return cls(
            given=given,
            family=family,
            given_folded=keys.fold(given),
            family_folded=keys.fold(family),
            dob=keys.dob_key(date_of_birth),
            phones=frozenset(p for p in e164 if p),
            postcode_key=keys.postcode_key(postcode),
            house_key=keys.house_key(house) if house and house.strip() else "",
            street_key=keys.street_key(street),
            town_key=keys.fold(town),
            common_date=common_date,
            birth_year=None if date_of_birth else birth_year,
        )


@dataclass
class Stored:
    """A candidate person as read from the database: every name, the phones, the address.

    The address keys are blank when there is no address and when it is restricted (a refuge):
    the engine reads a restricted address as none, so it is never evidence.
    """

    person_id: int
    dob: date | None
    postcode_key: str
    house_key: str
    names: list[tuple[str, str, bool]] = field(default_factory=list)  # given, family, primary
    phones: dict[str, str] = field(default_factory=dict)  # E.164 -> kind
    street_key: str = ""  # keys.street_key of the address's street
    town_key: str = ""  # keys.fold of its town
    birth_year: int | None = None  # the year alone, when no full date of birth is recorded


# --- Field comparisons --------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _codes(folded: str) -> frozenset[str]:
    return frozenset(c for c in doublemetaphone(folded) if c) if folded else frozenset()


def _sounds_alike(a: str, b: str) -> bool:
    return bool(_codes(a) & _codes(b)) and (
        JaroWinkler.similarity(a, b) >= _PHONETIC_MIN_SIMILARITY
    )


def _typo(a: str, b: str) -> bool:
    """One edit (or a transposition) apart, two for long names; or one cut short (Rya/Ryan).

    Three-letter names allow a letter missed or two swapped (Mak/Mark, Seu/Sue) but not one
    changed, which is usually another name (Jon/Jan, Tom/Tim).
    """
    shorter = min(len(a), len(b))
    if shorter == 3 and a[0] == b[0] and OSA.distance(a, b, score_cutoff=1) <= 1:
        return len(a) != len(b) or sorted(a) == sorted(b)
    if shorter >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    if shorter >= 8 and OSA.distance(a, b, score_cutoff=2) <= 2:
        return True
    return shorter >= 3 and (a.startswith(b) or b.startswith(a))


@lru_cache(maxsize=65536)
def given_level(typed: str, stored: str) -> str:
    """Compare two folded given names."""
    if not typed or not stored:
        return MISSING
    if typed == stored:
        return EXACT
    if _sounds_alike(typed, stored):
        return PHONETIC
    if keys.canonical_given_names(typed) & keys.canonical_given_names(stored):
        return NICKNAME
    known = keys.known_given_names()
    if _typo(typed, stored) and not (typed in known and stored in known):
        return TYPO
    if (len(typed) == 1 or len(stored) == 1) and typed[0] == stored[0]:
        return INITIAL
    return MISMATCH


#: The shortest given name whose misspelling :func:`misspelt_given` recognises: shorter names
#: a letter apart are usually other names (Tom / Tim, Mia / Pia).
MISSPELT_MIN_LENGTH = 4


@lru_cache(maxsize=65536)
def misspelt_given(typed: str, stored: str) -> bool:
    """Whether two folded given names are one name with a slip of the keyboard in it
    (Stepahnie / Stephanie, Isabwlla / Isabella, Lachlarn / Lachlan): one letter typed wrong,
    missed, added, or two swapped (two slips in a name of eight letters or more), the first and
    the last letter kept (or the last two swapped: Sarha / Sarah), and not two given names that
    both exist.

    Narrower than the :data:`TYPO` and :data:`PHONETIC` levels on purpose: it says "this
    person's name", not "a name like it". A name's ending often carries its sex (Michael /
    Michaela, Mario / Maria, Paul / Paula, Louis / Louise), so a different ending, or a letter
    added at the end, is another person's name; two names both known (Jon / Joan, Frances /
    Francis) are two names however close their spelling; and names a sound apart but not a slip
    (Jackson / Jaxon, Danielle / Daniel) are given to different people.
    """
    if not typed or not stored or typed == stored:
        return False
    shorter = min(len(typed), len(stored))
    if shorter < MISSPELT_MIN_LENGTH or typed[0] != stored[0]:
        return False
    if typed[-1] != stored[-1] and typed[-2:] != stored[-2:][::-1]:
        return False
    known = keys.known_given_names()
    if typed in known and stored in known:
        return False
    slips = 2 if shorter >= 8 else 1
    return OSA.distance(typed, stored, score_cutoff=slips) <= slips


@lru_cache(maxsize=65536)
def family_level(typed: str, stored: str) -> str:
    """Compare two folded family names."""
    if not typed or not stored:
        return MISSING
    if typed == stored:
        return EXACT
    if _sounds_alike(typed, stored):
        return PHONETIC
    if _typo(typed, stored):
        return TYPO
    shorter, longer = sorted((typed, stored), key=len)
    if len(shorter) >= 4 and shorter in longer:
        return PARTIAL
    return MISMATCH


def _digits(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def dob_level(typed: date | None, stored: date | None) -> str:
    """Compare dates of birth; placeholders were turned into None by ``keys.dob_key``."""
    stored = keys.dob_key(stored)
    if typed is None or stored is None:
        return MISSING
    if typed == stored:
        return EXACT
    if typed.day == stored.month and typed.month == stored.day and typed.year == stored.year:
        return DAY_MONTH_SWAP
    a, b = _digits(typed), _digits(stored)
    diffs = [i for i in range(8) if a[i] != b[i]]
    if len(diffs) == 1:
        return ONE_DIGIT
    if len(diffs) == 2:
        i, j = diffs
        if j == i + 1 and a[i] == b[j] and a[j] == b[i]:
            return TRANSPOSED
    swapped = f"{typed.year:04d}{typed.day:02d}{typed.month:02d}"
    if typed.day != typed.month and sum(x != y for x, y in zip(swapped, b, strict=True)) == 1:
        return SWAP_AND_DIGIT
    return MISMATCH


def phone_level(typed: frozenset[str], stored: Mapping[str, str]) -> tuple[str, str]:
    """(level, kind of the matching number)."""
    if not typed or not stored:
        return MISSING, ""
    for number in sorted(typed):
        if number in stored:
            return SAME, stored[number]
    return MISMATCH, ""


def _outward(postcode_key: str) -> str:
    """The postcode district ('NR12AB' -> 'NR1'); '' without a postcode."""
    return postcode_key[:-3]


#: The shortest street or town name compared within a slip (one letter typed wrong, missed,
#: added, or two swapped): shorter names a letter apart are other places (Hove / Hive).
SLIP_MIN_LENGTH = {"street": 6, "town": 5}


def _within_a_slip(a: str, b: str, part: str) -> bool:
    return a == b or (
        min(len(a), len(b)) >= SLIP_MIN_LENGTH[part] and OSA.distance(a, b, score_cutoff=1) <= 1
    )


def _same_street(typed: Typed, stored: Stored) -> bool:
    """House number and street agree (each name spelt within a slip), in the same town (spelt
    within a slip: Brigton, Glenwod) or postcode district: many towns have a 12 Church Road,
    one town rarely two."""
    if not (typed.house_key and typed.house_key == stored.house_key):
        return False
    a, b = typed.street_key, stored.street_key
    if not a or not b or not _within_a_slip(a, b, "street"):
        return False
    same_town = (
        bool(typed.town_key)
        and bool(stored.town_key)
        and _within_a_slip(typed.town_key, stored.town_key, "town")
    )
    same_district = bool(typed.postcode_key) and _outward(typed.postcode_key) == _outward(
        stored.postcode_key
    )
    return same_town or same_district


def address_level(typed: Typed, stored: Stored) -> str:
    """Postcode and house number; when the postcode disagrees or one is missing, the house
    number and street (:data:`SAME_STREET`)."""
    if typed.postcode_key and stored.postcode_key and typed.postcode_key == stored.postcode_key:
        if typed.house_key and typed.house_key == stored.house_key:
            return SAME
        return SAME_POSTCODE
    if _same_street(typed, stored):
        return SAME_STREET
    if not typed.postcode_key or not stored.postcode_key:
        return MISSING
    return MISMATCH


# --- Evidence, weight, score ------------------------------------------------------------------


@dataclass(frozen=True)
class NameEvidence:
    given: str
    family: str
    swapped: bool
    primary: bool
    stored_given: str
    stored_family: str
    #: The given names are one name misspelt (:func:`misspelt_given`); read only by
    #: :func:`another_in_the_household`.
    given_misspelt: bool = False


@dataclass(frozen=True)
class Evidence:
    names: tuple[NameEvidence, ...]
    dob: str
    phone: str
    phone_kind: str
    address: str
    #: The date of birth agrees on 1 January, or on a date measured as common (see
    #: ``Weights.common_dob``, :func:`common_by_frequency`).
    dob_common: bool = False
    #: The dates of birth disagree in more than two of their eight digits: not a slip of the
    #: keyboard but another date (a father and son, siblings).
    dob_far: bool = False
    #: Both dates are adults' (16 or over today) and less than :data:`GENERATION_YEARS` apart:
    #: the two cannot be a parent and the child named after them.
    dob_same_generation: bool = False
    #: The postcode key both sides share (for a trained model's term-frequency adjustment).
    postcode_key: str = ""


#: Years between two dates of birth below which two people are of one generation.
GENERATION_YEARS = 15
#: The age below which a date of birth is a child's.
ADULT_AGE = 16


#: Ages are counted on the calendar of England and Wales (the project's ``TIME_ZONE``): someone
#: is 16 from the start of their birthday there, not at midnight UTC.
LOCAL_ZONE = ZoneInfo("Europe/London")


def _local_today() -> date:
    return datetime.now(tz=LOCAL_ZONE).date()


def _years_before(d: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February of a year that has none is 28 February."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _same_generation(a: date | None, b: date | None, today: date | None = None) -> bool:
    """Both adults today (16 on or before today's date) and born less than
    :data:`GENERATION_YEARS` apart."""
    if a is None or b is None:
        return False
    adult = _years_before(today or _local_today(), ADULT_AGE)
    return max(a, b) <= adult and abs((a - b).days) < GENERATION_YEARS * 365.25


def _year_of(d: date | None, year: int | None) -> int | None:
    """The year of a date of birth (placeholders are no date), else the year recorded alone."""
    d = keys.dob_key(d)
    return d.year if d is not None else year


def year_level(typed: Typed, stored: Stored) -> tuple[str, bool, bool]:
    """(level, far, same generation) of two years of birth, when one side knows only the
    year: :data:`YEAR` when they are one year; a year either side says nothing (a year alone
    is often an estimate: "she is about eight"); further apart, :data:`MISMATCH`, and far (so
    at one home, another member of the household: a child named after a parent)."""
    a, b = _year_of(typed.dob, typed.birth_year), _year_of(stored.dob, stored.birth_year)
    if a is None or b is None:
        return MISSING, False, False
    if a == b:
        return YEAR, False, False
    if abs(a - b) <= 1:
        return MISSING, False, False
    last_adult_year = _local_today().year - ADULT_AGE - 1
    same_generation = max(a, b) <= last_adult_year and abs(a - b) < GENERATION_YEARS
    return MISMATCH, True, same_generation


def _far_apart(a: date | None, b: date | None) -> bool:
    if a is None or b is None:
        return False
    return sum(x != y for x, y in zip(_digits(a), _digits(b), strict=True)) > 2


def _common_date(d: date | None) -> bool:
    return d is not None and (d.month, d.day) == (1, 1)


#: A date of birth is common when at least this many people were born that day ...
COMMON_DATE_MIN_PEOPLE = 5
#: ... and this many times as many as on an average day of the three either side (plus one).
COMMON_DATE_RATIO = 3.0
#: The counts stop here (each is an index-only count with a LIMIT).
COMMON_DATE_COUNT_LIMIT = 1000


def common_by_frequency(same_day: int, around: int, days_around: int = 6) -> bool:
    """Whether a date held by ``same_day`` people, with ``around`` people on the
    ``days_around`` days either side of it, is a default rather than a birthday: dates of
    birth spread evenly over the days of a year, so a day far above its neighbours is what
    was typed when the date was not known (1 January for a year alone, the 1st of a month, a
    system's default)."""
    usual = around / days_around
    return same_day >= COMMON_DATE_MIN_PEOPLE and same_day >= COMMON_DATE_RATIO * (usual + 1)


def _misspellings_marked(names: list[NameEvidence], typed: Typed) -> tuple[NameEvidence, ...]:
    """``names`` with :attr:`NameEvidence.given_misspelt` set: the given name typed (the
    surname box when the names are compared swapped) against each stored given name."""
    marked = []
    for name in names:
        # Copied only when misspelt: a search compares some forty candidates' names, and
        # copying every one of them was a tenth of the scoring time.
        if misspelt_given(
            typed.family_folded if name.swapped else typed.given_folded,
            keys.name_folded(name.stored_given),
        ):
            name = replace(name, given_misspelt=True)
        marked.append(name)
    return tuple(marked)


def compare(typed: Typed, stored: Stored) -> Evidence:
    """Every comparison of ``typed`` with ``stored`` (each name both ways round).

    A single name typed is also compared in the other box: a surname typed as the given name
    ("Smith" with no surname) is compared with the stored surnames too.
    """
    names: list[NameEvidence] = []
    both = bool(typed.given_folded and typed.family_folded)
    one = bool(typed.given_folded) != bool(typed.family_folded)
    for given, family, primary in stored.names or [("", "", True)]:
        g, f = keys.name_folded(given), keys.name_folded(family)
        names.append(
            NameEvidence(
                given=given_level(typed.given_folded, g),
                family=family_level(typed.family_folded, f),
                swapped=False,
                primary=primary,
                stored_given=given,
                stored_family=family,
            )
        )
        if both and g != f:
            names.append(
                NameEvidence(
                    given=given_level(typed.family_folded, g),
                    family=family_level(typed.given_folded, f),
                    swapped=True,
                    primary=primary,
                    stored_given=given,
                    stored_family=family,
                )
            )
        elif one:
            names.append(
                NameEvidence(
                    given=given_level(typed.family_folded, g) if typed.family_folded else MISSING,
                    family=family_level(typed.given_folded, f) if typed.given_folded else MISSING,
                    swapped=True,
                    primary=primary,
                    stored_given=given,
                    stored_family=family,
                )
            )
    phone, kind = phone_level(typed.phones, stored.phones)
    dob = dob_level(typed.dob, stored.dob)
    far = dob == MISMATCH and _far_apart(typed.dob, keys.dob_key(stored.dob))
    same_generation = dob == MISMATCH and _same_generation(typed.dob, stored.dob)
    if dob == MISSING:  # a year of birth alone on one side: compare the years
        dob, far, same_generation = year_level(typed, stored)
    return Evidence(
        names=_misspellings_marked(names, typed),
        dob=dob,
        phone=phone,
        phone_kind=kind,
        address=address_level(typed, stored),
        dob_common=dob == EXACT and (_common_date(typed.dob) or typed.common_date),
        dob_far=far,
        dob_same_generation=same_generation,
        postcode_key=typed.postcode_key if typed.postcode_key == stored.postcode_key else "",
    )


def _name_weight(name: NameEvidence, w: Weights) -> float:
    total = w.given[name.given] + w.family[name.family]
    if w.tf_rare:
        # A trained model: an exact agreement on a common name is weaker than on a rare one.
        if name.given == EXACT:
            total += w.tf_weight("given", keys.name_folded(name.stored_given))
        if name.family == EXACT:
            total += w.tf_weight("family", keys.name_folded(name.stored_family))
    if name.swapped:
        total += w.swapped
    if not name.primary:
        total += w.alias
    return total


def best_name(evidence: Evidence, w: Weights = DEFAULT_WEIGHTS) -> NameEvidence:
    return max(evidence.names, key=lambda n: _name_weight(n, w))


def about_the_individual(evidence: Evidence, w: Weights = DEFAULT_WEIGHTS) -> bool:
    """Whether anything agrees that a household does not share: given name, birth date, phone."""
    return (
        best_name(evidence, w).given in _GIVEN_AGREES
        or evidence.dob in _DOB_AGREES
        or evidence.phone == SAME
    )


def names_alone(evidence: Evidence) -> bool:
    """Nothing but the names agrees (no date of birth, phone or postcode): two people share a
    name, however rare. The hand weights never flag this by construction; a trained model's
    term-frequency weights could (a rare name), so it is a rule."""
    return (
        evidence.dob not in _DOB_AGREES
        and evidence.phone != SAME
        and evidence.address not in _ADDRESS_AGREES
    )


def given_and_date_alone(evidence: Evidence, w: Weights = DEFAULT_WEIGHTS) -> bool:
    """No surname to compare (missing on one side), and neither a phone nor a postcode agrees:
    what is left (a given name, a date of birth) is shared by several people at a million."""
    return (
        best_name(evidence, w).family == MISSING
        and evidence.phone != SAME
        and evidence.address not in _ADDRESS_AGREES
    )


#: Family-name levels that only resemble the name typed: several stored surnames resemble one
#: typed with a slip (Boyls: Boyle, Boyles, Bowles), so each brings its own namesakes.
_FAMILY_SIMILAR = frozenset({PHONETIC, TYPO, PARTIAL})


def similar_surname_and_date_alone(evidence: Evidence, w: Weights = DEFAULT_WEIGHTS) -> bool:
    """No given name to compare (missing on one side), a surname only like the one typed (not
    the same), and neither a phone nor a postcode agrees: at a million persons a date of birth
    and any of the surnames a slip could be are shared by several people (the synthetic set at
    1M flagged "Boyls, born 30 Dec 2000" as Hannah Boyle). The same surname exactly with the
    date still flags: the rarer coincidence, and the one a call taker gives for a child."""
    name = best_name(evidence, w)
    return (
        name.given == MISSING
        and name.family in _FAMILY_SIMILAR
        and evidence.phone != SAME
        and evidence.address not in _ADDRESS_AGREES
    )


def another_in_the_household(evidence: Evidence, w: Weights = DEFAULT_WEIGHTS) -> bool:
    """Same home, a date of birth far from the one typed (more than two digits apart, not a
    slip), no phone in common: a father and the son named after him, a sibling, a new partner
    with a similar name. Whatever the names say, someone else living there.

    Except, on two adults of one generation (born less than ``GENERATION_YEARS`` apart, both 16
    or over), one given name: siblings are not given one name and a partner rarely has it, while
    a parent and the child named after them are a generation apart. That is one person recorded
    with a wrong date of birth. One given name is the same name exactly, or the same name
    misspelt (:func:`misspelt_given`: Stepahnie / Stephanie) with the family name agreeing too:
    a slip of the keyboard does not make a sibling or a partner. A name that merely sounds alike
    or is a nickname (Michael / Michaela, Nicola / Nicholas, Alex for Sandra) is another
    person's: those stay capped. (Chosen on Febrl 4's misses; the synthetic tuning set has no
    query it changes; issue 8.)
    """
    if not (
        evidence.address in _AT_HOME
        and evidence.dob == MISMATCH
        and evidence.dob_far
        and evidence.phone != SAME
    ):
        return False
    if not evidence.dob_same_generation:
        return True
    name = best_name(evidence, w)
    one_given_name = name.given == EXACT or (name.given_misspelt and name.family in _FAMILY_SAME)
    return not one_given_name


def score(
    evidence: Evidence,
    w: Weights = DEFAULT_WEIGHTS,
    *,
    flag_threshold: float,
    name_shared_by: float = 0.0,
) -> float:
    """The score in 0..1; household evidence alone, and a given name with a date of birth
    alone, stay below ``flag_threshold``.

    ``name_shared_by`` is the log-odds taken off a name that several candidates share.
    """
    name = best_name(evidence, w)
    total = (
        w.prior
        + _name_weight(name, w)
        - name_shared_by
        + w.dob[evidence.dob]
        - (w.common_dob if evidence.dob_common else 0.0)
        + w.phone[evidence.phone]
        + w.address[evidence.address]
        + (w.tf_weight("postcode", evidence.postcode_key) if evidence.address != MISMATCH else 0.0)
    )
    value = 1.0 / (1.0 + math.exp(-total))
    if (
        not about_the_individual(evidence, w)
        or given_and_date_alone(evidence, w)
        or similar_surname_and_date_alone(evidence, w)
        or another_in_the_household(evidence, w)
        or names_alone(evidence)
    ):
        value = min(value, w.household_cap, flag_threshold - 0.01)
    return value


# --- Ranking ------------------------------------------------------------------------------------

#: Reason given to a candidate whose flag went to a better match at the same address.
BETTER_AT_ADDRESS = "someone else at this address matches better"


def shared_name_reason(sharing: int) -> str:
    others = sharing - 1
    return f"{others} other {'person' if others == 1 else 'people'} found with this name"


@dataclass(frozen=True)
class Scored:
    person_id: int
    score: float
    flagged: bool
    evidence: Evidence
    outranked_at_address: bool = False
    #: Candidates (this one included) who could all carry the typed name; 0 when not counted.
    sharing_the_name: int = 0


def _could_be_the_name(name: NameEvidence) -> bool:
    """The candidate may carry the typed name: every typed part agrees (or is unknown)."""
    parts = (name.given, name.family)
    return any(p in _GIVEN_AGREES for p in parts) and all(
        p in _GIVEN_AGREES or p == MISSING for p in parts
    )


def distinct_people(records: list[Stored]) -> int:
    """How many people ``records`` are, counting a person's duplicate records once: two
    records are likely one person when they have the same date of birth (or day and month
    swapped), or one has none and they live at the same address, and records are joined
    transitively. Not "a digit off": namesakes born 1950, 1951, 1952... would chain into one
    person.

    In one pass, not pair by pair (a common name brings a hundred candidates, and comparing
    every pair was the slowest part of scoring them): records born on one day, or with day
    and month swapped, share a key (the year and the two numbers, either way round); a record
    with no date of birth joins everyone at its home. A placeholder date joins nobody.
    ``tests/incidents/test_scoring_units.py`` checks the groups against that definition
    applied pair by pair.
    """
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    born_on: dict[tuple[int, frozenset[int]], int] = {}
    at_home: dict[tuple[str, str], list[int]] = {}
    undated_homes: set[tuple[str, str]] = set()
    for i, record in enumerate(records):
        born = keys.dob_key(record.dob)
        if born is not None:
            parent[root(i)] = root(
                born_on.setdefault((born.year, frozenset((born.month, born.day))), i)
            )
        if record.postcode_key and record.house_key:
            home = (record.postcode_key, record.house_key)
            at_home.setdefault(home, []).append(i)
            if record.dob is None:
                undated_homes.add(home)
    for home in undated_homes:
        first, *others = at_home[home]
        for i in others:
            parent[root(i)] = root(first)
    return len({root(i) for i in range(len(records))})


def rank(
    compared: Iterable[tuple[Stored, Evidence]],
    w: Weights = DEFAULT_WEIGHTS,
    *,
    flag_threshold: float,
    min_score: float,
    limit: int,
) -> list[Scored]:
    """Best first; below ``min_score`` dropped; at most one flag per household.

    A candidate with nothing about the individual in common (only an address, a surname) is
    not a match at all: they belong in the separate "people at this address" list.

    A common name is weak evidence: when ``k`` people among the candidates could all carry the
    typed name, the name's weight is divided among them (``log k`` off each), a term-frequency
    adjustment measured on the candidates themselves. ``k`` counts people, not records: a
    person's own duplicate records (dates of birth that agree, or no date and the same
    address) are one namesake, not several. At a million persons a common name with a date of
    birth one digit off is someone else as often as not; a rare one is not.

    Twins share a birthday, a surname and an address; a son may share his father's name and
    address. When two people at one address both reach the flag, only the better match keeps
    it (its score is capped just below the threshold): one caller is one person.
    """
    kept = [(stored, ev) for stored, ev in compared if about_the_individual(ev, w)]
    sharing = distinct_people(
        [stored for stored, ev in kept if _could_be_the_name(best_name(ev, w))]
    )
    # A trained model's term-frequency tables already weigh a common name by the population.
    has_name_tf = "given" in w.tf_rare or "family" in w.tf_rare
    common = math.log(sharing) if sharing > 1 and not has_name_tf else 0.0
    scored = []
    for stored, ev in kept:
        shared = common if _could_be_the_name(best_name(ev, w)) else 0.0
        value = score(ev, w, flag_threshold=flag_threshold, name_shared_by=shared)
        scored.append((value, stored, ev, sharing if shared else 0))
    scored.sort(key=lambda t: (-t[0], t[1].person_id))
    flagged_homes: set[tuple[str, str]] = set()
    out: list[Scored] = []
    for value, stored, ev, namesakes in scored:
        value = round(value, 4)
        outranked = False
        home = (stored.postcode_key, stored.house_key)
        if value >= flag_threshold and home[0] and home[1]:
            if home in flagged_homes:
                value, outranked = round(flag_threshold - 0.01, 4), True
            else:
                flagged_homes.add(home)
        if value >= min_score:
            out.append(
                Scored(stored.person_id, value, value >= flag_threshold, ev, outranked, namesakes)
            )
    out.sort(key=lambda s: (-s.score, s.person_id))
    return out[:limit]


# --- Reasons in words ---------------------------------------------------------------------------


def _full(given: str, family: str) -> str:
    return " ".join(p for p in (given, family) if p)


def reasons(evidence: Evidence, typed: Typed, w: Weights = DEFAULT_WEIGHTS) -> list[str]:
    """Short sentences a call taker reads: what agrees first, then what does not."""
    out: list[str] = []
    name = best_name(evidence, w)
    typed_given, typed_family = (
        (typed.family, typed.given) if name.swapped else (typed.given, typed.family)
    )
    levels = {name.given, name.family}
    stored_full = _full(name.stored_given, name.stored_family)
    typed_full = _full(typed.given, typed.family)
    if evidence.phone == SAME:
        out.append("same mobile number" if evidence.phone_kind == "mobile" else "same phone number")
    if name.swapped:
        out.append("first and last name swapped")
    if name.given == EXACT and name.family == EXACT:
        out.append("same name")
    else:
        if name.given == NICKNAME:
            out.append(f"nickname: {typed_given} / {name.stored_given}")
        if PHONETIC in levels:
            out.append(f"name sounds alike: {typed_full} / {stored_full}")
        elif TYPO in levels or PARTIAL in levels:
            out.append(f"name spelt similarly: {typed_full} / {stored_full}")
        if name.given == INITIAL:
            out.append(f"initial matches: {typed_given} / {name.stored_given}")
        if name.given == EXACT:
            out.append("same given name")
        if name.family == EXACT:
            out.append("same family name")
    if not name.primary:
        out.append(f"known by another name: {stored_full}")
    dob_words = {
        EXACT: "same date of birth",
        DAY_MONTH_SWAP: "date of birth with day and month swapped",
        ONE_DIGIT: "date of birth one digit different",
        TRANSPOSED: "date of birth with two digits swapped",
        SWAP_AND_DIGIT: "date of birth close: day and month swapped, one digit different",
        YEAR: "same year of birth",
    }
    if evidence.dob in dob_words:
        out.append(dob_words[evidence.dob])
    if evidence.address == SAME:
        out.append("same postcode and house number")
    elif evidence.address == SAME_STREET:
        out.append("same house number and street, postcode different or missing")
    elif evidence.address == SAME_POSTCODE:
        out.append("same postcode")
    # What does not agree: the call taker needs it to rule a candidate out.
    if name.given == MISMATCH and typed_given:
        out.append(f"different given name: {typed_given} / {name.stored_given}")
    if name.family == MISMATCH and typed_family:
        out.append(f"different family name: {typed_family} / {name.stored_family}")
    if evidence.dob == MISMATCH:
        out.append("different date of birth")
    return out

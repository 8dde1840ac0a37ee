"""Find and rank the existing persons a call taker may be typing: the matching engine.

Pure domain code: no HTTP and no audit (``incidents.selectors.person_match`` audits what it
shows). Nothing links automatically; the call taker confirms.

Retrieval is a union of selective blocks, each an indexed lookup with a LIMIT:

================  ======================================================  =====================
block             finds persons with                                      index
================  ======================================================  =====================
``phone``         a phone number typed (E.164)                            PersonPhone.number
``address``       the postcode and house number typed                     address_key_idx
``postcode_...``  the postcode and a surname that sounds alike            address_key_idx
                  (``postcode_family``; house number missing or wrong)
``name``          surname and given name that sound alike (nicknames      name_phon_idx,
                  too)                                                    name_phon_alt_idx
``name_swapped``  the same with first and last name swapped               name_phon_idx
``family``        surname that sounds alike, when no given name is typed  name_phon_idx
``dob_family``    date of birth (exact, day/month swapped or one digit    name_dob_family_idx
                  off) and a surname that sounds alike (either name)
``dob_given``     the same with a given name that sounds alike            name_dob_given_idx
``dob``           born that day (or day and month swapped), when only     name_dob_family_idx
                  one name is typed
``family_typo``   the given name (or a nickname of it) and a surname      name_canon_family_idx
                  starting with the same three letters
``given_typo``    the exact surname and a given name starting with the    name_norm_idx
                  same two letters
================  ======================================================  =====================

Placeholder dates of birth (``keys.PLACEHOLDER_DOBS``) are never keys: they are stored as NULL
``dob_key`` and never searched for. The blocks run as one SQL statement that also reads every
candidate's names, date of birth, phones and address, so a search is one query whatever the
table size; the candidates are then scored in Python (``scoring``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from incidents.matching import keys, scoring
from incidents.matching.conf import setting
from incidents.models import Person, PersonName, PersonPhone

#: Upper bound of a prefix range on folded names (which hold only the letters a-z).
_PREFIX_END = "z" * 100


@dataclass(frozen=True)
class MatchQuery:
    """What the call taker has typed about one person so far (any field may be empty)."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    phones: tuple[str, ...] = ()
    postcode: str = ""
    house: str = ""
    #: Persons already linked in this call, never offered again.
    exclude_person_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """An existing person who may be the one typed, with the reasons in words."""

    person_id: int
    score: float
    flagged: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Block:
    """One candidate block: a name for EXPLAIN and the bench, and its LIMITed queryset."""

    name: str
    queryset: QuerySet


# --- Query-side keys ----------------------------------------------------------------------------


def _given_codes(given: str) -> set[str]:
    """Phonetic keys a stored given name may have: its canonical form and every formal name."""
    if not keys.fold(given):
        return set()
    names = {keys.given_canon(given), *keys.canonical_given_names(given)}
    # Stored keys are primary codes; the typed name's alternate code catches Luge -> LK (Luke).
    return {code for n in names for code in keys.phonetic(n) if code}


def _family_codes(family: str) -> set[str]:
    return {code for code in keys.phonetic(family) if code}


def dob_variants(typed: date | None) -> list[date]:
    """The dates a typed date of birth may have been meant as: itself, day and month swapped,
    and every valid date one digit away (DDMMYYYY), within 1900 and today; no placeholders."""
    if typed is None or keys.dob_key(typed) is None:
        return []
    today = timezone.localdate()
    found: dict[date, None] = {typed: None}
    with contextlib.suppress(ValueError):  # 13/01 swapped is not a date
        found[typed.replace(day=typed.month, month=typed.day)] = None
    digits = f"{typed.year:04d}{typed.month:02d}{typed.day:02d}"
    for i in range(8):
        for digit in "0123456789":
            if digit == digits[i]:
                continue
            text = digits[:i] + digit + digits[i + 1 :]
            try:
                candidate = date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                continue
            if date(1900, 1, 1) <= candidate <= today:
                found[candidate] = None
    return [d for d in found if d not in keys.PLACEHOLDER_DOBS]


# --- Blocks ---------------------------------------------------------------------------------


def candidate_blocks(query: MatchQuery) -> list[Block]:
    """The blocks this query can use (a block needs its keys typed), each with its LIMIT."""
    limit = setting("DAPOLICE_MATCH_BLOCK_LIMIT")
    given, family = query.given_name, query.family_name
    given_folded, family_folded = keys.fold(given), keys.fold(family)
    given_codes, family_codes = _given_codes(given), _family_codes(family)
    # Either typed name may be the other: "Smith John".
    swapped_given, swapped_family = _given_codes(family), _family_codes(given)
    names = PersonName.objects.all()
    if query.exclude_person_ids:
        names = names.exclude(person_id__in=query.exclude_person_ids)
    blocks: list[Block] = []

    def add(name: str, qs: QuerySet, column: str = "person_id") -> None:
        blocks.append(Block(name, qs.values(column)[:limit]))

    phones = sorted({p for p in (keys.phone_key(raw) for raw in query.phones) if p})
    if phones:
        qs = PersonPhone.objects.filter(number__in=phones)
        if query.exclude_person_ids:
            qs = qs.exclude(person_id__in=query.exclude_person_ids)
        add("phone", qs)
    postcode, house = keys.postcode_key(query.postcode), keys.house_key(query.house)
    if postcode and house:
        qs = Person.objects.filter(address__postcode_key=postcode, address__house_key=house)
        if query.exclude_person_ids:
            qs = qs.exclude(pk__in=query.exclude_person_ids)
        add("address", qs, "id")
    if postcode and family_codes:
        # The house number missing or mistyped: the postcode (a street, ~15 homes) and surname.
        add(
            "postcode_family",
            names.filter(
                person__address__postcode_key=postcode,
                family_phon__in=family_codes | swapped_family,
            ),
        )
    if family_codes and given_codes:
        add(
            "name",
            names.filter(
                Q(family_phon__in=family_codes) | Q(family_phon_alt__in=family_codes),
                given_phon__in=given_codes,
            ),
        )
        if swapped_family and swapped_given and given_folded != family_folded:
            add(
                "name_swapped",
                names.filter(family_phon__in=swapped_family, given_phon__in=swapped_given),
            )
        canon = {keys.given_canon(given), *keys.canonical_given_names(given)}
        if len(family_folded) >= 3:
            prefix = family_folded[:3]
            add(
                "family_typo",
                names.filter(
                    given_canon__in=canon,
                    family_norm__gte=prefix,
                    family_norm__lte=prefix + _PREFIX_END,
                ),
            )
        if len(given_folded) >= 2:
            prefix = given_folded[:2]
            add(
                "given_typo",
                names.filter(
                    family_norm=family_folded,
                    given_canon__gte=prefix,
                    given_canon__lte=prefix + _PREFIX_END,
                ),
            )
    elif family_codes:
        add("family", names.filter(family_phon__in=family_codes))
    dates = dob_variants(query.date_of_birth)
    if dates and not (given_folded and family_folded):
        # One name not typed (or garbled past its sound): everyone born that day, or with day
        # and month swapped, up to the limit.
        add("dob", names.filter(dob_key__in=dates[:2]))
    if dates:
        if family_codes or swapped_family:
            add(
                "dob_family",
                names.filter(dob_key__in=dates, family_phon__in=family_codes | swapped_family),
            )
        if given_codes or swapped_given:
            add(
                "dob_given",
                names.filter(dob_key__in=dates, given_phon__in=given_codes | swapped_given),
            )
    return blocks


def _compiled(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, tuple(params)


def candidate_sql(query: MatchQuery) -> tuple[str, tuple] | None:
    """The union of the blocks as one SQL statement of person ids (None: nothing to search)."""
    parts: list[str] = []
    params: list = []
    for i, block in enumerate(candidate_blocks(query)):
        sql, block_params = _compiled(block.queryset)
        # The wrapping SELECT lets each block keep its own LIMIT on every backend.
        parts.append(f"SELECT * FROM ({sql}) AS b{i}")  # noqa: S608 (ORM-compiled SQL, params)
        params.extend(block_params)
    if not parts:
        return None
    return " UNION ALL ".join(parts), tuple(params)


# --- The search -------------------------------------------------------------------------------

_DETAIL_COLUMNS = (
    "pk",
    "date_of_birth",
    "address__postcode_key",
    "address__house_key",
    "names__given_name",
    "names__family_name",
    "names__is_primary",
    "phones__number",
    "phones__kind",
)


def fetch_candidates(query: MatchQuery) -> list[scoring.Stored]:
    """Every candidate of every block with what scoring needs, in one query."""
    union = candidate_sql(query)
    if union is None:
        return []
    # The union is ORM-compiled SQL with its values as parameters, nothing typed in the text.
    rows = Person.objects.filter(pk__in=RawSQL(*union)).values_list(*_DETAIL_COLUMNS)  # noqa: S611
    found: dict[int, scoring.Stored] = {}
    for pk, dob, postcode, house, given, family, primary, number, kind in rows:
        stored = found.get(pk)
        if stored is None:
            stored = found[pk] = scoring.Stored(
                person_id=pk, dob=dob, postcode_key=postcode or "", house_key=house or ""
            )
        if given is not None or family is not None:
            name = (given or "", family or "", bool(primary))
            if name not in stored.names:
                stored.names.append(name)
        if number:
            stored.phones[number] = kind
    return list(found.values())


def typed_of(query: MatchQuery) -> scoring.Typed:
    return scoring.Typed.from_raw(
        given=query.given_name,
        family=query.family_name,
        date_of_birth=query.date_of_birth,
        phones=query.phones,
        postcode=query.postcode,
        house=query.house,
    )


def rank(
    query: MatchQuery,
    stored: Iterable[scoring.Stored],
    *,
    limit: int = 10,
    weights: scoring.Weights = scoring.DEFAULT_WEIGHTS,
) -> list[Candidate]:
    """Score and order candidates (best first); drop those below the minimum score."""
    typed = typed_of(query)
    ranked = scoring.rank(
        ((person, scoring.compare(typed, person)) for person in stored),
        weights,
        flag_threshold=float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD")),
        min_score=float(setting("DAPOLICE_MATCH_MIN_SCORE")),
        limit=limit,
    )
    return [
        Candidate(
            person_id=r.person_id,
            score=r.score,
            flagged=r.flagged,
            reasons=scoring.reasons(r.evidence, typed, weights)
            + ([scoring.BETTER_AT_ADDRESS] if r.outranked_at_address else []),
        )
        for r in ranked
    ]


def match_persons(query: MatchQuery, *, limit: int = 10) -> list[Candidate]:
    """Existing persons who may be the one typed, best first, at most ``limit``.

    One database query whatever the size of the tables; see the module docstring.
    """
    return rank(query, fetch_candidates(query), limit=limit)


def persons_at_address(postcode: str, house: str) -> list[int]:
    """Ids of the persons whose current address has this postcode and house number.

    A separate list in the panel ("people at this address"), never matches: a household shares
    an address. At most ``DAPOLICE_MATCH_ADDRESS_LIMIT``; empty unless both keys are valid.
    """
    postcode_key, house_key = keys.postcode_key(postcode), keys.house_key(house)
    if not (postcode_key and house_key):
        return []
    limit = setting("DAPOLICE_MATCH_ADDRESS_LIMIT")
    return list(
        Person.objects.filter(address__postcode_key=postcode_key, address__house_key=house_key)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def explain(query: MatchQuery, *, analyze: bool = False) -> dict[str, str]:
    """EXPLAIN of each block on its own (for the bench): block name -> plan text."""
    plans = {}
    for block in candidate_blocks(query):
        sql, params = _compiled(block.queryset)
        prefix = "EXPLAIN ANALYZE " if analyze and connection.vendor == "postgresql" else "EXPLAIN "
        if connection.vendor == "sqlite":
            prefix = "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            plans[block.name] = "\n".join(
                " ".join(str(c) for c in row) for row in cursor.fetchall()
            )
    return plans

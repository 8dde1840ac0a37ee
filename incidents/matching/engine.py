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
``given_as_...``  the one name typed in the given-name box, as a surname  name_phon_idx
                  (``given_as_family``; "Smith" typed as the given name)
``postcode_given``  the postcode and a given name that sounds alike, when  address_key_idx
                  no surname is typed
``dob_family``    date of birth (exact, day/month swapped or one digit    name_family_dob_idx
                  off) and a surname that sounds alike (either name)
``dob_given``     the same with a given name that sounds alike            name_given_dob_idx
``dob``           born that day (or day and month swapped), when only     person_dob_idx
                  one name is typed
``dob_house``     born that day (or day and month swapped) at the house   person_dob_idx
                  number typed, whatever the names and the postcode
``family_typo``   the given name (or a nickname of it) and a surname      name_canon_family_idx
                  starting with the same three letters
``given_typo``    the exact surname and a given name starting with the    name_norm_idx
                  same two letters
``family_tri...`` the given name (its canonical form) and a surname      name_keyed_trgm_idx
                  with trigrams in common (pg_trgm ``%``, similarity
                  0.3): typos in the first letters (``family_trigram``)
================  ======================================================  =====================

The index is the one the block was made for. The two date-of-birth indexes are led by the name
code, and no index on the names table starts with ``dob_key``: otherwise PostgreSQL answers
``dob_family`` (some 40 dates, a few surname codes) with a BitmapAnd of everyone born on those
days and everyone with that surname (at 1M persons ~20,000 index entries read, 1 ms) instead of
probing the composite index once per (code, date) pair (0.1-0.2 ms). Every block is an index scan:
``python -m bench.matching`` prints each block's EXPLAIN ANALYZE.

Placeholder dates of birth (``keys.PLACEHOLDER_DOBS``) are never keys: they are stored as NULL
``dob_key`` and never searched for. The date-of-birth blocks read the date typed and its
day/month swap before the one-digit typos, so a block cut short by its LIMIT (common names at a
million persons) keeps the likely dates. The blocks run as one SQL statement that also reads
every candidate's names, date of birth, phones and address, so a search is one query whatever
the table size; the candidates are then scored in Python (``scoring``).

What grows with the table is the number of candidates (blocks fill up to their LIMIT) and the
pages read for each. A candidate's date of birth (or year of birth alone) and address come from
person_match_year_idx and address_match_idx alone (index-only scans); phones are read only when one
is typed, from phone_match_idx alone.

A restricted (refuge or safe) address is never evidence: the engine has no user to decide who
is entitled to it, so it treats it as unknown to everyone. The blocks joining addresses skip
persons whose current address is restricted (in their SQL), a candidate found by another block
is read with no address keys (no address weight, no "same postcode" reason). Otherwise typing a
postcode with any name would find or confirm where someone's refuge is. (Who lives at a typed
address is not matching: ``incidents.selectors.people_at_address`` lists it, and nobody at a
refuge.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from incidents.matching import keys, scoring, weights
from incidents.matching.conf import setting
from incidents.matching.models import MatchingModel
from incidents.models import Address, Person, PersonName, PersonPhone

#: The shortest surname the trigram block searches (shorter ones have too few trigrams to say
#: anything: "Li" shares a third of its trigrams with every name starting with L).
TRIGRAM_MIN_LENGTH = 4
#: Upper bound of a prefix range on folded names (which hold only the letters a-z).
_PREFIX_END = "z" * 100


@dataclass(frozen=True)
class MatchQuery:
    """What the call taker has typed about one person so far (any field may be empty)."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    #: A year of birth typed alone (a child's date known only by its year): compared with the
    #: years of stored dates and years, never searched (a year selects nobody).
    birth_year: int | None = None
    phones: tuple[str, ...] = ()
    postcode: str = ""
    house: str = ""
    #: The street and town, compared (never searched) when the postcode disagrees or is missing:
    #: a mistyped postcode with the house number, street and town right is the same home.
    street: str = ""
    town: str = ""
    #: Persons already linked in this call, never offered again.
    exclude_person_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """An existing person who may be the one typed, with the reasons in words."""

    person_id: int
    score: float
    flagged: bool
    reasons: list[str] = field(default_factory=list)
    #: Every name of the person as read for scoring (given, family, primary), primary first:
    #: the selector shows them without reading the names again.
    names: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class Block:
    """One candidate block: its name (for EXPLAIN and the bench), SQL with a LIMIT, params."""

    name: str
    sql: str
    params: tuple


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


#: The earliest date a one-digit variant of a typed date of birth may be (records of the very
#: old, and dates mistyped into the 1800s, exist).
EARLIEST_DOB = date(1800, 1, 1)


def dob_variants(typed: date | None) -> list[date]:
    """The dates a typed date of birth may have been meant as: itself, day and month swapped,
    and every valid date one digit away (DDMMYYYY), within ``EARLIEST_DOB`` and today; no
    placeholders."""
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
            if EARLIEST_DOB <= candidate <= today:
                found[candidate] = None
    return [d for d in found if d not in keys.PLACEHOLDER_DOBS]


# --- Blocks ---------------------------------------------------------------------------------


class _Sql:
    """Quoted table and column names of the models the blocks read (plain, portable SQL:
    Django's ORM took longer to build nine small querysets than PostgreSQL took to run them)."""

    def __init__(self) -> None:
        q = connection.ops.quote_name

        def col(model: type[Model], name: str) -> str:
            return q(cast("Field[Any, Any]", model._meta.get_field(name)).column)

        self.name = q(PersonName._meta.db_table)
        self.person = q(Person._meta.db_table)
        self.address = q(Address._meta.db_table)
        self.phone = q(PersonPhone._meta.db_table)
        self.n = {
            f: col(PersonName, f)
            for f in (
                "person", "given_name", "family_name", "is_primary", "dob_key", "given_canon",
                "given_phon", "family_norm", "family_phon", "family_phon_alt",
            )
        }  # fmt: skip
        self.p = {f: col(Person, f) for f in ("id", "date_of_birth", "birth_year", "address")}
        self.a = {
            f: col(Address, f)
            for f in ("id", "postcode_key", "house_key", "is_restricted", "street", "town")
        }
        self.ph = {f: col(PersonPhone, f) for f in ("person", "number", "kind")}


def _sql() -> _Sql:
    # Per connection vendor (quoting differs); cheap to build, cached on first use.
    cached = _SQL.get(connection.vendor)
    if cached is None:
        cached = _SQL[connection.vendor] = _Sql()
    return cached


_SQL: dict[str, _Sql] = {}


def _in(column: str, values: Iterable[object], params: list[object]) -> str:
    values = sorted(values, key=str)
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _typed_phones(query: MatchQuery) -> set[str]:
    """The numbers typed that are valid (E.164), as ``scoring.Typed`` reads them."""
    return {e164 for e164 in (keys.phone_key(raw) for raw in query.phones) if e164}


def candidate_blocks(query: MatchQuery) -> list[Block]:
    """The blocks this query can use (a block needs its keys typed), each with its LIMIT."""
    t = _sql()
    n, p, a, ph = t.n, t.p, t.a, t.ph
    limit = int(setting("DAPOLICE_MATCH_BLOCK_LIMIT"))
    # Titles are not names: "Sir John Smith, 1st Bt." searches John Smith.
    given, family = keys.strip_titles(query.given_name), keys.strip_titles(query.family_name)
    given_folded, family_folded = keys.fold(given), keys.fold(family)
    given_codes, family_codes = _given_codes(given), _family_codes(family)
    # Either typed name may be the other: "Smith John".
    swapped_given, swapped_family = _given_codes(family), _family_codes(given)
    excluded = sorted(set(query.exclude_person_ids))
    blocks: list[Block] = []

    def add(
        name: str,
        select: str,
        where: list[str],
        params: list[object],
        pk: str,
        *,
        then: tuple[list[str], list[object]] | None = None,
    ) -> None:
        """A block; ``then`` is a second, less likely condition (with its params) whose rows
        only fill what the first leaves of the LIMIT."""
        parts, args = [], []
        for tier_where, tier_params in [(where, params)] + ([then] if then else []):
            if excluded:
                tier_where.append("NOT " + _in(pk, excluded, tier_params))
            # Names come from the models' _meta, values are parameters: nothing typed is in
            # the text.
            parts.append(f"SELECT {pk} AS pid FROM {select} WHERE {' AND '.join(tier_where)}")  # noqa: S608
            args.extend(tier_params)
        if len(parts) == 1:
            sql = f"{parts[0]} LIMIT {limit}"
        else:
            # The branches of a UNION ALL are read in order, so the LIMIT keeps the likely rows.
            sql = f"SELECT pid FROM ({' UNION ALL '.join(parts)}) AS tiers LIMIT {limit}"  # noqa: S608
        blocks.append(Block(name, sql, tuple(args)))

    def conditions_sql(
        conditions: Iterable[tuple[str, Iterable[object]]],
    ) -> tuple[list[str], list[object]]:
        args: list[object] = []
        where = []
        for first, values in conditions:
            if " " in first:
                where.append(first)
                args.extend(values)
            else:
                where.append(_in(n[first], values, args))
        return where, args

    def names(
        name: str,
        *conditions: tuple[str, Iterable[object]],
        then: Iterable[tuple[str, Iterable[object]]] = (),
    ) -> None:
        """A block on the names table; each condition is (column, values) for an IN, or
        (SQL with %s, its params) when the first item holds a space; ``then`` as for add."""
        where, args = conditions_sql(conditions)
        second = conditions_sql(then) if then else None
        add(name, t.name, where, args, n["person"], then=second)

    phones = _typed_phones(query)
    if phones:
        args: list[object] = []
        add("phone", t.phone, [_in(ph["number"], phones, args)], args, ph["person"])
    postcode, house = keys.postcode_key(query.postcode), keys.house_key(query.house)
    # Every block joining addresses: a restricted (refuge) address is never searched.
    unrestricted = f"NOT {t.address}.{a['is_restricted']}"
    if postcode and house:
        add(
            "address",
            f"{t.person} JOIN {t.address} ON {t.address}.{a['id']} = {t.person}.{p['address']}",
            [
                f"{t.address}.{a['postcode_key']} = %s",
                f"{t.address}.{a['house_key']} = %s",
                unrestricted,
            ],
            [postcode, house],
            f"{t.person}.{p['id']}",
        )
    if postcode and (family_codes or swapped_family):
        # The house number missing or mistyped: the postcode (a street, ~15 homes) and surname
        # (or the one name typed, which may be the surname).
        args = [postcode]
        add(
            "postcode_family",
            f"{t.name} JOIN {t.person} ON {t.person}.{p['id']} = {t.name}.{n['person']} "
            f"JOIN {t.address} ON {t.address}.{a['id']} = {t.person}.{p['address']}",
            [
                f"{t.address}.{a['postcode_key']} = %s",
                _in(f"{t.name}.{n['family_phon']}", family_codes | swapped_family, args),
                unrestricted,
            ],
            args,
            f"{t.name}.{n['person']}",
        )
    if family_codes and given_codes:
        args = []
        either = (
            f"({_in(n['family_phon'], family_codes, args)} "
            f"OR {_in(n['family_phon_alt'], family_codes, args)})"
        )
        names("name", (either, args), ("given_phon", given_codes))
        if swapped_family and swapped_given and given_folded != family_folded:
            names("name_swapped", ("family_phon", swapped_family), ("given_phon", swapped_given))
        if len(family_folded) >= 3:
            prefix = family_folded[:3]
            names(
                "family_typo",
                ("given_canon", {keys.given_canon(given), *keys.canonical_given_names(given)}),
                (f"{n['family_norm']} BETWEEN %s AND %s", (prefix, prefix + _PREFIX_END)),
            )
        if len(family_folded) >= TRIGRAM_MIN_LENGTH and connection.vendor == "postgresql":
            # A surname mistyped in its first letters (Xmith, Cmith, Nguyem -> Mguyen): no sound
            # code or prefix reaches it, its trigrams do. Bounded by the given name: the
            # surname's trigrams keyed by the given names typed (name_keyed_trgm_idx, migration
            # 0014) are a few hundred index entries, never every surname alike in the table.
            blocks.append(_trigram_block(given, family_folded, excluded, limit))
        if len(given_folded) >= 2:
            prefix = given_folded[:2]
            names(
                "given_typo",
                (f"{n['family_norm']} = %s", (family_folded,)),
                (f"{n['given_canon']} BETWEEN %s AND %s", (prefix, prefix + _PREFIX_END)),
            )
    elif family_codes:
        names("family", ("family_phon", family_codes))
    elif swapped_family:
        # One name, typed as the given name: it may be the surname ("Smith").
        names("given_as_family", ("family_phon", swapped_family))
    if postcode and given_codes and not family_codes:
        # A given name and a postcode, no surname: who in that street has that given name.
        args = [postcode]
        add(
            "postcode_given",
            f"{t.name} JOIN {t.person} ON {t.person}.{p['id']} = {t.name}.{n['person']} "
            f"JOIN {t.address} ON {t.address}.{a['id']} = {t.person}.{p['address']}",
            [
                f"{t.address}.{a['postcode_key']} = %s",
                _in(f"{t.name}.{n['given_phon']}", given_codes, args),
                unrestricted,
            ],
            args,
            f"{t.name}.{n['person']}",
        )
    typed, variants = query.date_of_birth, dob_variants(query.date_of_birth)
    # The date typed and its day/month swap (dob_variants lists them first), then one-digit
    # typos: a date-of-birth block with more rows than its LIMIT keeps them in that order.
    swapped = [d for d in variants[1:2] if typed and (d.day, d.month) == (typed.month, typed.day)]
    near = [connection.ops.adapt_datefield_value(d) for d in variants[:1] + swapped]
    far = [connection.ops.adapt_datefield_value(d) for d in variants[len(near) :]]
    if near and not (given_folded and family_folded):
        # One name not typed (or garbled past its sound): everyone born that day, then with day
        # and month swapped, up to the limit. Read from persons (person_dob_idx): the names
        # table has no index led by dob_key (see the module docstring), and dates of birth here
        # are never placeholders, so date_of_birth and dob_key agree.
        args = []
        where = [_in(p["date_of_birth"], near[:1], args)]
        then: tuple[list[str], list[object]] | None = None
        if len(near) > 1:
            then_args: list[object] = []
            then = ([_in(p["date_of_birth"], near[1:], then_args)], then_args)
        add("dob", t.person, where, args, p["id"], then=then)
    if near and house:
        # Both names garbled or replaced (a surname typo in its first letters and a false
        # given name): born that day (or day and month swapped) at the same house number,
        # whatever the postcode (it may be mistyped too). A few people a day at a million
        # persons; read from person_dob_idx, each address by its key.
        args = []
        add(
            "dob_house",
            f"{t.person} JOIN {t.address} ON {t.address}.{a['id']} = {t.person}.{p['address']}",
            [
                _in(f"{t.person}.{p['date_of_birth']}", near, args),
                f"{t.address}.{a['house_key']} = %s",
                unrestricted,
            ],
            [*args, house],
            f"{t.person}.{p['id']}",
        )
    for name, column, codes in (
        ("dob_family", "family_phon", family_codes | swapped_family),
        ("dob_given", "given_phon", given_codes | swapped_given),
    ):
        if near and codes:
            names(
                name,
                (column, codes),
                ("dob_key", near),
                then=[(column, codes), ("dob_key", far)] if far else (),
            )
    return blocks


def _trigram_block(given: str, family_folded: str, excluded: list[int], limit: int) -> Block:
    """The ``family_trigram`` block: the given name typed (its canonical form) and a surname
    similar to the one typed (pg_trgm's ``%``, similarity 0.3 by default).

    Rows sharing a keyed trigram (``dapolice_name_trigrams`` && ``dapolice_typed_trigrams``,
    one GIN probe per key) are the candidates; the similarity is checked on them alone. The
    probe is a MATERIALIZED CTE so the planner never weighs it against a sequential scan that
    the LIMIT makes look cheap (it did: a second, for a given name with many nicknames)."""
    t = _sql()
    n = t.n
    # The given name's own canonical form (Bill, Will and William are all "william"), not
    # every group a nickname belongs to (Cassie: Caroline, Cassandra, Catherine...): eleven
    # given names made the probe ten times longer, and the labelled sets found no duplicate
    # that needed them here (a surname mistyped *and* a nickname from another group).
    givens = [keys.given_canon(given)]
    args: list[object] = [givens, family_folded]
    where = [
        f"dapolice_name_trigrams({n['given_canon']}, {n['family_norm']}) "
        "&& dapolice_typed_trigrams(%s::text[], %s)"
    ]
    if excluded:
        where.append("NOT " + _in(n["person"], excluded, args))
    # Names from the models' _meta, values are parameters: nothing typed is in the text.
    sql = (
        f"WITH keyed AS MATERIALIZED (SELECT {n['person']} AS pid, {n['family_norm']} AS fam "  # noqa: S608
        f"FROM {t.name} WHERE {' AND '.join(where)}) "
        f"SELECT pid FROM keyed WHERE fam %% %s LIMIT {limit}"
    )
    return Block("family_trigram", sql, (*args, family_folded))


def candidate_sql(query: MatchQuery) -> tuple[str, tuple] | None:
    """The union of the blocks: one statement of person ids (None: nothing to search)."""
    blocks = candidate_blocks(query)
    if not blocks:
        return None
    # The wrapping SELECT lets each block keep its own LIMIT on every backend.
    sql = " UNION ALL ".join(
        f"SELECT pid FROM ({b.sql}) AS b{i}"  # noqa: S608 (the blocks' own SQL)
        for i, b in enumerate(blocks)
    )
    return sql, tuple(v for b in blocks for v in b.params)


# --- The search -------------------------------------------------------------------------------


def candidate_statement(query: MatchQuery) -> tuple[str, tuple] | None:
    """The one statement a search sends: every block's candidates with their names, date of
    birth, phones and address (None when nothing typed can be searched).

    A restricted address is read as no address (NULL keys): whoever a block found, a refuge
    postcode typed never agrees with it. Phones are read only when a valid number was typed:
    scoring compares stored numbers with typed ones and nothing else (``phone_level``), and
    at a million persons that lookup was a fifth of the statement's page reads for nothing.
    """
    union = candidate_sql(query)
    if union is None:
        return None
    t = _sql()
    n, p, a, ph = t.n, t.p, t.a, t.ph
    pid = f"{t.person}.{p['id']}"
    columns = ", ".join(
        [
            pid,
            f"{t.person}.{p['date_of_birth']}",
            f"{t.person}.{p['birth_year']}",
            f"{t.address}.{a['postcode_key']}",
            f"{t.address}.{a['house_key']}",
            f"{t.name}.{n['given_name']}",
            f"{t.name}.{n['family_name']}",
            f"{t.name}.{n['is_primary']}",
        ]
    )
    joins = (
        f"LEFT JOIN {t.address} ON {t.address}.{a['id']} = {t.person}.{p['address']} "
        f"AND NOT {t.address}.{a['is_restricted']} "
        f"LEFT JOIN {t.name} ON {t.name}.{n['person']} = {pid}"
    )
    if _typed_phones(query):
        columns += f", {t.phone}.{ph['number']}, {t.phone}.{ph['kind']}"
        joins += f" LEFT JOIN {t.phone} ON {t.phone}.{ph['person']} = {pid}"
    else:
        columns += ", NULL, NULL"
    # The street and town only when a street is typed (the only use of them: ``SAME_STREET``),
    # so a search without one still reads the address from address_match_idx alone.
    if keys.street_key(query.street):
        columns += f", {t.address}.{a['street']}, {t.address}.{a['town']}"
    else:
        columns += ", NULL, NULL"
    # How common the date of birth typed is: people born that day, and in the three days either
    # side (two bounded index-only counts on person_dob_idx). A day far above its neighbours is
    # a default typed for an unknown date (``scoring.common_by_frequency``).
    column_params: list[object] = []
    born = keys.dob_key(query.date_of_birth)
    if born is not None:
        dob = f"{t.person}.{p['date_of_birth']}"
        columns += (
            f", (SELECT COUNT(*) FROM (SELECT 1 FROM {t.person} WHERE {dob} = %s "  # noqa: S608
            f"LIMIT {scoring.COMMON_DATE_COUNT_LIMIT}) AS same_day)"
            f", (SELECT COUNT(*) FROM (SELECT 1 FROM {t.person} WHERE {dob} BETWEEN %s AND %s "
            f"AND {dob} <> %s LIMIT {scoring.COMMON_DATE_COUNT_LIMIT * 6}) AS around)"
        )
        adapt = connection.ops.adapt_datefield_value
        column_params = [
            adapt(born),
            adapt(born - timedelta(days=3)),
            adapt(born + timedelta(days=3)),
            adapt(born),
        ]
    else:
        columns += ", NULL, NULL"
    # Which weights to score with: the active model's id, read once per statement (an
    # uncorrelated subquery on the partial unique index), so a search needs no query of its
    # own to learn that another model was promoted (``weights``).
    model = connection.ops.quote_name(MatchingModel._meta.db_table)
    columns += f", (SELECT MAX(id) FROM {model} WHERE active)"  # noqa: S608
    # Names from the models' _meta, values are parameters: nothing typed is in the text.
    sql = f"SELECT {columns} FROM {t.person} {joins} WHERE {pid} IN ({union[0]})"  # noqa: S608
    return sql, (*column_params, *union[1])


def fetch_candidates(query: MatchQuery) -> list[scoring.Stored]:
    """Every candidate of every block with what scoring needs, in one query."""
    return fetch(query)[0]


class Fetched(NamedTuple):
    """What one search's statement reads."""

    stored: list[scoring.Stored]
    model_id: int | None
    #: The date of birth typed is far more common than the days around it (a default).
    common_date: bool = False


def fetch(query: MatchQuery) -> Fetched:
    """Every candidate with what scoring needs, the active model's id and whether the date
    typed is a common one: one query."""
    statement = candidate_statement(query)
    if statement is None:
        return Fetched([], None)
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        rows = cursor.fetchall()
    found: dict[int, scoring.Stored] = {}
    # Every row carries the active model's id and the date counts (the same in each).
    model_id = rows[0][-1] if rows else None
    same_day, around = (rows[0][-3], rows[0][-2]) if rows else (None, None)
    common = same_day is not None and scoring.common_by_frequency(same_day, around or 0)
    for row in rows:
        pk, dob, year, postcode, house, given, family, primary, number, kind, street, town = row[
            :12
        ]
        stored = found.get(pk)
        if stored is None:
            if isinstance(dob, str):  # SQLite hands back the text
                dob = date.fromisoformat(dob)
            stored = found[pk] = scoring.Stored(
                person_id=pk,
                dob=dob,
                postcode_key=postcode or "",
                house_key=house or "",
                street_key=keys.street_key(street or ""),
                town_key=keys.fold(town or ""),
                birth_year=year,
            )
        if given is not None or family is not None:
            name = (given or "", family or "", bool(primary))
            if name not in stored.names:
                stored.names.append(name)
        if number:
            stored.phones[number] = kind
    return Fetched(list(found.values()), model_id, common)


def typed_of(query: MatchQuery, *, common_date: bool = False) -> scoring.Typed:
    return scoring.Typed.from_raw(
        given=query.given_name,
        family=query.family_name,
        date_of_birth=query.date_of_birth,
        birth_year=query.birth_year,
        phones=query.phones,
        postcode=query.postcode,
        house=query.house,
        street=query.street,
        town=query.town,
        common_date=common_date,
    )


def rank(
    query: MatchQuery,
    stored: Iterable[scoring.Stored],
    *,
    limit: int = 10,
    weights: scoring.Weights = scoring.DEFAULT_WEIGHTS,
    common_date: bool = False,
) -> list[Candidate]:
    """Score and order candidates (best first); drop those below the minimum score."""
    typed = typed_of(query, common_date=common_date)
    stored = list(stored)
    names_of = {
        person.person_id: tuple(sorted(person.names, key=lambda n: (not n[2], n[1], n[0])))
        for person in stored
    }
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
            + ([scoring.BETTER_AT_ADDRESS] if r.outranked_at_address else [])
            + ([scoring.shared_name_reason(r.sharing_the_name)] if r.sharing_the_name > 1 else []),
            names=names_of[r.person_id],
        )
        for r in ranked
    ]


def match_persons(query: MatchQuery, *, limit: int = 10) -> list[Candidate]:
    """Existing persons who may be the one typed, best first, at most ``limit``.

    One database query whatever the size of the tables; see the module docstring. Scored with
    the active matching model's weights (the hand-set ones when none is active).
    """
    stored, model_id, common = fetch(query)
    return rank(query, stored, limit=limit, weights=weights.for_model(model_id), common_date=common)


def explain(query: MatchQuery, *, analyze: bool = False) -> dict[str, str]:
    """EXPLAIN of each block on its own (for the bench and a test): block name -> plan text."""
    if connection.vendor == "sqlite":
        prefix = "EXPLAIN QUERY PLAN "
    else:
        prefix = "EXPLAIN ANALYZE " if analyze else "EXPLAIN "
    plans = {}
    with connection.cursor() as cursor:
        for block in candidate_blocks(query):
            cursor.execute(prefix + block.sql, block.params)
            plans[block.name] = "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())
    return plans

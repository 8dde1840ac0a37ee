"""Realistic, reproducible synthetic data at scale: 1,000 to 1,000,000 incidents.

The structure is what domestic abuse looks like to a control room and to the matching engine:

* households: victim and suspect often share a dwelling and sometimes a surname (with the
  maiden name kept as an alias); children at the address carry the family surname; ex-partners
  live elsewhere, a few outside the force area; a few victims have moved to a refuge (a
  restricted address);
* repeat victims (incidents chosen preferentially from cases active in the last 12 months),
  serial perpetrators (a known suspect in a new relationship), victims who meet a new abuser;
* callers: the victim, a neighbour a few doors away, a relative, a child, or a silent line;
* records as they really are: aliases (maiden names, nicknames, misspellings), missing and
  placeholder dates of birth, shared household landlines, warning markers on people and places;
* incidents over several years up to now, more recent ones more frequent, graded A/B/C from
  the ``AttendanceCategory`` rows with the deadline from the call; most attended (a few late),
  the last few hours' still awaiting or dispatched.

Every match key is computed by ``incidents.matching.keys`` and every reference and attendance
target by ``incidents.rules`` (never re-implemented here), as in the services. Rows go in with
``COPY ... FROM STDIN`` on PostgreSQL (primary keys assigned here, sequences reset afterwards) and
``bulk_create`` elsewhere, in one transaction: a failed load leaves nothing behind. Large loads on
PostgreSQL drop the tables' secondary indexes and foreign keys first and rebuild them at the end,
as ``pg_restore`` does.

The same seed gives the same data (for the same ``now``; primary keys follow on from what the
tables already hold).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.accounts.services import system_user, user_create
from dapolice.demo import synth, texts
from dapolice.demo.synth import SynthAddress, SynthPerson
from incidents.choices import (
    IncidentStatus,
    MarkerKind,
    PersonRole,
    PhoneKind,
    Relationship,
    RiskLevel,
)
from incidents.matching.keys import (
    PLACEHOLDER_DOBS,
    house_key,
    name_keys,
    phone_key,
    postcode_display,
    postcode_key,
)
from incidents.models import (
    Address,
    AttendanceCategory,
    Incident,
    IncidentPerson,
    Marker,
    Person,
    PersonName,
    PersonPhone,
    RuralArea,
)
from incidents.rules import attendance_target, incident_reference

log = logging.getLogger(__name__)

#: Bump when the same seed would give different incident data (``generate``), so cached bench
#: data sets are rebuilt; ``PEOPLE_VERSION`` likewise for ``generate_people``.
GENERATOR_VERSION = 2
PEOPLE_VERSION = 1
VERSIONS = {"incidents": GENERATOR_VERSION, "people": PEOPLE_VERSION}
#: The placeholder a call taker types when the date of birth is unknown.
PLACEHOLDER_DOB = date(1900, 1, 1)
assert PLACEHOLDER_DOB in PLACEHOLDER_DOBS  # noqa: S101 - keep in step with the matching keys
#: On PostgreSQL, loads of at least this many incidents (or persons) rebuild indexes afterwards.
REBUILD_INDEXES_FROM = 50_000
#: Usernames of the staff the generator attributes its records to (created on first use).
CALL_TAKERS = tuple(f"synthetic.calltaker{i:02d}" for i in range(1, 13))
OFFICERS = tuple(f"synthetic.officer{i:02d}" for i in range(1, 25))
CONTROL_SUPERVISORS = ("synthetic.controlsup01", "synthetic.controlsup02")

#: The scripted demo stories (``generate(stories=True)``): title, the person at its centre, note.
STORY_PEOPLE = (
    (
        "Repeat victim",
        ("Sarah", "Whitmore"),
        "5 calls in 12 months, risk rising to high; the latest is open and overdue on the board "
        "(also known as Sarah Pike; try typing 'Sara Witmore')",
    ),
    (
        "Serial perpetrator",
        ("Wayne", "Kettle"),
        "suspect against three victims: Lisa Bright, Joanne Platt, Kelly Ashworth",
    ),
    (
        "Refuge address",
        ("Emma", "Clarke"),
        "now living in a refuge: a restricted address, never shown in clear to a call taker",
    ),
)

_TABLES = (Address, Person, PersonName, PersonPhone, Marker, Incident, IncidentPerson)
_DAY = 86_400
_YEAR = 365.25 * _DAY
# Calls by hour of day (domestic abuse calls peak in the evening and late at night).
_HOUR_WEIGHTS = (
    3.0, 2.6, 2.1, 1.6, 1.1, 0.8, 0.7, 0.9, 1.1, 1.3, 1.4, 1.5,
    1.6, 1.7, 1.8, 2.0, 2.3, 2.7, 3.2, 3.6, 3.9, 3.9, 3.7, 3.4,
)  # fmt: skip
_HOUR_CUMULATIVE = tuple(sum(_HOUR_WEIGHTS[: i + 1]) for i in range(24))


# --- Results --------------------------------------------------------------------------------


@dataclass
class Story:
    """A scripted case the README and a demo can point to."""

    title: str
    people: list[str]
    references: list[str]
    note: str = ""


@dataclass
class GenerationStats:
    seed: int
    incidents: int = 0
    persons: int = 0
    names: int = 0
    phones: int = 0
    addresses: int = 0
    markers: int = 0
    involvements: int = 0
    seconds: float = 0.0
    stories: list[Story] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (
            self.incidents
            + self.persons
            + self.names
            + self.phones
            + self.addresses
            + self.markers
            + self.involvements
        )

    def summary(self) -> str:
        return (
            f"{self.incidents:,} incidents, {self.persons:,} persons ({self.names:,} names, "
            f"{self.phones:,} phones), {self.addresses:,} addresses, {self.markers:,} markers, "
            f"{self.involvements:,} involvements in {self.seconds:.1f} s (seed {self.seed})"
        )


# --- Bulk loading ---------------------------------------------------------------------------


class _Table:
    """Buffered rows for one model, primary keys assigned here.

    ``fields`` are the attnames the generator fills, in the order ``add`` takes them; every
    other concrete field gets its default, so a column added later with a default does not
    break the generator (one without a default raises, naming it).
    """

    def __init__(self, loader: _Loader, model: type[models.Model], fields: Sequence[str]) -> None:
        self.loader = loader
        self.model = model
        opts = model._meta
        by_attname = {f.attname: f for f in opts.concrete_fields}
        missing = [f for f in fields if f not in by_attname]
        if missing:
            raise ImproperlyConfigured(f"{model.__name__} has no field {missing}")
        pk = opts.pk.attname
        rest = [f for f in opts.concrete_fields if f.attname != pk and f.attname not in fields]
        defaults: list[Any] = []
        for f in rest:
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = loader.started
            else:
                raise ImproperlyConfigured(
                    f"the generator does not fill {model.__name__}.{f.attname}, which has "
                    "no default: add it to dapolice/demo/generator.py"
                )
            if isinstance(f, models.JSONField) and loader.postgres:
                value = json.dumps(value)
            defaults.append(value)
        self.defaults = tuple(defaults)
        self.attnames = [pk, *fields, *(f.attname for f in rest)]
        all_fields = [by_attname[a] for a in self.attnames]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in all_fields)
        # In CSV an unquoted empty value is NULL; text columns that are NOT NULL take it as ''.
        text = [
            connection.ops.quote_name(f.column)
            for f in all_fields
            if isinstance(f, models.CharField | models.TextField) and not f.null
        ]
        options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(text)})" if text else "")
        self.copy_sql = (
            f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN "
            f"WITH ({options})"
        )
        current = 0 if loader.dry else (model._default_manager.aggregate(m=Max(pk))["m"] or 0)
        self.first_id = current + 1
        self.next_id = current + 1
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, *values: Any) -> int:
        pk = self.next_id
        self.next_id += 1
        if self.loader.dry:
            self.count += 1
            return pk
        self.rows.append((pk, *values))
        if len(self.rows) >= self.loader.batch:
            self.flush()
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        self.count += len(rows)
        if self.defaults:
            rows = [r + self.defaults for r in rows]
        if self.loader.postgres:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            buffer.seek(0)
            with connection.cursor() as cursor:
                if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                    cursor.copy_expert(self.copy_sql, buffer)
                else:  # psycopg 3
                    with cursor.copy(self.copy_sql) as copy:
                        copy.write(buffer.getvalue())
        else:
            names = self.attnames
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(names, r, strict=True))) for r in rows], batch_size=500
            )


class _Loader:
    """The tables of one load, flushed with COPY (PostgreSQL) or bulk_create."""

    def __init__(self, *, dry: bool = False) -> None:
        self.dry = dry
        self.postgres = connection.vendor == "postgresql"
        self.batch = 20_000 if self.postgres else 2_000
        self.started = timezone.now()
        self.tables: list[_Table] = []

    def table(self, model: type[models.Model], fields: Sequence[str]) -> _Table:
        table = _Table(self, model, fields)
        self.tables.append(table)
        return table

    def flush(self) -> None:
        for table in self.tables:
            table.flush()

    def finish(self) -> None:
        self.flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(_TABLES)):
                cursor.execute(sql)
            if self.postgres:
                names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _TABLES)
                cursor.execute(f"ANALYZE {names}")
            else:
                cursor.execute("ANALYZE")


@contextmanager
def _indexes_rebuilt_after(progress: Callable[[str], None]) -> Iterator[None]:
    """Drop the generated tables' secondary indexes, unique and foreign-key constraints, and
    recreate them (same names, same definitions) after the load. PostgreSQL only; the caller
    holds a transaction, so a failure restores them untouched.

    Partial indexes stay: they are small, and PostgreSQL does not give back their predicate
    in the words it was created with (``IN`` lists come back as differently cast arrays).
    """
    tables = [m._meta.db_table for m in _TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
            ORDER BY c.contype DESC, c.conname
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                              AND c.conrelid = i.indrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition, _kind in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        # Unique constraints first ('u' sorts after 'f', hence DESC above), then foreign keys.
        for table, name, definition, _kind in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    progress(
        f"rebuilt {len(indexes)} indexes and {len(constraints)} constraints "
        f"in {time.perf_counter() - started:.1f} s"
    )


# --- Staff the records are attributed to ----------------------------------------------------


def _staff(usernames: Sequence[str], role: str, rng: random.Random) -> list[int]:
    """Generator users (unusable passwords), created through the accounts service once."""
    existing = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    actor = None
    for username in usernames:
        if username in existing:
            continue
        actor = actor or system_user()
        sex = rng.choice(("male", "female"))
        user = user_create(
            actor=actor,
            username=username,
            password=None,
            roles=[role],
            first_name=synth.pick(rng, synth.pools()[sex]),
            last_name=synth.pick(rng, synth.pools()["family"]),
            collar_number=str(1000 + len(existing) + rng.randint(0, 8999)),
        )
        existing[username] = user.pk
    return [existing[u] for u in usernames]


def ensure_rural_areas() -> None:
    """The demo force's rural postcode districts, so new incidents grade as the data does."""
    for prefix in synth.RURAL_DISTRICTS:
        RuralArea.objects.get_or_create(
            postcode_prefix=prefix, defaults={"note": "Demo data: rural district"}
        )


# --- The generator --------------------------------------------------------------------------


class _Case:
    """A victim and a suspect: one relationship, one or more incidents."""

    __slots__ = (
        "children",
        "count",
        "emergency_marker",
        "firearm",
        "home",
        "home_id",
        "home_landline",
        "index",
        "moved",
        "neighbour",
        "relationship",
        "risk",
        "suspect",
        "suspect_home_id",
        "suspect_home_rural",
        "victim",
        "victim_family",
        "weapons",
    )
    # Set when the case is made (``_Generator.case``), not in ``__init__``.
    relationship: str
    victim: int
    victim_family: str
    home: SynthAddress
    home_id: int

    def __init__(self, index: int) -> None:
        self.index = index
        self.children: list[tuple[int, date]] = []
        self.home_landline: str | None = None
        self.suspect_home_rural = False
        self.count = 0
        self.emergency_marker = False
        self.firearm = False
        self.moved = False
        self.neighbour = 0
        self.suspect = 0
        self.suspect_home_id: int | None = None
        self.weapons = False
        self.risk = 0.0


def _name_key_values(given: str, family: str, dob: date | None) -> tuple[Any, ...]:
    # Exactly what the services store: the matching engine's own function, every column.
    return tuple(name_keys(given, family, date_of_birth=dob).values())


class _Generator:
    def __init__(self, *, seed: int, now: datetime, loader: _Loader, capacity: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.loader = loader
        self.truth: list[tuple[int, SynthPerson]] | None = None
        self.gazetteer = synth.Gazetteer(random.Random(seed * 7919 + 1), max(capacity, 200))
        self.pools = synth.pools()
        # One row per dwelling, across loads too (the unique constraint address_one_per_dwelling).
        self.addresses: dict[tuple[str, str], tuple[int, bool]] = {
            (pc, house): (pk, rural)
            for pk, pc, house, rural in Address.objects.exclude(postcode_key="")
            .exclude(house_key="")
            .values_list("pk", "postcode_key", "house_key", "is_rural")
            .iterator(chunk_size=10_000)
        }
        self.key_fields = list(name_keys("Ann", "Smith", date_of_birth=None))
        t = loader.table
        self.t_address = t(
            Address,
            [
                "created_at", "updated_at", "house", "street", "locality", "town", "postcode",
                "postcode_key", "house_key", "is_rural", "is_restricted",
            ],
        )  # fmt: skip
        self.t_person = t(
            Person,
            [
                "created_at", "updated_at", "given_name", "family_name", "date_of_birth",
                "address_id", "created_by_id",
            ],
        )  # fmt: skip
        self.t_name = t(
            PersonName,
            ["person_id", "given_name", "family_name", "is_primary", *self.key_fields],
        )
        self.t_phone = t(PersonPhone, ["person_id", "number", "kind", "is_safe_contact"])
        self.t_marker = t(
            Marker,
            [
                "created_at", "updated_at", "kind", "person_id", "address_id", "note", "active",
                "created_by_id",
            ],
        )  # fmt: skip

    # --- places and people ---------------------------------------------------------------------

    def address(self, place: SynthAddress, at: datetime) -> tuple[int, bool]:
        """The row for a dwelling (one per postcode and house number, as the services key it)."""
        key = (postcode_key(place.postcode), house_key(place.house))
        found = self.addresses.get(key)
        if found is not None:
            return found
        pk = self.t_address.add(
            at, at, place.house, place.street, "", place.town, postcode_display(place.postcode),
            key[0], key[1], place.is_rural, place.is_restricted,
        )  # fmt: skip
        self.addresses[key] = (pk, place.is_rural)
        return pk, place.is_rural

    def marker(
        self,
        kind: str,
        at: datetime,
        *,
        person: int | None = None,
        address: int | None = None,
        by: int | None = None,
    ) -> None:
        note = self.rng.choice(texts.MARKER_NOTES.get(kind, ("",)))
        self.t_marker.add(at, at, kind, person, address, note, True, by)

    def dob(
        self, at: datetime, low: float, high: float, missing: float, placeholder: float = 0.008
    ) -> date | None:
        """Aged ``low`` to ``high`` years at ``at``; unknown, or the placeholder, sometimes."""
        r = self.rng.random()
        if r < missing:
            return None
        if r < missing + placeholder:
            return PLACEHOLDER_DOB
        age_days = int(self.rng.uniform(low, high) * 365.25)
        return at.date() - timedelta(days=age_days)

    def person(
        self,
        *,
        sex: str,
        family: str,
        dob: date | None,
        home: SynthAddress | None,
        home_id: int | None,
        at: datetime,
        by: int | None,
        maiden: str | None = None,
        phones: Sequence[tuple[str, str, bool]] = (),
        household: int | None = None,
        given: str | None = None,
    ) -> int:
        rng = self.rng
        given = given or synth.pick(rng, self.pools[sex])
        aliases: list[tuple[str, str]] = []
        if maiden and maiden != family:
            aliases.append((given, maiden))
        r = rng.random()
        if r < 0.06:
            nick = synth.nickname(rng, given)
            if nick:
                aliases.append((nick, family))
        elif r < 0.10:
            misspelt = (given, synth.typo(rng, family))
            if misspelt[1] != family:
                aliases.append(misspelt)
        elif r < 0.12:
            misspelt = (synth.typo(rng, given), family)
            if misspelt[0] != given:
                aliases.append(misspelt)
        return self.write_person(
            given=given, family=family, sex=sex, dob=dob, home=home, home_id=home_id, at=at,
            by=by, aliases=aliases, phones=phones, household=household,
        )  # fmt: skip

    def write_person(
        self,
        *,
        given: str,
        family: str,
        sex: str,
        dob: date | None,
        home: SynthAddress | None,
        home_id: int | None,
        at: datetime,
        by: int | None,
        aliases: Sequence[tuple[str, str]] = (),
        phones: Sequence[tuple[str, str, bool]] = (),
        household: int | None = None,
    ) -> int:
        """The person, their names with match keys, and their phones in E.164."""
        pk = self.t_person.add(at, at, given, family, dob, home_id, by)
        if self.loader.dry:  # keys are not needed to rebuild the ground truth
            for _ in range(len(aliases) + 1):
                self.t_name.add()
        else:
            self.t_name.add(pk, given, family, True, *_name_key_values(given, family, dob))
            for alias_given, alias_family in aliases:
                keys = _name_key_values(alias_given, alias_family, dob)
                self.t_name.add(pk, alias_given, alias_family, False, *keys)
            numbers: list[str] = []
            for raw, kind, safe in phones:
                e164 = phone_key(raw)
                if e164 and e164 not in numbers:
                    numbers.append(e164)
                    self.t_phone.add(pk, e164, kind, safe)
        if self.truth is not None:
            national = [raw for raw, _k, _s in phones]
            self.truth.append(
                (
                    pk,
                    SynthPerson(
                        given_name=given,
                        family_name=family,
                        sex=sex,
                        date_of_birth=dob,
                        phone=national[0] if national else None,
                        address=home,
                        aliases=list(aliases),
                        phones=national,
                        household=household,
                    ),
                )
            )
        return pk

    def phones(
        self, *, adult: bool = True, landline: str | None = None, known: float = 0.88
    ) -> list[tuple[str, str, bool]]:
        """A mobile (known to police with probability ``known``) and the household landline."""
        rng = self.rng
        out: list[tuple[str, str, bool]] = []
        if rng.random() < (known if adult else 0.5):
            out.append((synth.mobile(rng), PhoneKind.MOBILE, False))
        if landline:
            out.append((landline, PhoneKind.LANDLINE, False))
        return out

    def family_name(self) -> str:
        family = synth.pick(self.rng, self.pools["family"])
        if self.rng.random() < 0.02:
            other = synth.pick(self.rng, self.pools["family"])
            if other != family and "-" not in family:
                family = f"{family}-{other}"
        return family

    # --- persons only (matching evaluation) ----------------------------------------------------

    def households(self, persons: int) -> None:
        """``persons`` people in households: couples sharing a dwelling and often a surname,
        children with the family surname, people living alone."""
        rng = self.rng
        at = self.now
        household = 0
        made = 0
        while made < persons:
            household += 1
            home = self.gazetteer.address(rng)
            home_id, _rural = self.address(home, at)
            size = rng.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 14, 6), k=1)[0]
            size = min(size, persons - made)
            family = self.family_name()
            landline = synth.landline(rng, home.town) if rng.random() < 0.15 else None
            first_sex = rng.choice(("female", "male"))
            self.person(
                sex=first_sex, family=family, dob=self.dob(at, 18, 80, 0.04), home=home,
                home_id=home_id, at=at, by=None, phones=self.phones(landline=landline),
                household=household,
            )  # fmt: skip
            made += 1
            if size >= 2:
                partner_sex = "male" if first_sex == "female" and rng.random() < 0.93 else "female"
                shares = rng.random() < 0.55
                own = family if shares else self.family_name()
                self.person(
                    sex=partner_sex, family=own, dob=self.dob(at, 18, 80, 0.05), home=home,
                    home_id=home_id, at=at, by=None, phones=self.phones(landline=landline),
                    household=household,
                    maiden=self.family_name() if shares and partner_sex == "female" else None,
                )  # fmt: skip
                made += 1
            for _ in range(size - 2):
                self.person(
                    sex=rng.choice(("female", "male")), family=family,
                    dob=self.dob(at, 0, 17, 0.02), home=home, home_id=home_id, at=at, by=None,
                    phones=self.phones(adult=False), household=household,
                )  # fmt: skip
                made += 1


class _IncidentGenerator(_Generator):
    """Cases and their incidents over a time line, oldest first."""

    def __init__(self, *, incidents: int, years: float, **kwargs: Any) -> None:
        super().__init__(capacity=int(incidents * 2.5), **kwargs)
        self.n = incidents
        self.years = years
        self.stats_refuges: list[int] = []
        self.t_incident = self.loader.table(
            Incident,
            [
                "created_at", "updated_at", "reference", "received_at", "taken_by_id",
                "location_id", "location_is_rural", "relationship", "narrative",
                "immediate_risk", "injuries", "weapons", "children_present",
                "firearm_at_address", "happened_before", "happened_before_details",
                "victim_vulnerable", "vulnerability_details", "thrive_threat", "thrive_harm",
                "thrive_risk", "thrive_investigation", "thrive_vulnerability",
                "thrive_engagement", "category_id", "target_minutes", "target_at",
                "deadline_at", "deferred_at", "deferred_by_id", "deferral_reason",
                "victim_wishes", "status", "dispatched_at", "attending_officer_id",
                "arrived_at", "risk_level",
            ],
        )  # fmt: skip
        self.t_involved = self.loader.table(
            IncidentPerson, ["incident_id", "person_id", "role", "is_caller", "received_at"]
        )
        self.categories = {
            c.code: c for c in AttendanceCategory.objects.filter(code__in=("A", "B", "C"))
        }
        if len(self.categories) != 3:
            raise ImproperlyConfigured("attendance categories A, B and C are needed (migration)")
        staff_rng = random.Random(0)  # the same staff names whatever the seed
        self.call_takers = _staff(CALL_TAKERS, Role.CALL_TAKER, staff_rng)
        self.officers = _staff(OFFICERS, Role.ATTENDING_OFFICER, staff_rng)
        self.supervisors = _staff(CONTROL_SUPERVISORS, Role.CONTROL_SUPERVISOR, staff_rng)
        self.cases: list[_Case] = []
        self.case_times: list[float] = []
        self.suspect_cases: list[int] = []  # case index per case with a suspect (preferential)
        self.inc_cases: list[int] = []
        self.inc_times: list[float] = []
        self.refuges: list[tuple[int, SynthAddress]] = []

    # --- time line ---------------------------------------------------------------------------

    def timeline(self) -> list[float]:
        """Sorted epoch seconds: linear growth over ``years`` (recent calls twice as frequent
        as the oldest), an evening peak, and a few calls in the last hours for the board."""
        rng = self.rng
        end = self.now.timestamp()
        span = self.years * _YEAR
        start = end - span
        tail = min(self.n, 16, self.n // 50)
        days = max(1, math.ceil(span / _DAY))
        a = 1.0  # density 1 + a * x on [0, 1]
        out: list[float] = []
        while len(out) < self.n - tail:
            u = rng.random()
            x = (-1 + math.sqrt(1 + 2 * a * u * (1 + a / 2))) / a
            day = min(days - 1, int(x * days))
            hour = bisect_right(_HOUR_CUMULATIVE, rng.random() * _HOUR_CUMULATIVE[-1])
            t = start + day * _DAY + min(hour, 23) * 3600 + rng.random() * 3600
            if t < end - 60:  # the last day runs up to now, not past it
                out.append(t)
        for _ in range(tail):
            out.append(end - rng.uniform(120, 5 * 3600))
        out.sort()
        return out

    # --- cases ---------------------------------------------------------------------------------

    def new_case(self, at: datetime, t: float) -> _Case:
        rng = self.rng
        case = _Case(len(self.cases))
        by = rng.choice(self.call_takers)
        case.relationship = rng.choices(
            (
                Relationship.PARTNER,
                Relationship.EX_PARTNER,
                Relationship.FAMILY,
                Relationship.OTHER,
            ),
            weights=(45, 35, 15, 5),
            k=1,
        )[0]
        case.risk = rng.gauss(0, 0.6)
        previous_victim: _Case | None = None
        if self.cases and rng.random() < 0.03:
            # A victim of a case at least six months old, now with a new abuser.
            limit = bisect_right(self.case_times, t - _YEAR / 2)
            if limit:
                previous_victim = self.cases[rng.randrange(limit)]
        serial: _Case | None = None
        if self.suspect_cases and case.relationship != Relationship.FAMILY and rng.random() < 0.08:
            serial = self.cases[self.suspect_cases[rng.randrange(len(self.suspect_cases))]]
            if previous_victim is not None and serial.suspect == previous_victim.victim:
                serial = None
        if serial is not None and case.relationship == Relationship.PARTNER:
            case.relationship = Relationship.EX_PARTNER if rng.random() < 0.4 else case.relationship

        # The victim's household.
        if previous_victim is not None:
            case.victim = previous_victim.victim
            case.victim_family = previous_victim.victim_family
            case.home = previous_victim.home
            case.home_id = previous_victim.home_id
            case.moved = previous_victim.moved
            case.children = list(previous_victim.children)
        else:
            home = self.gazetteer.address(rng)
            case.home = home
            case.home_id, _ = self.address(home, at)
        victim_sex = "female" if rng.random() < 0.85 else "male"
        suspect_sex = "male" if victim_sex == "female" and rng.random() < 0.95 else "female"
        cohabits = (case.relationship == Relationship.PARTNER and rng.random() < 0.75) or (
            case.relationship == Relationship.FAMILY and rng.random() < 0.6
        )
        if serial is not None:
            cohabits = False
        shared_family: str | None = None
        if previous_victim is None:
            own_family = self.family_name()
            maiden = None
            if case.relationship == Relationship.FAMILY and rng.random() < 0.85:
                shared_family = own_family
            elif (
                case.relationship in (Relationship.PARTNER, Relationship.EX_PARTNER)
                and serial is None
                and rng.random() < (0.5 if cohabits else 0.3)
            ):
                shared_family = own_family
                if victim_sex == "female":
                    maiden = self.family_name()
            landline = synth.landline(rng, case.home.town) if rng.random() < 0.15 else None
            case.home_landline = landline if cohabits else None
            home_id = case.home_id
            if rng.random() < 0.025:
                # Since moved to a refuge: her record's current address is restricted.
                case.moved = True
                home_id = self.refuge(at)
            phones = self.phones(landline=landline)
            if rng.random() < 0.05:
                phones.append((synth.mobile(rng), PhoneKind.MOBILE, True))
            case.victim = self.person(
                sex=victim_sex, family=own_family, dob=self.dob(at, 17, 70, 0.03),
                home=case.home, home_id=home_id, at=at, by=by, maiden=maiden, phones=phones,
            )  # fmt: skip
            case.victim_family = own_family
            # Children of the household, with the family surname, at the same address.
            if case.relationship in (Relationship.PARTNER, Relationship.EX_PARTNER) and (
                rng.random() < 0.4
            ):
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    child_dob = self.dob(at, 0.3, 16, 0.0, placeholder=0.0) or at.date()
                    child = self.person(
                        sex=rng.choice(("female", "male")), family=own_family, dob=child_dob,
                        home=case.home, home_id=home_id, at=at, by=by,
                        phones=self.phones(adult=False) if child_dob.year < at.year - 12 else (),
                    )  # fmt: skip
                    case.children.append((child, child_dob))
                if rng.random() < 0.5:
                    self.marker(MarkerKind.CHILDREN_AT_ADDRESS, at, address=case.home_id, by=by)
        else:
            landline = None

        # The suspect.
        if serial is not None:
            case.suspect = serial.suspect
            case.suspect_home_id = serial.suspect_home_id
            case.suspect_home_rural = serial.suspect_home_rural
            case.weapons = serial.weapons
            case.firearm = serial.firearm
            case.risk = max(case.risk, serial.risk) + 0.3
        elif rng.random() < 0.97:
            if cohabits:
                suspect_home = case.home
                suspect_home_id, suspect_rural = self.address(case.home, at)
            elif rng.random() < 0.08:
                suspect_home = self.gazetteer.outside(rng)
                suspect_home_id, suspect_rural = self.address(suspect_home, at)
            else:
                suspect_home = self.gazetteer.address(rng)
                suspect_home_id, suspect_rural = self.address(suspect_home, at)
            family = shared_family or self.family_name()
            age = (16, 60) if case.relationship == Relationship.FAMILY else (18, 65)
            case.suspect = self.person(
                sex=suspect_sex, family=family, dob=self.dob(at, *age, 0.08), home=suspect_home,
                home_id=suspect_home_id, at=at, by=by,
                phones=self.phones(landline=landline if cohabits else None, known=0.7),
            )  # fmt: skip
            case.suspect_home_id = suspect_home_id
            case.suspect_home_rural = suspect_rural
            r = rng.random()
            if r < 0.12:
                self.marker(MarkerKind.VIOLENCE, at, person=case.suspect, by=by)
            elif r < 0.16:
                case.weapons = True
                self.marker(MarkerKind.WEAPONS, at, person=case.suspect, by=by)
            if rng.random() < 0.015:
                case.firearm = True
                self.marker(MarkerKind.FIREARM_CERTIFICATE, at, address=suspect_home_id, by=by)
            if rng.random() < 0.01:
                self.marker(MarkerKind.OTHER, at, person=case.suspect, by=by)
        if case.suspect:
            self.suspect_cases.append(len(self.cases))
        self.cases.append(case)
        self.case_times.append(t)
        return case

    def refuge(self, at: datetime) -> int:
        """One of a few refuges (restricted addresses with a marker); more as the data grows."""
        wanted = max(2, self.n // 5000)
        if len(self.refuges) < wanted and (not self.refuges or self.rng.random() < 0.3):
            place = self.gazetteer.address(self.rng)
            place.is_restricted = True
            key = (postcode_key(place.postcode), house_key(place.house))
            if key in self.addresses:
                place = SynthAddress(
                    house=f"{place.house}A", street=place.street, town=place.town,
                    postcode=place.postcode, is_rural=place.is_rural, is_restricted=True,
                )  # fmt: skip
            pk, _ = self.address(place, at)
            self.marker(MarkerKind.RESTRICTED_ADDRESS, at, address=pk)
            self.refuges.append((pk, place))
            return pk
        return self.rng.choice(self.refuges)[0]

    def pick_repeat(self, t: float) -> _Case | None:
        """A case with an incident in the last 12 months, preferring the busiest."""
        rng = self.rng
        horizon = t - _YEAR
        cases_from = bisect_right(self.case_times, horizon)
        incidents_from = bisect_right(self.inc_times, horizon)
        if rng.random() < 0.5 and incidents_from < len(self.inc_cases):
            return self.cases[self.inc_cases[rng.randrange(incidents_from, len(self.inc_cases))]]
        if cases_from < len(self.cases):
            return self.cases[rng.randrange(cases_from, len(self.cases))]
        return None

    # --- incidents -----------------------------------------------------------------------------

    def run(self, progress: Callable[[str], None]) -> None:
        rng = self.rng
        times = self.timeline()
        utc = UTC
        step = max(1, self.n // 10)
        for i, t in enumerate(times):
            at = datetime.fromtimestamp(t, tz=utc)
            case = None
            if self.cases and rng.random() < 0.42:
                case = self.pick_repeat(t)
            if case is None:
                case = self.new_case(at, t)
            self.incident(case, at, t)
            if (i + 1) % step == 0:
                progress(f"{i + 1:,} of {self.n:,} incidents")

    def emit_incident(
        self,
        *,
        at: datetime,
        by: int,
        location_id: int,
        rural: bool,
        relationship: str,
        narrative: str,
        immediate: bool,
        injuries: bool,
        weapons: bool,
        children_present: bool,
        firearm: bool,
        happened_before: bool,
        happened_before_details: str,
        vulnerable: bool,
        vulnerability_details: str,
        thrive: Sequence[str],
        code: str,
        minutes: int,
        target_at: datetime,
        deadline_at: datetime,
        status: str,
        dispatched_at: datetime | None,
        officer: int | None,
        arrived_at: datetime | None,
        risk: str,
        deferred_at: datetime | None = None,
        deferred_by: int | None = None,
        deferral_reason: str = "",
        victim_wishes: str = "",
    ) -> tuple[int, str]:
        """One incident row; its reference from the product's rule (the key makes it unique)."""
        pk = self.t_incident.next_id
        reference = incident_reference(pk=pk, received_at=at)
        updated = arrived_at or dispatched_at or at
        self.t_incident.add(
            at, updated, reference, at, by, location_id, rural, relationship, narrative,
            immediate, injuries, weapons, children_present, firearm, happened_before,
            happened_before_details, vulnerable, vulnerability_details, *thrive,
            self.categories[code].pk, minutes, target_at, deadline_at, deferred_at, deferred_by,
            deferral_reason, victim_wishes, status, dispatched_at, officer, arrived_at, risk,
        )  # fmt: skip
        return pk, reference

    def incident(self, case: _Case, at: datetime, t: float) -> int:
        rng = self.rng
        by = rng.choice(self.call_takers)
        repeat = case.count > 0
        case.count += 1
        if repeat and case.relationship == Relationship.PARTNER and rng.random() < 0.15:
            case.relationship = Relationship.EX_PARTNER

        # Where: at home, at the suspect's, or elsewhere (always elsewhere once she has moved).
        r = rng.random()
        if case.moved and repeat:
            location_id, rural = self.address(self.gazetteer.address(rng), at)
        elif r < 0.8 or not case.suspect_home_id:
            location_id, rural = self.address(case.home, at)
        elif r < 0.9:
            location_id = case.suspect_home_id
            rural = case.suspect_home_rural
        else:
            location_id, rural = self.address(self.gazetteer.address(rng), at)
        at_home = location_id == case.home_id

        # The checklist.
        escalation = min(case.count - 1, 5) * 0.08 + max(case.risk, 0) * 0.1
        immediate = rng.random() < 0.28 + escalation
        injuries = rng.random() < 0.22 + escalation
        weapons = rng.random() < (0.3 if case.weapons else 0.06)
        today = at.date()
        children = [c for c, born in case.children if born < today]
        children_present = bool(children) and at_home and rng.random() < 0.6
        firearm = case.firearm and location_id in (case.home_id, case.suspect_home_id)
        happened_before = repeat or rng.random() < 0.35
        vulnerable = rng.random() < 0.15

        # The grade and the deadline.
        if immediate or weapons:
            code = "A" if rng.random() < 0.8 else "B"
        elif injuries:
            code = rng.choices("ABC", weights=(40, 50, 10), k=1)[0]
        else:
            code = rng.choices("ABC", weights=(10, 50, 40), k=1)[0]
        minutes, target_at = attendance_target(
            received_at=at, category=self.categories[code], rural=rural
        )
        deadline_at = target_at
        deferred_at = deferred_by = None
        deferral_reason = victim_wishes = ""
        if code == "C" and rng.random() < 0.01:
            deferred_at = at + timedelta(minutes=minutes * rng.uniform(0.3, 0.9))
            deadline_at = target_at + timedelta(hours=rng.uniform(2, 20))
            deferred_by = rng.choice(self.supervisors)
            deferral_reason = rng.choice(texts.DEFERRAL_REASONS)
            victim_wishes = rng.choice(texts.VICTIM_WISHES)

        # Attendance: most within the target, some late; recent calls may still be open.
        allowed = (deadline_at - at).total_seconds()
        if rng.random() < (0.86 if code == "A" else 0.9):
            arrive = allowed * rng.uniform(0.3, 0.97)
        else:
            arrive = allowed * (1 + rng.expovariate(2.5))
        now = self.now
        age = (now - at).total_seconds()
        dispatch = min(arrive * rng.uniform(0.1, 0.6), allowed)
        if age < 4 * 3600 and rng.random() < 0.7:
            # A busy shift: some of the last hours' calls are still waiting for an officer.
            arrive = max(arrive, age + allowed * rng.uniform(0.05, 0.8))
            if rng.random() < 0.5:
                dispatch = arrive * 0.9
        arrived_at: datetime | None = at + timedelta(seconds=arrive)
        dispatched_at: datetime | None = at + timedelta(seconds=dispatch)
        officer: int | None = rng.choice(self.officers)
        if arrived_at is not None and arrived_at > now:
            arrived_at = None
            if dispatched_at is not None and dispatched_at > now:
                dispatched_at = None
                officer = None
                status = IncidentStatus.AWAITING
            else:
                status = IncidentStatus.DISPATCHED
        elif age < 14 * _DAY or rng.random() < 0.04:
            status = IncidentStatus.ATTENDED
        else:
            status = IncidentStatus.CLOSED

        # The DASH outcome, recorded a day or so after attendance.
        assessed_by_now = age > 2 * _DAY or (age > 6 * 3600 and rng.random() < 0.5)
        if arrived_at is None or not assessed_by_now or rng.random() < 0.03:
            risk = RiskLevel.NOT_ASSESSED
        else:
            score = (
                case.risk + 0.25 * min(case.count - 1, 6) + 0.5 * injuries + 0.7 * weapons
                + 0.3 * immediate + rng.gauss(0, 0.5)
            )  # fmt: skip
            if score > 1.6:
                risk = RiskLevel.HIGH
            elif score > 0.55:
                risk = RiskLevel.MEDIUM
            else:
                risk = RiskLevel.STANDARD
        if (
            risk == RiskLevel.HIGH
            and case.count >= 3
            and not case.emergency_marker
            and rng.random() < 0.5
        ):
            case.emergency_marker = True
            self.marker(MarkerKind.TREAT_AS_EMERGENCY, at, address=case.home_id, by=by)

        # Who called.
        r = rng.random()
        teen = [c for c, born in case.children if (today - born).days > 11 * 365]
        if r < 0.68:
            caller = "victim"
        elif r < 0.83:
            caller = "neighbour"
        elif r < 0.9:
            caller = "family"
        elif r < 0.94 and teen and children_present:
            caller = "child"
        else:
            caller = "silent" if r > 0.97 else "victim"

        thrive = code != "C" or rng.random() < 0.3
        pk, _reference = self.emit_incident(
            at=at, by=by, location_id=location_id, rural=rural, relationship=case.relationship,
            narrative=texts.narrative(
                rng, caller=caller, children_present=children_present, repeat=repeat
            ),
            immediate=immediate, injuries=injuries, weapons=weapons,
            children_present=children_present, firearm=firearm, happened_before=happened_before,
            happened_before_details=rng.choice(texts.HAPPENED_BEFORE) if happened_before else "",
            vulnerable=vulnerable,
            vulnerability_details=rng.choice(texts.VULNERABILITY) if vulnerable else "",
            thrive=(
                rng.choice(texts.THRIVE_THREAT), rng.choice(texts.THRIVE_HARM),
                rng.choice(texts.THRIVE_RISK), "", "Victim vulnerable." if vulnerable else "",
                rng.choice(texts.THRIVE_ENGAGEMENT),
            ) if thrive else ("",) * 6,
            code=code, minutes=minutes, target_at=target_at, deadline_at=deadline_at,
            deferred_at=deferred_at, deferred_by=deferred_by, deferral_reason=deferral_reason,
            victim_wishes=victim_wishes, status=status, dispatched_at=dispatched_at,
            officer=officer, arrived_at=arrived_at, risk=risk,
        )  # fmt: skip

        add = self.t_involved.add
        add(pk, case.victim, PersonRole.VICTIM, caller == "victim", at)
        if case.suspect:
            add(pk, case.suspect, PersonRole.SUSPECT, False, at)
        if children_present:
            for child in children:
                add(pk, child, PersonRole.CHILD, caller == "child" and child == teen[0], at)
        if caller == "neighbour":
            if not case.neighbour or rng.random() < 0.3:
                place = self.gazetteer.neighbour(rng, case.home)
                place_id, _ = self.address(place, at)
                case.neighbour = self.person(
                    sex=rng.choice(("female", "male")), family=self.family_name(),
                    dob=self.dob(at, 20, 85, 0.4), home=place, home_id=place_id, at=at, by=by,
                    phones=self.phones(),
                )  # fmt: skip
            add(pk, case.neighbour, PersonRole.OTHER, True, at)
        elif caller == "family":
            relative = self.person(
                sex="female", family=case.victim_family, dob=self.dob(at, 40, 80, 0.3),
                home=None, home_id=None, at=at, by=by, phones=self.phones(),
            )  # fmt: skip
            add(pk, relative, PersonRole.OTHER, True, at)
        self.inc_cases.append(case.index)
        self.inc_times.append(t)
        return pk

    # --- scripted stories for the demo --------------------------------------------------------

    def stories(self) -> list[Story]:
        """Three named cases the README points to, dated relative to now.

        Phone numbers are in Ofcom's range reserved for drama (07700 900xxx).
        """
        now = self.now
        by = self.call_takers[0]

        def ago(**kwargs: float) -> datetime:
            return now - timedelta(**kwargs)

        def place(house: str, street: str, town: str, postcode: str, **flags: bool) -> int:
            return self.address(SynthAddress(house, street, town, postcode, **flags), now)[0]

        def person(
            given: str,
            family: str,
            born: date,
            home: int | None,
            at: datetime,
            aliases: Sequence[tuple[str, str]] = (),
            phone: str | None = None,
        ) -> int:
            phones = [(phone, PhoneKind.MOBILE, False)] if phone else []
            return self.write_person(
                given=given, family=family, sex="", dob=born, home=None, home_id=home, at=at,
                by=by, aliases=aliases, phones=phones,
            )  # fmt: skip

        def attended(
            at: datetime,
            *,
            victim: int,
            suspect: int,
            location: int,
            code: str,
            risk: str,
            relationship: str,
            narrative: str,
            children: Sequence[int] = (),
            open_: bool = False,
            injuries: bool = False,
            weapons: bool = False,
        ) -> str:
            minutes, target_at = attendance_target(
                received_at=at, category=self.categories[code], rural=False
            )
            arrived = None if open_ else at + timedelta(minutes=minutes * 0.7)
            pk, reference = self.emit_incident(
                at=at, by=by, location_id=location, rural=False, relationship=relationship,
                narrative=narrative, immediate=code == "A", injuries=injuries, weapons=weapons,
                children_present=bool(children), firearm=False, happened_before=True,
                happened_before_details=texts.HAPPENED_BEFORE[0], vulnerable=False,
                vulnerability_details="", thrive=("",) * 6, code=code, minutes=minutes,
                target_at=target_at, deadline_at=target_at,
                status=IncidentStatus.AWAITING if open_ else IncidentStatus.ATTENDED,
                dispatched_at=None if open_ else at + timedelta(minutes=2),
                officer=None if open_ else self.officers[0], arrived_at=arrived,
                risk=RiskLevel.NOT_ASSESSED if open_ else risk,
            )  # fmt: skip
            add = self.t_involved.add
            add(pk, victim, PersonRole.VICTIM, True, at)
            add(pk, suspect, PersonRole.SUSPECT, False, at)
            for child in children:
                add(pk, child, PersonRole.CHILD, False, at)
            return reference

        partner, ex = Relationship.PARTNER, Relationship.EX_PARTNER
        out: list[Story] = []

        # 1. A repeat victim: four calls in a year, getting worse; the fifth is on the board now.
        home = place("14", "Magdalen Road", "Norwich", "NR3 4LA")
        start = ago(days=340)
        sarah = person(
            "Sarah", "Whitmore", date(1989, 4, 12), home, start, [("Sarah", "Pike")],
            "07700 900123",
        )  # fmt: skip
        darren = person("Darren", "Whitmore", date(1986, 9, 30), home, start, [], "07700 900456")
        alfie = person("Alfie", "Whitmore", date(2016, 2, 3), home, start)
        mia = person("Mia", "Whitmore", date(2019, 7, 21), home, start)
        self.marker(MarkerKind.VIOLENCE, start, person=darren, by=by)
        self.marker(MarkerKind.CHILDREN_AT_ADDRESS, start, address=home, by=by)
        kids = (alfie, mia)
        refs = [
            attended(
                start, victim=sarah, suspect=darren, location=home, code="B",
                risk=RiskLevel.STANDARD, relationship=partner,
                narrative="Victim called 101. Verbal argument, items thrown. Children asleep.",
            ),
            attended(
                ago(days=210), victim=sarah, suspect=darren, location=home, code="B",
                risk=RiskLevel.MEDIUM, relationship=partner, children=kids,
                narrative="Neighbour called. Shouting and a child crying. Suspect left on foot.",
            ),
            attended(
                ago(days=95), victim=sarah, suspect=darren, location=home, code="A",
                risk=RiskLevel.MEDIUM, relationship=partner, injuries=True,
                narrative="Victim called 999. Pushed against a wall; bruising to her arm.",
            ),
            attended(
                ago(days=40), victim=sarah, suspect=darren, location=home, code="A",
                risk=RiskLevel.HIGH, relationship=partner, injuries=True, children=kids,
                narrative="Victim called 999. Grabbed by the throat. Threats to kill.",
            ),
            attended(
                ago(minutes=25), victim=sarah, suspect=darren, location=home, code="A",
                risk="", relationship=partner, children=kids, open_=True,
                narrative="Victim called 999 whispering; suspect banging on the bathroom door.",
            ),
        ]  # fmt: skip
        out.append(
            Story(
                title="Repeat victim",
                people=[
                    "Sarah Whitmore (also Sarah Pike), 12/04/1989, 07700 900123",
                    "Darren Whitmore (suspect)",
                    "Alfie and Mia Whitmore (children)",
                ],
                references=refs,
                note="5 calls in 12 months, risk rising to high; the latest is open and "
                "overdue on the board. Try typing 'Sara Witmore'.",
            )  # fmt: skip
        )

        # 2. A serial perpetrator: three victims over four years.
        wayne_home = place("27", "Silver Road", "Norwich", "NR3 4TB")
        first = ago(days=1450)
        wayne = person(
            "Wayne", "Kettle", date(1981, 11, 5), wayne_home, first, [("Wayne", "Kettel")],
            "07700 900789",
        )  # fmt: skip
        self.marker(MarkerKind.VIOLENCE, first, person=wayne, by=by)
        self.marker(MarkerKind.WEAPONS, ago(days=700), person=wayne, by=by)
        lisa_home = place("8", "Gertrude Road", "Norwich", "NR3 4SB")
        lisa = person("Lisa", "Bright", date(1984, 3, 19), lisa_home, first, [], "07700 900321")
        joanne_home = place("113", "Sprowston Road", "Norwich", "NR3 4HX")
        joanne = person("Joanne", "Platt", date(1990, 12, 1), joanne_home, ago(days=730))
        kelly_home = place("5", "Fernhill Close", "Dereham", "NR19 1QD")
        kelly = person("Kelly", "Ashworth", date(1995, 6, 8), kelly_home, ago(days=150))
        refs = [
            attended(
                first, victim=lisa, suspect=wayne, location=lisa_home, code="A",
                risk=RiskLevel.MEDIUM, relationship=ex, injuries=True,
                narrative="Victim called 999. Ex-partner forced his way in and punched her.",
            ),
            attended(
                ago(days=1400), victim=lisa, suspect=wayne, location=lisa_home, code="B",
                risk=RiskLevel.MEDIUM, relationship=ex,
                narrative="Victim called 101. Ex-partner outside shouting threats.",
            ),
            attended(
                ago(days=730), victim=joanne, suspect=wayne, location=joanne_home, code="A",
                risk=RiskLevel.HIGH, relationship=partner, weapons=True,
                narrative="Neighbour called. Suspect threatened the victim with a knife.",
            ),
            attended(
                ago(days=150), victim=kelly, suspect=wayne, location=kelly_home, code="B",
                risk=RiskLevel.STANDARD, relationship=partner,
                narrative="Victim called 101. Suspect took her phone and bank card.",
            ),
            attended(
                ago(days=20), victim=kelly, suspect=wayne, location=kelly_home, code="A",
                risk=RiskLevel.HIGH, relationship=partner, injuries=True,
                narrative="Victim called 999. Strangled until she nearly passed out.",
            ),
        ]  # fmt: skip
        out.append(
            Story(
                title="Serial perpetrator",
                people=[
                    "Wayne Kettle (also Wayne Kettel), 05/11/1981, 07700 900789",
                    "Lisa Bright",
                    "Joanne Platt",
                    "Kelly Ashworth (victims)",
                ],
                references=refs,
                note="Suspect against three different victims: flagged as a serial perpetrator.",
            )  # fmt: skip
        )

        # 3. A victim now living in a refuge (a restricted address, never shown in clear).
        refuge = place("Fern House", "Unthank Road", "Norwich", "NR2 2PA", is_restricted=True)
        self.marker(MarkerKind.RESTRICTED_ADDRESS, ago(days=200), address=refuge)
        old_home = place("56", "Bowthorpe Road", "Norwich", "NR2 3TZ")
        emma = person(
            "Emma", "Clarke", date(1992, 8, 27), refuge, ago(days=250), [("Emma", "Doyle")],
            "07700 900654",
        )  # fmt: skip
        jason = person("Jason", "Clarke", date(1988, 1, 14), old_home, ago(days=250))
        public = place("12", "Castle Meadow", "Norwich", "NR1 3DE")
        refs = [
            attended(
                ago(days=250), victim=emma, suspect=jason, location=old_home, code="A",
                risk=RiskLevel.HIGH, relationship=partner, injuries=True,
                narrative="Victim called 999. Assaulted in front of the children.",
            ),
            attended(
                ago(days=60), victim=emma, suspect=jason, location=public, code="B",
                risk=RiskLevel.HIGH, relationship=ex,
                narrative="Victim called 999. Ex-partner followed her from the bus stop.",
            ),
        ]  # fmt: skip
        out.append(
            Story(
                title="Refuge address",
                people=[
                    "Emma Clarke (also Emma Doyle), 27/08/1992, 07700 900654",
                    "Jason Clarke (suspect)",
                ],
                references=refs,
                note="Her current address is a refuge: restricted, shown as 'Restricted "
                "address' to a call taker; revealing it needs break-glass.",
            )  # fmt: skip
        )
        return out


# --- Public API -----------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(UTC).replace(microsecond=0)


def _report(progress: Callable[[str], None] | None) -> Callable[[str], None]:
    return progress or (lambda message: log.info("generate: %s", message))


def generate(
    *,
    incidents: int,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
    years: float = 5.0,
    stories: bool = False,
) -> GenerationStats:
    """Persons, addresses, incidents, involvements and markers: ``incidents`` calls over
    ``years`` up to ``now``, reproducible from ``seed``. With ``stories``, three scripted
    cases are added on top (see :meth:`_IncidentGenerator.stories`)."""
    if incidents < 0:
        raise ValueError("incidents must be zero or more")
    say = _report(progress)
    started = time.perf_counter()
    now = _now(now)
    ensure_rural_areas()
    with transaction.atomic():
        loader = _Loader()
        rebuild = loader.postgres and incidents >= REBUILD_INDEXES_FROM
        with _indexes_rebuilt_after(say) if rebuild else _nothing():
            gen = _IncidentGenerator(
                incidents=incidents, years=years, seed=seed, now=now, loader=loader
            )
            gen.run(say)
            made = gen.stories() if stories else []
            loader.flush()
            say(f"loaded {sum(t.count for t in loader.tables):,} rows")
        loader.finish()
    stats = _stats(seed, gen, time.perf_counter() - started)
    stats.incidents = gen.t_incident.count
    stats.involvements = gen.t_involved.count
    stats.stories = made
    return stats


def generate_people(
    *, persons: int, seed: int = 1, now: datetime | None = None
) -> list[tuple[int, SynthPerson]]:
    """Persons only, in households (names with aliases, phones, addresses), for the matching
    evaluation: ``(person_id, ground truth)`` in creation order."""
    if persons < 0:
        raise ValueError("persons must be zero or more")
    now = _now(now)
    with transaction.atomic():
        loader = _Loader()
        rebuild = loader.postgres and persons >= REBUILD_INDEXES_FROM
        with _indexes_rebuilt_after(_report(None)) if rebuild else _nothing():
            gen = _Generator(seed=seed, now=now, loader=loader, capacity=int(persons * 1.2))
            gen.truth = []
            gen.households(persons)
            loader.flush()
        loader.finish()
    return gen.truth


def people_truth(
    *, persons: int, seed: int = 1, now: datetime, first_id: int = 1
) -> list[tuple[int, SynthPerson]]:
    """What :func:`generate_people` wrote with these arguments into tables whose next person
    id was ``first_id``, rebuilt without the database (for a cached data set)."""
    loader = _Loader(dry=True)
    gen = _Generator(seed=seed, now=_now(now), loader=loader, capacity=int(persons * 1.2))
    gen.t_person.next_id = first_id
    gen.truth = []
    gen.households(persons)
    return gen.truth


def _stats(seed: int, gen: _Generator, seconds: float) -> GenerationStats:
    return GenerationStats(
        seed=seed,
        persons=gen.t_person.count,
        names=gen.t_name.count,
        phones=gen.t_phone.count,
        addresses=gen.t_address.count,
        markers=gen.t_marker.count,
        seconds=seconds,
    )


@contextmanager
def _nothing() -> Iterator[None]:
    yield

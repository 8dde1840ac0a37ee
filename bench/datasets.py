"""Bench databases: where they live, and cached synthetic data sets.

* The **home** database: ``BENCH_DATABASE_URL`` if set; else the server and credentials of
  ``DATABASE_URL`` with the database name ``dapolice_bench`` (unless ``DATABASE_URL`` already
  names a ``*bench*`` database, which is then used as it is); else
  ``postgres://postgres@127.0.0.1:5432/dapolice_bench``. A developer's own database is never
  used. The harness creates and migrates it; a module's ``run`` starts connected to it.
* Each **data set** (kind, size, seed) is its own database beside it,
  ``<home>_<kind>_<size>_s<seed>`` (e.g. ``dapolice_bench_incidents_100k_s1``), created,
  migrated and loaded on first use, then reused: a ``bench_dataset`` row inside records what
  was loaded (kind, size, seed, generator version, the ``now`` it was generated at) and is
  written only after the load committed. A different generator version rebuilds it. Loads take
  a PostgreSQL advisory lock, so two benches started together do not load the same set twice.
"""

from __future__ import annotations

import json
import os
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dapolice_bench"
HOME_NAME = "dapolice_bench"


def home_url(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("BENCH_DATABASE_URL"):
        return env["BENCH_DATABASE_URL"]
    base = env.get("DATABASE_URL", "")
    if not base:
        return DEFAULT_URL
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        return DEFAULT_URL
    name = parts.path.lstrip("/")
    if "bench" in name:
        return base
    return urlunsplit(parts._replace(path=f"/{HOME_NAME}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_dsn(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def size_label(size: int) -> str:
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def parse_sizes(text: str) -> list[int]:
    """'10k,100k,1M' -> [10000, 100000, 1000000]."""
    out = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", part)
        if not match:
            raise ValueError(f"not a size: {part!r}")
        factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
        out.append(int(float(match.group(1)) * factor))
    return out


@dataclass
class Dataset:
    """A loaded data set; ``truth()`` rebuilds a people set's ground truth without the DB."""

    kind: str
    size: int
    seed: int
    database: str
    now: datetime
    stats: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    load_seconds: float = 0.0

    @property
    def label(self) -> str:
        return size_label(self.size)

    def truth(self) -> list[Any]:
        from dapolice.demo.generator import people_truth

        if self.kind != "people":
            raise ValueError("only a people data set has a ground truth list")
        return people_truth(
            persons=self.size,
            seed=self.seed,
            now=self.now,
            first_id=int(self.stats.get("first_person_id", 1)),
        )


def _load_incidents(size: int, seed: int, now: datetime, say: Callable[[str], None]) -> dict:
    from dapolice.demo.generator import generate

    stats = generate(incidents=size, seed=seed, now=now, progress=say)
    return {k: v for k, v in vars(stats).items() if isinstance(v, int | float)}


def _load_people(size: int, seed: int, now: datetime, say: Callable[[str], None]) -> dict:
    from dapolice.demo.generator import generate_people

    started = time.perf_counter()
    people = generate_people(persons=size, seed=seed, now=now)
    return {
        "persons": len(people),
        "first_person_id": people[0][0] if people else 1,
        "seconds": time.perf_counter() - started,
    }


LOADERS: dict[str, Callable[[int, int, datetime, Callable[[str], None]], dict]] = {
    "incidents": _load_incidents,
    "people": _load_people,
}

_MARKER_DDL = """
CREATE TABLE IF NOT EXISTS bench_dataset (
    kind text NOT NULL, size bigint NOT NULL, seed integer NOT NULL,
    generator_version integer NOT NULL, generated_now timestamptz NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(), stats jsonb NOT NULL,
    PRIMARY KEY (kind, size, seed)
)
"""


class Databases:
    """Switches Django's default connection between the home database and data sets."""

    def __init__(self, url: str, say: Callable[[str], None]) -> None:
        self.url = url
        self.home = database_name(url)
        self.say = say

    # --- server-level operations (outside Django's connection) -----------------------------

    def _admin(self) -> Any:
        import psycopg2  # type: ignore[import-untyped]

        conn = psycopg2.connect(_maintenance_dsn(self.url))
        conn.autocommit = True
        return conn

    def exists(self, name: str) -> bool:
        with self._admin() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None

    def create(self, name: str) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def drop(self, name: str) -> None:
        if name == self.home:
            raise ValueError("the home bench database is not dropped")
        conn = self._admin()
        try:
            with conn.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()

    # --- Django's connection ---------------------------------------------------------------

    def use(self, name: str) -> None:
        from django.db import connections

        connection = connections["default"]
        if connection.settings_dict["NAME"] == name and connection.connection is not None:
            return
        connection.close()
        connection.settings_dict["NAME"] = name

    def migrate(self) -> None:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)

    def use_home(self) -> None:
        self.create(self.home)
        self.use(self.home)
        self.migrate()

    def dataset(self, kind: str, size: int, seed: int) -> Dataset:
        """Connect to the data set's database, creating and loading it on first use."""
        from django.db import connection
        from django.utils import timezone

        from dapolice.demo.generator import VERSIONS

        if kind not in LOADERS:
            raise ValueError(f"unknown data set kind {kind!r} (one of {sorted(LOADERS)})")
        name = f"{self.home}_{kind}_{size_label(size).lower()}_s{seed}"
        lock = self._admin()
        try:
            with lock.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [zlib.crc32(name.encode())])
            if self.exists(name):
                self.use(name)
                found = self._marker(kind, size, seed)
                if found is not None and found[0] == VERSIONS[kind]:
                    self.migrate()  # a migration added since the load applies to the data
                    return Dataset(kind, size, seed, name, found[1], stats=found[2], cached=True)
                self.use(self.home)
                self.say(f"{name}: stale or incomplete; rebuilding")
                self.drop(name)
            self.create(name)
            self.use(name)
            self.migrate()
            now = timezone.now().replace(microsecond=0)
            self.say(f"{name}: loading {size:,} {kind} (seed {seed}) ...")
            started = time.perf_counter()
            stats = LOADERS[kind](size, seed, now, lambda m: self.say(f"  {m}"))
            seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                # Index-only scans need the visibility map: what a settled table has.
                # (SQLite, the embedded default, has ANALYZE without VACUUM's option.)
                vacuum = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
                cursor.execute(vacuum)
                cursor.execute(_MARKER_DDL)
                cursor.execute(
                    "INSERT INTO bench_dataset (kind, size, seed, generator_version, "
                    "generated_now, stats) VALUES (%s, %s, %s, %s, %s, %s)",
                    [kind, size, seed, VERSIONS[kind], now, json.dumps(stats)],
                )
            self.say(f"{name}: loaded in {seconds:.0f} s (then VACUUM ANALYZE)")
            return Dataset(kind, size, seed, name, now, stats=stats, load_seconds=seconds)
        finally:
            lock.close()  # releases the advisory lock

    def _marker(self, kind: str, size: int, seed: int) -> tuple[int, datetime, dict] | None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return None
            cursor.execute(
                "SELECT generator_version, generated_now, stats FROM bench_dataset "
                "WHERE kind = %s AND size = %s AND seed = %s",
                [kind, size, seed],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        stats = row[2] if isinstance(row[2], dict) else json.loads(row[2])
        return row[0], row[1], stats


def say(text: str) -> None:
    """A command-line bench's output line, at once."""
    print(text, flush=True)  # noqa: T201 (a command-line tool)


def open_dataset(kind: str, size: str, seed: int, **environ: str) -> Dataset:
    """For a bench run as its own command (``python -m bench.endpoint_cpu``): Django set up
    with the demo settings (``environ``: more variables, each unless already set), the home
    bench database created and migrated, then connected to the data set (``size`` as typed,
    ``10k``), created and loaded on first use."""
    os.environ.setdefault("DAPOLICE_ENV", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
    for name, value in environ.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
    dbs = Databases(home_url(), say)
    dbs.use_home()
    return dbs.dataset(kind, parse_sizes(size)[0], seed)


def bench_call_taker(username: str, last_name: str) -> Any:
    """A call taker for the bench's requests (create it in a transaction rolled back at the
    end), read back with its roles as a request reads it."""
    from dapolice.accounts.choices import Role
    from dapolice.accounts.services import system_user, user_create

    user = user_create(
        actor=system_user(),
        username=username,
        password=None,
        roles=[Role.CALL_TAKER],
        first_name="Bench",
        last_name=last_name,
    )
    return type(user).objects.get(pk=user.pk)

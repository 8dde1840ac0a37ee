"""Migrations a force with a million records can apply.

* every migration applies to a database that already holds records, and the ``dob_key``
  backfill (incidents 0005) keys them as ``incidents.matching.keys`` does, in batches, idempotently;
* the operations of ``dapolice.common.migration_operations`` build indexes concurrently and
  constraints ``NOT VALID`` on PostgreSQL, and fall back on SQLite (the embedded default);
* no migration after the rule adds an index or a constraint to a large table another way.
"""

from __future__ import annotations

import importlib
import re
from datetime import date
from typing import Any

import pytest
from django.apps import apps as installed_apps
from django.contrib.postgres import operations as pg
from django.contrib.postgres.indexes import PostgresIndex
from django.db import IntegrityError, NotSupportedError, connections, migrations, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from dapolice.common import migration_operations as ops
from incidents.matching import keys

#: The backfill migration (renumber here if a merge renames it).
BACKFILL_NAME = "0005_backfill_name_dob_key"
BACKFILL = importlib.import_module(f"incidents.migrations.{BACKFILL_NAME}")
PROJECT_APPS = ("dapolice", "incidents", "risk", "mash", "marac")

# Dates of birth the records carry: ordinary ones, every placeholder, and none.
DATES_OF_BIRTH = [
    date(1984, 5, 17),
    date(1900, 1, 1),
    None,
    date(1970, 1, 1),
    date(2001, 12, 3),
    date(1901, 1, 1),
    date(1999, 2, 28),
    date(1962, 10, 9),
]


def _state_apps(alias: str, app_label: str, name: str) -> Any:
    return MigrationLoader(connections[alias]).project_state((app_label, name)).apps


def _record_people(apps: Any, alias: str, *, count: int, tag: str, keyed: bool) -> None:
    """Persons with a primary name each (and an alias for every third), written through the
    historical models of the state the database is at; ``keyed`` as current code keys them."""
    Person = apps.get_model("incidents", "Person")
    PersonName = apps.get_model("incidents", "PersonName")
    people = Person.objects.using(alias).bulk_create(
        Person(
            given_name=f"Ann{tag}{i}",
            family_name=f"Smith{tag}",
            date_of_birth=DATES_OF_BIRTH[i % len(DATES_OF_BIRTH)],
        )
        for i in range(count)
    )
    names = []
    for i, person in enumerate(people):
        spellings = [(person.given_name, person.family_name, True)]
        if i % 3 == 0:
            spellings.append((f"Annie{tag}", f"Smyth{tag}", False))
        for given, family, primary in spellings:
            key_columns = keys.name_keys(given, family, date_of_birth=person.date_of_birth)
            if not keyed:
                del key_columns["dob_key"]
            names.append(
                PersonName(
                    person=person,
                    given_name=given,
                    family_name=family,
                    is_primary=primary,
                    **key_columns,
                )
            )
    PersonName.objects.using(alias).bulk_create(names)


def _name_keys(alias: str) -> list[tuple[Any, Any]]:
    """(stored dob_key, person's date of birth) of every name."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT n.dob_key, p.date_of_birth FROM incidents_personname n "
            "JOIN incidents_person p ON p.id = n.person_id ORDER BY n.id"
        )
        rows = cursor.fetchall()
    # SQLite hands dates back as text.
    return [tuple(date.fromisoformat(v) if isinstance(v, str) else v for v in r) for r in rows]


def _assert_keyed_as_the_product_keys(alias: str) -> None:
    rows = _name_keys(alias)
    wrong = [(stored, born) for stored, born in rows if stored != keys.dob_key(born)]
    assert not wrong, f"{len(wrong)} of {len(rows)} names keyed wrongly, e.g. {wrong[:3]}"


def _assert_schema_matches_the_migration_state(alias: str) -> None:
    """Every index and constraint of every model in the final state exists (and, on PostgreSQL,
    is valid and validated: no concurrent build or NOT VALID constraint left half-done)."""
    connection = connections[alias]
    state = MigrationLoader(connection).project_state()
    missing = []
    with connection.cursor() as cursor:
        for model_state in state.models.values():
            options = model_state.options
            if not options.get("managed", True) or options.get("proxy"):
                continue
            model = state.apps.get_model(model_state.app_label, model_state.name)
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            expected = [
                i.name
                for i in options.get("indexes", [])
                # A GIN index and its kind exist on PostgreSQL only.
                if connection.vendor == "postgresql" or not isinstance(i, PostgresIndex)
            ]
            expected += [c.name for c in options.get("constraints", [])]
            missing += [
                f"{model._meta.db_table}.{name}" for name in expected if name not in present
            ]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE NOT i.indisvalid"
            )
            missing += [f"invalid index {name}" for (name,) in cursor.fetchall()]
            cursor.execute("SELECT conname FROM pg_constraint WHERE NOT convalidated")
            missing += [f"unvalidated constraint {name}" for (name,) in cursor.fetchall()]
    assert not missing, missing
    assert state.models, "no models in the migration state"


def test_every_migration_applies_to_a_database_holding_records(scratch_database, run_manage_py):
    """The upgrade a force makes: records from before the keys, migrated forward, backfilled."""
    db = scratch_database()

    def migrate(*target: str) -> None:
        result = run_manage_py("migrate", "--no-input", *target, env={"DATABASE_URL": db.url})
        assert result.returncode == 0, result.stdout + result.stderr

    # A force's database before the matching keys (incidents 0002), with its records.
    migrate("incidents", "0002_categories_and_role_permissions")
    apps = _state_apps(db.alias, "incidents", "0002_categories_and_role_permissions")
    _record_people(apps, db.alias, count=160, tag="Old", keyed=False)
    # Upgraded to just before the backfill (0004 when it was written): the column exists, empty
    # for them; names written since are keyed.
    (parent,) = BACKFILL.Migration.dependencies
    migrate(*parent)
    assert {stored for stored, _ in _name_keys(db.alias)} == {None}
    apps = _state_apps(db.alias, *parent)
    _record_people(apps, db.alias, count=40, tag="New", keyed=True)

    # The backfill alone, and its reversal, which does nothing (the keys are right before it
    # too), in this process: older data migrations write through the default database.
    executor = MigrationExecutor(connections[db.alias])
    assert [m.name for m, _ in executor.migration_plan([("incidents", BACKFILL_NAME)])] == [
        BACKFILL_NAME
    ]
    executor.migrate([("incidents", BACKFILL_NAME)])
    _assert_keyed_as_the_product_keys(db.alias)
    keyed = [stored for stored, _ in _name_keys(db.alias) if stored is not None]
    assert len(keyed) > 100  # the ordinary dates of birth now key their names
    executor = MigrationExecutor(connections[db.alias])
    executor.migrate([parent])
    assert [s for s, _ in _name_keys(db.alias) if s is not None] == keyed

    # Then everything, as `migrate` does it.
    migrate()
    _assert_keyed_as_the_product_keys(db.alias)
    _assert_schema_matches_the_migration_state(db.alias)

    # An interrupted or repeated run: batches of 7 over gaps in the ids, keys lost, keys stale.
    connection = connections[db.alias]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM incidents_personname WHERE id % 11 = 0")
        cursor.execute("UPDATE incidents_personname SET dob_key = NULL WHERE id % 2 = 0")
        cursor.execute("UPDATE incidents_personname SET dob_key = '2020-02-02' WHERE id % 5 = 0")
    broken = sum(stored != keys.dob_key(born) for stored, born in _name_keys(db.alias))
    assert broken > 50

    def backfill() -> int:
        return int(
            BACKFILL.backfill(
                connection,
                name_table="incidents_personname",
                person_table="incidents_person",
                batch_size=7,
            )
        )

    assert backfill() == broken
    _assert_keyed_as_the_product_keys(db.alias)
    assert backfill() == 0  # a second run changes nothing


def test_backfill_rule_is_the_products_rule_for_every_placeholder_date():
    assert {date.fromisoformat(d) for d in BACKFILL.PLACEHOLDER_DOBS} == keys.PLACEHOLDER_DOBS
    assert BACKFILL.Migration.atomic is False


# --- The operations themselves, on PostgreSQL and on the embedded SQLite default ------------


def _apply(alias: str, operation: Any, state: ProjectState, *, atomic: bool) -> ProjectState:
    new_state = state.clone()
    operation.state_forwards("probe", new_state)
    with connections[alias].schema_editor(atomic=atomic) as editor:
        operation.database_forwards("probe", editor, state, new_state)
    return new_state


def _unapply(alias: str, operation: Any, before: ProjectState, after: ProjectState) -> None:
    with connections[alias].schema_editor(atomic=False) as editor:
        operation.database_backwards("probe", editor, after, before)


def _constraints(alias: str) -> dict[str, dict[str, Any]]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "probe_probe")


def _vendors() -> list[str]:
    from django.conf import settings

    on_postgresql = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    return ["sqlite", "postgresql"] if on_postgresql else ["sqlite"]


@pytest.mark.parametrize("vendor", _vendors())
def test_large_table_operations_work_concurrently_on_postgresql_and_plainly_on_sqlite(
    scratch_database, vendor
):
    db = scratch_database(vendor)
    connection = connections[db.alias]
    create = migrations.CreateModel(
        "Probe", [("id", models.BigAutoField(primary_key=True)), ("n", models.IntegerField())]
    )
    state = _apply(db.alias, create, ProjectState(), atomic=True)
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO probe_probe (n) VALUES (%s)", [(i % 5,) for i in range(50)])
        if vendor == "postgresql":
            # An interrupted concurrent build leaves an INVALID index of the same name behind.
            with pytest.raises(IntegrityError):
                cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY probe_n_idx ON probe_probe (n)")
            cursor.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'probe_n_idx'::regclass"
            )
            assert cursor.fetchone() == (False,)

    add_index = ops.AddIndexConcurrently("probe", models.Index(fields=["n"], name="probe_n_idx"))
    if vendor == "postgresql":
        with pytest.raises(NotSupportedError):  # it refuses to run inside a transaction
            _apply(db.alias, add_index, state, atomic=True)
    indexed = _apply(db.alias, add_index, state, atomic=False)
    assert _constraints(db.alias)["probe_n_idx"]["index"]
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indisvalid, indisunique FROM pg_index "
                "WHERE indexrelid = 'probe_n_idx'::regclass"
            )
            assert cursor.fetchone() == (True, False)  # rebuilt, not the failed unique one

    check = models.CheckConstraint(condition=models.Q(n__gte=0), name="probe_n_not_negative")
    add_check = ops.AddConstraintNotValid("probe", check)
    checked = _apply(db.alias, add_check, indexed, atomic=True)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated FROM pg_constraint WHERE conname = %s", [check.name]
            )
            assert cursor.fetchone() == (False,)  # added without a scan of the existing rows
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe_probe (n) VALUES (-1)")  # new rows are checked at once
    validate = ops.ValidateConstraint("probe", check.name)
    _apply(db.alias, validate, checked, atomic=True)
    assert _constraints(db.alias)[check.name]["check"]
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated FROM pg_constraint WHERE conname = %s", [check.name]
            )
            assert cursor.fetchone() == (True,)

    # Each reverses.
    _unapply(db.alias, validate, checked, checked)
    _unapply(db.alias, add_check, indexed, checked)
    assert check.name not in _constraints(db.alias)
    remove_index = ops.RemoveIndexConcurrently("probe", "probe_n_idx")
    removed = _apply(db.alias, remove_index, indexed, atomic=False)
    assert "probe_n_idx" not in _constraints(db.alias)
    _unapply(db.alias, remove_index, indexed, removed)
    _unapply(db.alias, add_index, state, indexed)
    assert "probe_n_idx" not in _constraints(db.alias)


@pytest.mark.parametrize("vendor", _vendors())
@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "conditional"])
def test_unique_constraint_is_built_concurrently_and_a_rerun_finishes_a_failed_build(
    scratch_database, vendor, conditional
):
    db = scratch_database(vendor)
    connection = connections[db.alias]
    create = migrations.CreateModel(
        "Probe",
        [
            ("id", models.BigAutoField(primary_key=True)),
            ("n", models.IntegerField()),
            ("live", models.BooleanField(default=True)),
        ],
    )
    state = _apply(db.alias, create, ProjectState(), atomic=True)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO probe_probe (n, live) VALUES (%s, %s)",
            [(i, True) for i in range(20)] + [(3, True), (4, False)],
        )
    condition = models.Q(live=True) if conditional else None
    unique = models.UniqueConstraint(fields=["n"], name="probe_n_unique", condition=condition)
    add_unique = ops.AddUniqueConstraintConcurrently("probe", unique)
    # A duplicate (n = 3, both live) stops the build; nothing half-made is left in the way.
    with pytest.raises(IntegrityError):
        _apply(db.alias, add_unique, state, atomic=False)
    with connection.cursor() as cursor:
        # Resolve the duplicates (the conditional constraint allows n = 4 twice: one is not live).
        cursor.execute("DELETE FROM probe_probe WHERE id = 21")
        if not conditional:
            cursor.execute("DELETE FROM probe_probe WHERE id = 22")
    unique_state = _apply(db.alias, add_unique, state, atomic=False)
    constraint = _constraints(db.alias)["probe_n_unique"]
    assert constraint["unique"]
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("INSERT INTO probe_probe (n, live) VALUES (5, TRUE)")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'probe_n_unique'::regclass"
            )
            assert cursor.fetchone() == (True,)
            cursor.execute("SELECT contype FROM pg_constraint WHERE conname = 'probe_n_unique'")
            # A table constraint on plain fields; Django keeps a conditional one as an index.
            assert cursor.fetchall() == ([] if conditional else [("u",)])
    _unapply(db.alias, add_unique, state, unique_state)
    assert "probe_n_unique" not in _constraints(db.alias)
    if vendor == "postgresql":
        with pytest.raises(NotSupportedError):  # it refuses to run inside a transaction
            _apply(db.alias, add_unique, state, atomic=True)


# --- The rule for future migrations ---------------------------------------------------------

#: Migrations written before the rule (already applied by forces; never edited): each adds an
#: index or a CHECK constraint to a large table the plain way.
BEFORE_THE_RULE = frozenset(
    {
        ("incidents", "0003_matching_keys"),
        ("incidents", "0004_matching_indexes"),
        ("alerts", "0002_partner_alerts_by_agency"),
    }
)
_PLAIN_INDEX_SQL = re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE)


def _database_operations(operations: list[Any]) -> list[Any]:
    flat = []
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            flat += _database_operations(operation.database_operations)
        else:
            flat.append(operation)
    return flat


def _sql_text(sql: Any) -> str:
    if isinstance(sql, list | tuple):
        return " ".join(s if isinstance(s, str) else s[0] for s in sql)
    return str(sql)


def rule_breaches(migration: Any, loader: MigrationLoader | None = None) -> list[str]:
    """What ``migration`` does to a large table that would lock it (empty when it follows the
    rule in README "Migrations"). A table created in the same migration is empty: anything goes."""
    app = migration.app_label
    operations = _database_operations(migration.operations)
    created = {op.name_lower for op in operations if isinstance(op, migrations.CreateModel)}

    def large(model_name: str) -> bool:
        return (
            f"{app}.{model_name.lower()}" in ops.LARGE_MODELS and model_name.lower() not in created
        )

    breaches = []
    # Django's own PostgreSQL operations count too (ours subclass them), e.g. for a GIN index
    # that exists on PostgreSQL only.
    concurrent = (
        pg.AddIndexConcurrently,
        pg.RemoveIndexConcurrently,
        ops.AddUniqueConstraintConcurrently,
    )
    for op in operations:
        where = f"{app}.{migration.name}: {op.describe()}"
        if isinstance(op, concurrent) and migration.atomic:
            breaches.append(f"{where} needs `atomic = False` on the migration")
        if isinstance(op, migrations.RunSQL) and _PLAIN_INDEX_SQL.search(_sql_text(op.sql)):
            breaches.append(f"{where}: CREATE INDEX without CONCURRENTLY")
        if not large(getattr(op, "model_name", "") or ""):
            continue
        if isinstance(op, migrations.AddIndex | migrations.RemoveIndex) and not isinstance(
            op, concurrent
        ):
            breaches.append(f"{where}: use AddIndexConcurrently / RemoveIndexConcurrently")
        elif isinstance(op, migrations.AddConstraint) and not isinstance(
            op, pg.AddConstraintNotValid | ops.AddUniqueConstraintConcurrently
        ):
            breaches.append(
                f"{where}: use AddConstraintNotValid then ValidateConstraint (a check), "
                "AddUniqueConstraintConcurrently (a unique constraint)"
            )
        elif isinstance(op, migrations.AddField | migrations.AlterField) and (
            op.field.db_index or op.field.unique
        ):
            was_indexed = False
            if isinstance(op, migrations.AlterField) and loader is not None:
                before = loader.project_state((app, migration.name), at_end=False)
                old = before.models[app, op.model_name_lower].fields[op.name]
                was_indexed = old.db_index or old.unique
            if not was_indexed:
                breaches.append(
                    f"{where}: an indexed field builds its index plainly; add it with "
                    "db_index=False, then AddIndexConcurrently"
                )
    validated = {op.name for op in operations if isinstance(op, pg.ValidateConstraint)}
    for op in operations:
        if (
            isinstance(op, pg.AddConstraintNotValid)
            and op.constraint.name in validated
            and migration.atomic
        ):
            breaches.append(
                f"{app}.{migration.name}: validating {op.constraint.name} in the transaction "
                "that added it holds the lock through the scan; `atomic = False` or a second "
                "migration"
            )
    return breaches


def _project_migrations() -> tuple[MigrationLoader, list[Any]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {
        config.label
        for config in installed_apps.get_app_configs()
        if config.name.split(".")[0] in PROJECT_APPS
    }
    found = [m for (app, _), m in sorted(loader.disk_migrations.items()) if app in ours]
    return loader, found


def test_new_migrations_change_large_tables_without_locking_them():
    loader, found = _project_migrations()
    assert ("incidents", BACKFILL_NAME) in {(m.app_label, m.name) for m in found}
    breaches = [
        breach
        for migration in found
        if (migration.app_label, migration.name) not in BEFORE_THE_RULE
        for breach in rule_breaches(migration, loader)
    ]
    assert not breaches, "\n".join(breaches)
    # The exemptions are real: each breaks the rule (remove one that no longer exists).
    for app, name in BEFORE_THE_RULE:
        assert rule_breaches(loader.disk_migrations[app, name], loader), (app, name)


def _migration(*operations: Any, atomic: bool = True, app: str = "incidents") -> Any:
    migration = migrations.Migration("9999_probe", app)
    migration.operations = list(operations)
    migration.atomic = atomic
    return migration


def test_the_rule_catches_each_way_of_locking_a_large_table():
    index = models.Index(fields=["given_name"], name="probe_idx")
    check = models.CheckConstraint(condition=models.Q(id__gt=0), name="probe_check")
    unique = models.UniqueConstraint(fields=["postcode_key", "house_key"], name="probe_unique")
    locking = [
        _migration(migrations.AddIndex("person", index)),
        _migration(migrations.AddIndex("auditevent", index), app="audit"),
        _migration(migrations.RemoveIndex("personname", "name_phon_idx")),
        _migration(migrations.AddConstraint("incident", check)),
        _migration(ops.AddIndexConcurrently("person", index), atomic=True),
        _migration(
            migrations.AddField("person", "probe", models.CharField(max_length=5, db_index=True))
        ),
        _migration(
            ops.AddConstraintNotValid("incident", check),
            ops.ValidateConstraint("incident", "probe_check"),
        ),
        _migration(migrations.RunSQL("CREATE INDEX probe_idx ON incidents_person (id)")),
        _migration(migrations.AddConstraint("address", unique)),
        _migration(ops.AddUniqueConstraintConcurrently("address", unique), atomic=True),
    ]
    for migration in locking:
        assert rule_breaches(migration), migration.operations

    following = [
        _migration(ops.AddIndexConcurrently("person", index), atomic=False),
        _migration(ops.AddConstraintNotValid("incident", check)),
        _migration(
            ops.AddConstraintNotValid("incident", check),
            ops.ValidateConstraint("incident", "probe_check"),
            atomic=False,
        ),
        _migration(migrations.AddField("person", "probe", models.CharField(max_length=5))),
        _migration(ops.AddUniqueConstraintConcurrently("address", unique), atomic=False),
        # Small tables and tables created in the same migration take the ordinary operations.
        _migration(migrations.AddIndex("attendancecategory", index)),
        _migration(
            migrations.CreateModel("Person", [("id", models.BigAutoField(primary_key=True))]),
            migrations.AddIndex("person", index),
        ),
    ]
    for migration in following:
        assert not rule_breaches(migration), migration.operations

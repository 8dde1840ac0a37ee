"""Migration operations that change a large table without locking a force out of it.

On PostgreSQL a plain ``CREATE INDEX`` blocks every write to the table until the index is built,
and ``ALTER TABLE ... ADD CONSTRAINT ... CHECK`` holds an exclusive lock (no reads either) while
it scans every row: minutes on a table of a million persons, with the control room waiting.
So on a large table (:data:`LARGE_MODELS`):

* indexes are built with :class:`AddIndexConcurrently` (``CREATE INDEX CONCURRENTLY``: writes go
  on; it cannot run in a transaction, so the migration says ``atomic = False``);
* CHECK constraints are added with :class:`AddConstraintNotValid` (a moment's lock; new rows are
  checked at once) and proven on the existing rows by :class:`ValidateConstraint`, which lets
  reads and writes go on. The two must not share a transaction (the first one's lock would be held
  through the scan): put them in two migrations, or one migration with ``atomic = False``;
* unique constraints are built by :class:`AddUniqueConstraintConcurrently` (a unique index built
  concurrently, then attached as the constraint in a moment; ``atomic = False`` too);
* data is rewritten in committed batches (:func:`id_batches`), never in one statement.

Django's own PostgreSQL operations (``django.contrib.postgres.operations``) do the work; these
subclasses fall back to the ordinary operation on any other database, so the embedded SQLite
default (``make run`` on a clean checkout) migrates too. ``tests/dapolice/test_migrations.py``
fails when a new migration adds an index or a constraint to a large table another way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.postgres import operations as pg
from django.db import migrations, transaction
from django.db.backends.ddl_references import Statement
from django.db.models import UniqueConstraint

#: Tables that grow with every call (``app_label.model_name``): they take only the operations
#: above. A new app adds its own large tables here (a DASH per incident, a MARAC case, ...).
LARGE_MODELS = frozenset(
    {
        "incidents.incident",
        "incidents.incidentperson",
        "incidents.person",
        "incidents.personname",
        "incidents.personphone",
        "incidents.address",
        "incidents.marker",
        "incidents.incidentofficer",
        "risk.assessment",
        "risk.assessmentanswer",
        "risk.assessmentreview",
        "mash.mashcase",
        "mash.ownershipperiod",
        "mash.informationentry",
        "mash.planaction",
        "mash.referral",
        "mash.encompassnotice",
        "mash.contactplan",
        "mash.contact",
        "marac.maraccase",
        "marac.research",
        "marac.action",
        "marac.report",
        "audit.auditevent",
        "alerts.alert",
        "alerts.deadline",
    }
)

#: Rows per committed batch of a data migration: a few thousand keeps each transaction's locks
#: and write-ahead log small, and a million rows still take a few hundred statements.
BATCH_SIZE = 5000


def _on_postgresql(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


def _drop_invalid_index(schema_editor: Any, name: str) -> None:
    """An interrupted concurrent build leaves an INVALID index of its name behind, which would
    make the retry fail: drop it (concurrently), so running the migration again finishes."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace "
            "AND NOT i.indisvalid",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class _PlainElsewhere:
    """On a database other than PostgreSQL, the ordinary operation ``plain`` instead, in a
    transaction of its own: SQLite rebuilds the table to add a constraint, and a failure half-way
    (a duplicate) must not leave the copy behind in a migration with ``atomic = False``."""

    plain: Any

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            self.postgresql_forwards(app_label, schema_editor, from_state, to_state)
            return
        with transaction.atomic(using=schema_editor.connection.alias):
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        with transaction.atomic(using=schema_editor.connection.alias):
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)

    def postgresql_forwards(self, app_label, schema_editor, from_state, to_state):
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_PlainElsewhere, pg.AddIndexConcurrently):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the migration needs ``atomic = False``),
    resuming an interrupted build; a plain ``CREATE INDEX`` elsewhere."""

    plain = migrations.AddIndex

    def postgresql_forwards(self, app_label, schema_editor, from_state, to_state):
        self._ensure_not_in_transaction(schema_editor)
        _drop_invalid_index(schema_editor, self.index.name)
        super().postgresql_forwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(_PlainElsewhere, pg.RemoveIndexConcurrently):
    """``DROP INDEX CONCURRENTLY`` on PostgreSQL; a plain ``DROP INDEX`` elsewhere."""

    plain = migrations.RemoveIndex


class AddConstraintNotValid(_PlainElsewhere, pg.AddConstraintNotValid):
    """A CHECK constraint added ``NOT VALID`` on PostgreSQL: enforced for new and changed rows
    at once, existing rows proven later by :class:`ValidateConstraint`. Elsewhere a plain
    ``AddConstraint``. Reversing it drops the constraint."""

    plain = migrations.AddConstraint


class ValidateConstraint(pg.ValidateConstraint):
    """``ALTER TABLE ... VALIDATE CONSTRAINT`` on PostgreSQL (reads and writes go on while it
    scans); nothing elsewhere, where :class:`AddConstraintNotValid` already checked every row."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)


class AddUniqueConstraintConcurrently(
    _PlainElsewhere, pg.NotInTransactionMixin, migrations.AddConstraint
):
    """A ``UniqueConstraint`` whose unique index is built ``CONCURRENTLY`` on PostgreSQL (the
    migration needs ``atomic = False``), then, for a constraint on plain fields, attached with
    ``ADD CONSTRAINT ... UNIQUE USING INDEX`` (no second scan). A conditional or expression
    constraint is a unique index in Django anyway. Elsewhere a plain ``AddConstraint``.
    Reversing it drops the constraint (inherited). Duplicates make the build fail and leave an
    invalid index, which a rerun, once they are resolved, replaces.
    """

    atomic = False
    plain = migrations.AddConstraint

    def __init__(self, model_name: str, constraint: UniqueConstraint) -> None:
        if not isinstance(constraint, UniqueConstraint):
            raise TypeError("AddUniqueConstraintConcurrently takes a UniqueConstraint.")
        super().__init__(model_name, constraint)

    def describe(self) -> str:
        return f"Concurrently create unique constraint {self.constraint.name} on {self.model_name}"

    def postgresql_forwards(self, app_label, schema_editor, from_state, to_state):
        self._ensure_not_in_transaction(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        _drop_invalid_index(schema_editor, self.constraint.name)
        statement = self.constraint.create_sql(model, schema_editor)
        concurrently = schema_editor.sql_create_unique_index.replace(
            "CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX CONCURRENTLY", 1
        )
        if statement.template == schema_editor.sql_create_unique_index:
            statement.template = concurrently
            schema_editor.execute(statement, params=None)
            return
        parts = statement.parts
        schema_editor.execute(
            Statement(
                concurrently,
                table=parts["table"],
                name=parts["name"],
                columns=parts["columns"],
                include="",
                nulls_distinct=parts["nulls_distinct"],
                condition="",
            ),
            params=None,
        )
        schema_editor.execute(
            f"ALTER TABLE {parts['table']} ADD CONSTRAINT {parts['name']} "
            f"UNIQUE USING INDEX {parts['name']}{parts['deferrable']}"
        )


def id_batches(
    connection: Any, table: str, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[int, int]]:
    """Half-open ``(low, high)`` ranges of the integer primary key ``id`` of ``table``.

    A data migration runs one ``UPDATE ... WHERE id >= low AND id < high`` per range, outside a
    transaction (``atomic = False``), so each batch commits and releases its row locks at once,
    the table stays usable, and an interrupted run resumes where a rerun finds work left.
    Rows added after the first read are written by current code, which computes them itself.
    """
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {quoted}")  # noqa: S608 (a quoted name)
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, batch_size):
        yield start, start + batch_size


class _PostgresOnly:
    """An operation on an index only PostgreSQL has (GIN, trigram, JSON containment): on any
    other database it changes the migration state and builds or drops nothing, so the embedded
    SQLite default still migrates."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresOnlyAddIndexConcurrently(_PostgresOnly, pg.AddIndexConcurrently):
    """:class:`AddIndexConcurrently` for an index only PostgreSQL has."""


class PostgresOnlyRemoveIndexConcurrently(_PostgresOnly, pg.RemoveIndexConcurrently):
    """``DROP INDEX CONCURRENTLY`` of an index :class:`PostgresOnlyAddIndexConcurrently` added."""

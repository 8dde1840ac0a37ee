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
from django.db import migrations

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


class AddIndexConcurrently(pg.AddIndexConcurrently):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL (the migration needs ``atomic = False``).

    An interrupted concurrent build leaves an INVALID index of the same name behind, which would
    make the retry fail; it is dropped (concurrently) first, so running the migration again
    finishes the job. Other databases get a plain ``CREATE INDEX``.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgresql(schema_editor):
            migrations.AddIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )
            return
        self._ensure_not_in_transaction(schema_editor)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace "
                "AND NOT i.indisvalid",
                [self.index.name],
            )
            invalid = cursor.fetchone() is not None
        if invalid:
            name = schema_editor.quote_name(self.index.name)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgresql(schema_editor):
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(pg.RemoveIndexConcurrently):
    """``DROP INDEX CONCURRENTLY`` on PostgreSQL; a plain ``DROP INDEX`` elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgresql(schema_editor):
            migrations.RemoveIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgresql(schema_editor):
            migrations.RemoveIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddConstraintNotValid(pg.AddConstraintNotValid):
    """A CHECK constraint added ``NOT VALID`` on PostgreSQL: enforced for new and changed rows
    at once, existing rows proven later by :class:`ValidateConstraint`. Elsewhere a plain
    ``AddConstraint``. Reversing it drops the constraint (inherited)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _on_postgresql(schema_editor):
            migrations.AddConstraint.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class ValidateConstraint(pg.ValidateConstraint):
    """``ALTER TABLE ... VALIDATE CONSTRAINT`` on PostgreSQL (reads and writes go on while it
    scans); nothing elsewhere, where :class:`AddConstraintNotValid` already checked every row."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)


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

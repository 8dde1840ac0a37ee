"""Backfill ``PersonName.dob_key`` for names recorded before 0003 added the column.

0003 added ``dob_key`` empty, and only writes since then fill it, so a database upgraded with
persons in it never found them by the date-of-birth blocks. This fills every name's key from its
person's date of birth, in committed batches of a few thousand names (``atomic = False``: no
transaction holds the table; each batch locks only its own rows), and touches only names whose
key is not already right, so it can be run again, or resumed after an interruption, safely.
Reversing it does nothing: the keys are correct under 0004 too.

The rule is a frozen copy of ``incidents.matching.keys.dob_key`` as of 2026-11-29 (the date of
birth, or nothing for a placeholder date), not an import of it: a migration must do the same
thing on a database migrated years from now, whatever ``keys`` has become (and ``incidents`` is
being reorganised). ``tests/dapolice/test_migrations.py`` checks the result against the live
``keys.dob_key``; if that rule changes, re-key the names in a new migration, not here.
"""

from django.db import migrations

from dapolice.common.migration_operations import BATCH_SIZE, id_batches

#: Frozen copy of ``incidents.matching.keys.PLACEHOLDER_DOBS``: dates typed when the real one is
#: unknown; thousands share one, so they never key a name.
PLACEHOLDER_DOBS = ("1900-01-01", "1901-01-01", "1970-01-01")


def backfill(connection, *, name_table, person_table, batch_size=BATCH_SIZE):
    """Set every name's ``dob_key``; returns how many names changed."""
    qn = connection.ops.quote_name
    # The key each name should have, read from its person (a primary-key probe per name).
    expected = (
        f"(SELECT CASE WHEN p.date_of_birth IN (%s, %s, %s) THEN NULL ELSE p.date_of_birth END "
        f"FROM {qn(person_table)} p WHERE p.id = {qn(name_table)}.person_id)"
    )
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    sql = (
        f"UPDATE {qn(name_table)} SET dob_key = {expected} "
        f"WHERE id >= %s AND id < %s AND dob_key {differs} {expected}"
    )
    placeholders = list(PLACEHOLDER_DOBS)
    changed = 0
    for low, high in id_batches(connection, name_table, batch_size):
        with connection.cursor() as cursor:
            cursor.execute(sql, [*placeholders, low, high, *placeholders])
            changed += max(cursor.rowcount, 0)
    return changed


def forwards(apps, schema_editor):
    backfill(
        schema_editor.connection,
        name_table=apps.get_model("incidents", "PersonName")._meta.db_table,
        person_table=apps.get_model("incidents", "Person")._meta.db_table,
    )


class Migration(migrations.Migration):
    # Each batch commits on its own (see the docstring).
    atomic = False

    dependencies = [("incidents", "0004_matching_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]

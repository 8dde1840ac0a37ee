"""The matching engine's ``family_trigram`` block, made cheap at a million persons (issue 8).

``name_canon_family_trgm_idx`` (0012) held the given name and the surname's trigrams as two
columns of one GIN index; PostgreSQL read each typed trigram's whole posting list (every
surname with "and" or "on " in it, tens of thousands of entries at 1M persons) before the
given name narrowed it: 8-17 ms for common trigrams, the slowest part of a search by far.

Now each name row's trigrams are *keyed by its given name* (``linda:hol``, ``linda:oll``, ...)
in one array (``dapolice_name_trigrams(given_canon, family_norm)``) under a GIN index: a search
reads only the entries of the given names typed with the surname's trigrams, a few hundred,
then keeps the rows whose surname is similar (``family_norm % typed``, the same pg_trgm
similarity as before: the block finds exactly the same rows). ``dapolice_typed_trigrams`` keys
the typed surname's trigrams by every given name searched, in SQL, so both sides are cut into
trigrams by pg_trgm itself.

``dapolice_typed_trigrams`` is PARALLEL UNSAFE on purpose: a statement that calls it is never
planned in parallel. A search reads a few hundred index entries; a parallel plan (chosen when
the planner overestimates the rows, as it did before the index had statistics) spends more on
starting its workers than the whole search takes, and held a search at 70 ms. The migration
ends by analysing the names table, so the new index's expression has statistics at once.

Both functions are IMMUTABLE SQL calling pg_trgm's ``show_trgm`` (schema-qualified, so an index
rebuild or a restore under another search_path computes the same keys). Built concurrently
(no write lock on the names while it builds), before the old index goes, so the migration is
not atomic. PostgreSQL only, as 0012.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

from dapolice.common.migration_operations import (
    PostgresOnlyAddIndexConcurrently,
    PostgresOnlyRemoveIndexConcurrently,
)


def _trgm_schema(cursor) -> str:
    cursor.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    return cursor.fetchone()[0]


def create_functions(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # The extension's schema, read from the catalogue and quoted: nothing typed is here.
        trgm = schema_editor.quote_name(_trgm_schema(cursor))
        cursor.execute(
            "CREATE OR REPLACE FUNCTION dapolice_name_trigrams(given text, family text) "  # noqa: S608
            "RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS "
            f"$$ SELECT coalesce(array_agg(given || ':' || t), '{{}}') "
            f"FROM unnest({trgm}.show_trgm(family)) AS t $$"
        )
        cursor.execute(
            "CREATE OR REPLACE FUNCTION dapolice_typed_trigrams(givens text[], family text) "  # noqa: S608
            "RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE AS "
            f"$$ SELECT coalesce(array_agg(g || ':' || t), '{{}}') "
            f"FROM unnest(givens) AS g, unnest({trgm}.show_trgm(family)) AS t $$"
        )


def drop_functions(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS dapolice_typed_trigrams(text[], text)")
        cursor.execute("DROP FUNCTION IF EXISTS dapolice_name_trigrams(text, text)")


def analyse(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model("incidents", "PersonName")._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0013_person_match_year_idx")]

    operations = [
        migrations.RunPython(create_functions, drop_functions, elidable=False),
        PostgresOnlyAddIndexConcurrently(
            model_name="personname",
            index=GinIndex(
                models.Func(
                    models.F("given_canon"),
                    models.F("family_norm"),
                    function="dapolice_name_trigrams",
                    output_field=ArrayField(models.TextField()),
                ),
                name="name_keyed_trgm_idx",
            ),
        ),
        PostgresOnlyRemoveIndexConcurrently(
            model_name="personname", name="name_canon_family_trgm_idx"
        ),
        migrations.RunPython(analyse, migrations.RunPython.noop, elidable=True),
    ]

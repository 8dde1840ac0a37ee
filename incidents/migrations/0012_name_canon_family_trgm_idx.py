"""The matching engine's ``family_trigram`` block (issue 8): one GIN index over the given name
(``btree_gin``) and the surname's trigrams (``pg_trgm``), so a surname mistyped in its first
letters is found by a bitmap bounded by the given name. Both extensions ship with PostgreSQL
(contrib); creating them needs a role that may. The index is built concurrently (no write lock
on the names while it builds), so the migration is not atomic. PostgreSQL only: SQLite (the
embedded default of ``make run``) has no GIN, and the engine runs the block on PostgreSQL only."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import (
    BtreeGinExtension,
    TrigramExtension,
)
from django.db import migrations

from dapolice.common.migration_operations import PostgresOnlyAddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0011_merge_custody_risk_sort_birth_year"),
    ]

    operations = [
        BtreeGinExtension(),
        TrigramExtension(),
        PostgresOnlyAddIndexConcurrently(
            model_name="personname",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["given_canon", "family_norm"],
                name="name_canon_family_trgm_idx",
                opclasses=["text_ops", "gin_trgm_ops"],
            ),
        ),
    ]

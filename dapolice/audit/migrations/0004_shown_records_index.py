"""A GIN index on the ids a list page showed, so "who looked at this victim?" (``for_subject``)
finds list and search reads as well as single reads without scanning the fastest-growing table.

Built with ``CREATE INDEX CONCURRENTLY`` (no write lock on the audit table while it builds), so
the migration is not atomic. PostgreSQL only: SQLite has no GIN and no JSON containment.
"""

import django.contrib.postgres.indexes
from django.db import migrations

from dapolice.common.migration_operations import PostgresOnlyAddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0003_hash_chain")]

    operations = [
        PostgresOnlyAddIndexConcurrently(
            model_name="auditevent",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["object_ids"], name="audit_shown_idx", opclasses=["jsonb_path_ops"]
            ),
        ),
    ]

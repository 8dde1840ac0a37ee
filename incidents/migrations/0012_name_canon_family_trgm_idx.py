"""The bounded trigram block on the surname (issue 8): a GIN index on (given name, surname
trigrams). Built concurrently (no write lock on names while it builds), so not atomic."""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db import migrations

from dapolice.common.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0011_merge_custody_risk_sort_birth_year"),
    ]

    operations = [
        # Both ship with PostgreSQL (contrib); creating them needs a role that may.
        BtreeGinExtension(),
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="personname",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["given_canon", "family_norm"],
                name="name_canon_family_trgm_idx",
                opclasses=["text_ops", "gin_trgm_ops"],
            ),
        ),
    ]

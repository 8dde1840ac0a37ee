import django.contrib.postgres.indexes
from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_merge_custody_risk_sort_birth_year"),
    ]

    operations = [
        # Both ship with PostgreSQL (contrib); creating them needs a role that may.
        BtreeGinExtension(),
        TrigramExtension(),
        migrations.AddIndex(
            model_name="personname",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["given_canon", "family_norm"],
                name="name_canon_family_trgm_idx",
                opclasses=["text_ops", "gin_trgm_ops"],
            ),
        ),
    ]

"""The incident list sorted by risk (issue 8, item 9): an index on (risk level, id), so a page
sorted by risk is an index scan at a million incidents, not a sort of the table. Built
concurrently (no write lock on incidents while it builds), so the migration is not atomic."""

from django.db import migrations, models

from dapolice.common.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0009_merge_0007_incident_call_0008_security")]

    operations = [
        AddIndexConcurrently(
            model_name="incident",
            index=models.Index(fields=["risk_level", "id"], name="incident_risk_sort_idx"),
        ),
    ]

"""Prove the re-assessment request check on the existing rows (README "Migrations"): in its
own transaction, so the scan does not hold 0004's lock."""

from django.db import migrations

from dapolice.common import migration_operations as ops


class Migration(migrations.Migration):
    dependencies = [("marac", "0004_reassessment_request")]

    operations = [
        ops.ValidateConstraint(model_name="maraccase", name="marac_case_reassess_request_has_who"),
    ]

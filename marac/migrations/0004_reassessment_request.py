"""The coordinator's request for the re-assessment after a MARAC's actions (who asked, when,
of whom). ``MaracCase`` is a large table (README "Migrations"): nullable fields without an index,
the check added NOT VALID here and validated by 0005 outside this transaction."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from dapolice.common import migration_operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("marac", "0003_backfill_mash_referrals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="maraccase",
            name="reassessment_requested_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="re-assessment requested at"
            ),
        ),
        migrations.AddField(
            model_name="maraccase",
            name="reassessment_requested_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="maraccase",
            name="reassessment_requested_from",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="re-assessment asked of",
            ),
        ),
        ops.AddConstraintNotValid(
            model_name="maraccase",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reassessment_requested_at__isnull", True),
                    ("reassessment_requested_by__isnull", False),
                    _connector="OR",
                ),
                name="marac_case_reassess_request_has_who",
            ),
        ),
    ]

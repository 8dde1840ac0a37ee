"""Take onto the MARAC list the MASH's MARAC referrals made before this app was installed
(``mash.Referral`` rows of kind ``marac``; from now on ``mash.signals.marac_referral_made`` does
it). Idempotent (one case per MASH referral: a rerun adds only what is missing), in committed
batches of the referral table (``atomic = False``), reading only; it inserts into this app's own
new table. The rule is frozen here as it stood: the criteria met at the DASH's review, the
incident's risk level, one child when children were present, and "repeat" for a referral
within 12 months of the same victim's previous one.
"""

from dateutil.relativedelta import relativedelta
from django.db import migrations

from dapolice.common.migration_operations import id_batches

REPEAT_MONTHS = 12


def forwards(apps, schema_editor):
    Referral = apps.get_model("mash", "Referral")
    MaracCase = apps.get_model("marac", "MaracCase")
    connection = schema_editor.connection if schema_editor is not None else None
    if connection is None:
        from django.db import connection
    for low, high in id_batches(connection, Referral._meta.db_table):
        rows = (
            Referral.objects.filter(id__gte=low, id__lt=high, kind="marac")
            .exclude(pk__in=MaracCase.objects.filter(mash_referral__isnull=False).values(
                "mash_referral_id"
            ))
            .select_related("case", "case__assessment", "case__incident")
            .order_by("made_at", "pk")
        )
        for referral in rows:
            case = referral.case
            previous = (
                MaracCase.objects.filter(victim_id=case.victim_id, referred_at__lte=referral.made_at)
                .order_by("-referred_at", "-pk")
                .first()
            )
            repeat = previous is not None and referral.made_at <= previous.referred_at + relativedelta(
                months=REPEAT_MONTHS
            )
            criteria = [
                c["code"] for c in (case.assessment.marac_criteria or []) if c.get("met")
            ]
            if repeat and "repeat_marac" not in criteria:
                criteria.append("repeat_marac")
            MaracCase.objects.create(
                victim_id=case.victim_id,
                incident_id=case.incident_id,
                mash_referral_id=referral.pk,
                source="mash",
                referred_by_id=referral.made_by_id,
                referred_at=referral.made_at,
                criteria=criteria,
                reason=referral.notes,
                is_repeat=repeat,
                previous=previous if repeat else None,
                children_count=1 if case.children_present else 0,
                level_before=case.incident.risk_level or "",
                status="referred",
            )


class Migration(migrations.Migration):
    atomic = False
    dependencies = [
        ("marac", "0002_role_permissions"),
        ("mash", "0003_role_permissions"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

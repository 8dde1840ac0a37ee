"""Chain every audit row to the one before it (``dapolice.audit.chain``).

The two columns are added with a constant default (no table rewrite on PostgreSQL 11+), then the
rows already there are sealed in id order, in batches of their own transactions, so a force with
millions of audit rows applies it without one long lock. The append-only trigger is switched off
only inside each batch's transaction (the migration role owns the table; the runtime role cannot).
Re-running continues after the last sealed row.
"""

import django.utils.timezone
from django.db import migrations, models, transaction

BATCH = 2000


def seal(apps, schema_editor):
    from dapolice.audit.chain import GENESIS, HASHED_FIELDS, LOCK_KEY, digest

    connection = schema_editor.connection
    alias = connection.alias
    AuditEvent = apps.get_model("audit", "AuditEvent")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    postgres = connection.vendor == "postgresql"
    events = AuditEvent.objects.using(alias).order_by("id")
    last = events.exclude(chain_hash="").last()
    prev, last_id = (last.chain_hash, last.pk) if last else (GENESIS, 0)
    while True:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
            rows = list(events.filter(id__gt=last_id).values("id", *HASHED_FIELDS)[:BATCH])
            if not rows:
                return
            updates = []
            for row in rows:
                sealed = digest(prev, row)
                updates.append((row["id"], prev, sealed))
                prev = sealed
            if postgres:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_auditevent_no_update_delete")
                values = ", ".join(["(%s, %s, %s)"] * len(updates))
                cursor.execute(
                    f"UPDATE {table} AS a SET prev_hash = v.p, chain_hash = v.h "  # noqa: S608
                    f"FROM (VALUES {values}) AS v(id, p, h) WHERE a.id = v.id",
                    [x for update in updates for x in update],
                )
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_auditevent_no_update_delete")
            else:
                cursor.executemany(
                    f"UPDATE {table} SET prev_hash = %s, chain_hash = %s WHERE id = %s",  # noqa: S608
                    [(p, h, i) for i, p, h in updates],
                )
            last_id = rows[-1]["id"]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="at"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="previous row's hash"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop, elidable=False),
    ]

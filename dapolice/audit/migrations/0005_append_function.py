"""The chain's one-round-trip append (``dapolice.audit.chain.append_if_head``), PostgreSQL only.

``audit_append(expected, events)`` takes the chain's advisory lock, reads the head under a
fresh snapshot (a ``VOLATILE`` function's statements each take their own, so it sees the row
the previous lock holder committed) and, if it is ``expected``, inserts ``events`` (a JSON
array of rows, already chained after ``expected`` by the application, which alone holds the
HMAC key) in order, returning their ids. If another writer came first it inserts nothing and
returns the head it found: the caller chains after it and writes again (in a transaction it
still holds the lock, so a plain INSERT follows). It runs with the caller's privileges
(``SECURITY INVOKER``: INSERT and SELECT on the audit table, as before) and updates nothing.
SQLite keeps the lock-free path (its ``BEGIN IMMEDIATE`` serialises the writers).
"""

from django.db import migrations

from dapolice.audit.chain import LOCK_KEY

SQL = f"""
CREATE OR REPLACE FUNCTION audit_append(expected text, events jsonb, OUT ids bigint[], OUT head text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
DECLARE
    e record;
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    SELECT a.chain_hash INTO head FROM audit_auditevent AS a ORDER BY a.id DESC LIMIT 1;
    head := coalesce(nullif(head, ''), repeat('0', 64));
    IF head <> expected THEN
        RETURN;
    END IF;
    ids := ARRAY[]::bigint[];
    FOR e IN
        SELECT r.*
        FROM jsonb_populate_recordset(NULL::audit_auditevent, events) WITH ORDINALITY AS r
        ORDER BY r.ordinality
    LOOP
        INSERT INTO audit_auditevent (
            at, actor_id, actor_roles, kind, action, subject_type, subject_id, object_ids,
            changes, reason, ip, request_id, prev_hash, chain_hash
        ) VALUES (
            e.at, e.actor_id, e.actor_roles, e.kind, e.action, e.subject_type, e.subject_id,
            e.object_ids, e.changes, e.reason, e.ip, e.request_id, e.prev_hash, e.chain_hash
        ) RETURNING id INTO new_id;
        ids := ids || new_id;
    END LOOP;
    head := NULL;
END;
$$;
"""

REVERSE = "DROP FUNCTION IF EXISTS audit_append(text, jsonb);"


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, SQL)


def backwards(apps, schema_editor):
    _run(schema_editor, REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_shown_records_index")]
    operations = [migrations.RunPython(forwards, backwards)]

"""Exactly one owner of safeguarding at every moment, in the database (PostgreSQL).

The partial unique index ``mash_one_open_owner`` (0001) refuses two open periods of ownership of
a case. This adds the other half: a deferred constraint trigger that, at commit, refuses any
transaction leaving a case with no open period, or with one whose owner is not the case's
``owner`` column. Deferred, because a handover closes the old period and opens the new one in
two statements of one transaction. SQLite (the embedded default) has no deferred triggers; there
the services' single transaction and the unique index keep it.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION mash_check_one_owner() RETURNS trigger AS $$
DECLARE
    the_case bigint;
    open_count integer;
    open_owner bigint;
    case_owner bigint;
BEGIN
    IF TG_TABLE_NAME = 'mash_mashcase' THEN
        the_case := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        the_case := OLD.case_id;
    ELSE
        the_case := NEW.case_id;
    END IF;
    SELECT owner_id INTO case_owner FROM mash_mashcase WHERE id = the_case;
    IF NOT FOUND THEN
        RETURN NULL;  -- the case itself was removed
    END IF;
    SELECT count(*), min(owner_id) INTO open_count, open_owner
      FROM mash_ownershipperiod WHERE mash_ownershipperiod.case_id = the_case AND ended_at IS NULL;
    IF open_count <> 1 OR open_owner IS DISTINCT FROM case_owner THEN
        RAISE EXCEPTION 'MASH case % must have exactly one owner of safeguarding (open periods: %)',
            the_case, open_count USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
DROP TRIGGER IF EXISTS mash_ownership_one_owner ON mash_ownershipperiod;
CREATE CONSTRAINT TRIGGER mash_ownership_one_owner
    AFTER INSERT OR UPDATE OR DELETE ON mash_ownershipperiod
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mash_check_one_owner();
DROP TRIGGER IF EXISTS mash_case_one_owner ON mash_mashcase;
CREATE CONSTRAINT TRIGGER mash_case_one_owner
    AFTER INSERT OR UPDATE OF owner_id ON mash_mashcase
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mash_check_one_owner();
"""

DROP = """
DROP TRIGGER IF EXISTS mash_ownership_one_owner ON mash_ownershipperiod;
DROP TRIGGER IF EXISTS mash_case_one_owner ON mash_mashcase;
DROP FUNCTION IF EXISTS mash_check_one_owner();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGERS, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("mash", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

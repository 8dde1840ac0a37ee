"""The matching engine compares a year of birth recorded alone (``Person.birth_year``, issue 8)
with the years of dates typed: it reads it with each candidate's date of birth and address from
the person index, so that index now holds it too (``person_match_year_idx`` replaces
``person_match_idx``), and a candidate is still read from the index alone (an index-only scan),
never from the table. Built concurrently (no write lock on persons while it builds), the new
index before the old one goes, so the migration is not atomic."""

from django.db import migrations, models

from dapolice.common.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0012_name_canon_family_trgm_idx")]

    operations = [
        AddIndexConcurrently(
            model_name="person",
            index=models.Index(
                fields=["id", "date_of_birth", "address", "birth_year"],
                name="person_match_year_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="person", name="person_match_idx"),
    ]

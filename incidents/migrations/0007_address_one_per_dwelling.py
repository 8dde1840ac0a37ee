"""One address row per dwelling (issue 7, probe finding 7).

Twins written before the constraint (concurrent calls typing one new address) are merged into
the oldest row first: persons, incidents and markers move to it, and if any twin was restricted
the kept row is restricted (a refuge's restriction must not be sidestepped by a twin). Each
dwelling is merged in its own short transaction; a rerun finds nothing left to merge. Then the
unique index is built concurrently.
"""

from django.db import migrations, models, transaction
from django.db.models import Count, Min, Q

from dapolice.common.migration_operations import AddUniqueConstraintConcurrently


def merge_twins(apps, schema_editor):
    address = apps.get_model("incidents", "Address")
    person = apps.get_model("incidents", "Person")
    incident = apps.get_model("incidents", "Incident")
    marker = apps.get_model("incidents", "Marker")
    db = schema_editor.connection.alias
    groups = (
        address.objects.using(db)
        .exclude(postcode_key="")
        .exclude(house_key="")
        .values("postcode_key", "house_key")
        .annotate(n=Count("id"), keep=Min("id"))
        .filter(n__gt=1)
    )
    for group in list(groups):
        with transaction.atomic(using=db):
            rows = list(
                address.objects.using(db)
                .select_for_update()
                .filter(postcode_key=group["postcode_key"], house_key=group["house_key"])
                .order_by("id")
            )
            keep, twins = rows[0], rows[1:]
            twin_ids = [t.pk for t in twins]
            person.objects.using(db).filter(address_id__in=twin_ids).update(address_id=keep.pk)
            incident.objects.using(db).filter(location_id__in=twin_ids).update(location_id=keep.pk)
            marker.objects.using(db).filter(address_id__in=twin_ids).update(address_id=keep.pk)
            if any(t.is_restricted for t in twins) and not keep.is_restricted:
                address.objects.using(db).filter(pk=keep.pk).update(is_restricted=True)
            address.objects.using(db).filter(pk__in=twin_ids).delete()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0006_incidentofficer"),
    ]

    operations = [
        migrations.RunPython(merge_twins, migrations.RunPython.noop, elidable=False),
        AddUniqueConstraintConcurrently(
            "address",
            models.UniqueConstraint(
                condition=Q(("postcode_key", ""), _negated=True)
                & Q(("house_key", ""), _negated=True),
                fields=("postcode_key", "house_key"),
                name="address_one_per_dwelling",
            ),
        ),
    ]

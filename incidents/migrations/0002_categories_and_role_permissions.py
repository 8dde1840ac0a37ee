"""Seed the attendance categories (domain.md defaults) and grant intake permissions to roles."""

from django.db import migrations

CATEGORIES = [
    # code, name, description, urban minutes, rural minutes, order
    ("A", "Emergency", "Immediate attendance", 15, 20, 1),
    ("B", "Priority", "Attend within 1 hour", 60, 60, 2),
    ("C", "Scheduled", "Attend within 4 hours", 240, 240, 3),
]

VIEW = ["view_incident", "view_person", "view_address", "view_marker", "view_incidentperson",
        "view_personname", "view_personphone"]
INTAKE = VIEW + [
    "add_incident", "change_incident", "add_person", "change_person", "add_address",
    "add_marker", "add_incidentperson", "add_personname", "add_personphone", "record_attendance",
]

GRANTS = {
    "call_taker": INTAKE,
    "control_supervisor": INTAKE + ["defer_incident", "reveal_restricted_address",
                                    "change_marker"],
    "attending_officer": VIEW + ["record_attendance", "add_marker"],
    "supervisor": VIEW + ["reveal_restricted_address", "add_marker", "change_marker"],
    "mash": VIEW + ["reveal_restricted_address", "add_marker", "change_marker"],
    "investigator": VIEW + ["reveal_restricted_address"],
    "marac_coordinator": VIEW,
    "sysadmin": ["view_attendancecategory", "change_attendancecategory", "add_attendancecategory",
                 "view_ruralarea", "add_ruralarea", "change_ruralarea", "delete_ruralarea"],
}


def forwards(apps, schema_editor):
    from dapolice.accounts.roles import grant

    AttendanceCategory = apps.get_model("incidents", "AttendanceCategory")
    for code, name, description, urban, rural, order in CATEGORIES:
        AttendanceCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "urban_minutes": urban,
                      "rural_minutes": rural, "order": order},
        )
    grant(apps, "incidents", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("accounts", "0002_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

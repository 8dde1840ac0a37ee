"""Create one group per role, the force's own agency and the ``system`` actor."""

from django.db import migrations

ROLES = [
    "call_taker",
    "control_supervisor",
    "attending_officer",
    "supervisor",
    "mash",
    "investigator",
    "marac_coordinator",
    "partner",
    "analyst",
    "sysadmin",
]

# System administrators manage users, agencies and configuration; they get no case content.
SYSADMIN_PERMISSIONS = {
    "accounts": ["add_user", "change_user", "view_user", "add_agency", "change_agency",
                 "view_agency"],
    "auth": ["view_group", "change_group", "view_permission"],
}


def forwards(apps, schema_editor):
    from dapolice.accounts.roles import grant

    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for app_label, codenames in SYSADMIN_PERMISSIONS.items():
        grant(apps, app_label, {"sysadmin": codenames})

    User = apps.get_model("accounts", "User")
    User.objects.get_or_create(
        username="system",
        defaults={"first_name": "System", "is_active": False, "password": "!"},
    )
    Agency = apps.get_model("accounts", "Agency")
    Agency.objects.get_or_create(code="police", defaults={"name": "Police", "kind": "police"})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

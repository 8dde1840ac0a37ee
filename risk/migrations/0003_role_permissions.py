"""Grant the risk permissions to roles (editable in the admin afterwards).

Object rules (an officer's own incidents, never reviewing one's own DASH) are in
``risk/policies.py``; partners and analysts get nothing here: partners never see DASH answers
(a MARAC shares what they need), analysts see no names.
"""

from django.db import migrations

READ = ["view_assessment", "view_assessmentanswer", "view_assessmentreview", "view_instrument",
        "view_section", "view_question"]
COMPLETE = READ + ["add_assessment", "change_assessment", "add_assessmentanswer",
                   "change_assessmentanswer"]

GRANTS = {
    "attending_officer": COMPLETE,
    "supervisor": COMPLETE + ["review_assessment", "add_assessmentreview"],
    "mash": READ,
    "investigator": READ,
    "marac_coordinator": READ,
    "sysadmin": ["view_instrument", "add_instrument", "change_instrument", "view_section",
                 "add_section", "change_section", "view_question", "add_question",
                 "change_question", "view_officersupervisor", "add_officersupervisor",
                 "change_officersupervisor", "delete_officersupervisor"],
}


def forwards(apps, schema_editor):
    from dapolice.accounts.roles import grant

    grant(apps, "risk", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0002_instruments"),
        ("accounts", "0002_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

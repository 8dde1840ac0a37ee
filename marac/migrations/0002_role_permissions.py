"""Grant the MARAC permissions to roles (editable in the admin afterwards).

Object rules (the coordinator sees everything; a partner only the cases their agency was invited
to or referred, their agency's actions, the research they may see) are in
``marac/policies.py``. Analysts get the quarterly return (counts only); administrators nothing.
"""

from django.db import migrations

MODELS = ("maraccase", "meeting", "research", "action", "report")
COORDINATOR = [f"{verb}_{model}" for model in MODELS for verb in ("view", "add", "change")] + [
    "coordinate_marac",
    "view_return",
]
PARTNER = ["view_maraccase", "add_maraccase", "view_meeting", "view_research", "add_research",
           "view_action", "view_report", "add_report"]  # fmt: skip

GRANTS = {
    "marac_coordinator": COORDINATOR,
    "partner": PARTNER,
    "analyst": ["view_return"],
}


def forwards(apps, schema_editor):
    from dapolice.accounts.roles import grant

    grant(apps, "marac", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("marac", "0001_initial"),
        ("accounts", "0002_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

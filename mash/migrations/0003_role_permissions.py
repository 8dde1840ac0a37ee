"""Grant the MASH permissions to roles (editable in the admin afterwards).

Object rules (MASH staff see everything; the duty sergeant their out-of-hours case; police named
on a case that case; partners their agency's referrals) are in ``mash/policies.py``. Analysts and
system administrators get no case content; administrators edit the duty rota.
"""

from django.db import migrations

MASH = [
    f"{verb}_{model}"
    for model in ("mashcase", "ownershipperiod", "informationentry", "planaction", "referral",
                  "encompassnotice", "contactplan", "contact")
    for verb in ("view", "add", "change")
] + ["work_mashcase", "view_dutyrota"]
#: Police who meet victims: log contacts, read the safe-contact instructions, see the cases
#: they are named on (owner, handover offered to).
POLICE = ["view_mashcase", "view_ownershipperiod", "view_contact", "add_contact",
          "view_contactplan"]
#: Either may be the detective sergeant on the duty rota (works that one case).
SERGEANT = POLICE + ["work_mashcase", "change_mashcase", "add_referral", "view_referral",
                     "add_informationentry", "view_informationentry", "change_encompassnotice",
                     "view_encompassnotice", "change_planaction", "add_planaction",
                     "view_planaction"]
PARTNER = ["view_referral", "change_referral", "add_informationentry", "view_informationentry",
           "view_contact", "add_contact", "view_contactplan"]

GRANTS = {
    "mash": MASH,
    "attending_officer": POLICE,
    "supervisor": SERGEANT,
    "investigator": SERGEANT,
    "marac_coordinator": POLICE,
    "control_supervisor": POLICE,
    "partner": PARTNER,
    "sysadmin": ["view_dutyrota", "add_dutyrota", "change_dutyrota", "delete_dutyrota"],
}


def forwards(apps, schema_editor):
    from dapolice.accounts.roles import grant

    grant(apps, "mash", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("mash", "0002_one_owner_trigger"),
        ("accounts", "0002_roles_and_system_user"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

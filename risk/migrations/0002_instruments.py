"""The risk checklists as versioned data: the police DASH (2009), 27 questions in four sections,
and the SafeLives DASH RIC, the same without questions 10-12 (24), each with the stalking and
harassment supplement (S-DASH, 11) and the so-called honour-based abuse supplement (10).

Question texts are written in our own words from the public topics (../shared/domain.md); the
meaning is kept. A changed checklist is a new version (a new migration, a fixture loaded with
``loaddata``, or rows added in the admin): an instrument already used is never edited, so every
assessment keeps the wording it was completed with. DARA (College of Policing) is added the same
way, with no code change: its sections, questions and triggers are rows like these.
"""

from django.db import migrations

# (key, text, hint, stand-alone high-risk sign)
CURRENT = [
    ("injured", "Has the current incident left the victim injured?",
     "Note the injuries, and whether this is the first time.", False),
    ("frightened", "Is the victim very frightened?",
     "Record what they fear in their own words.", False),
    ("fears", "Is the victim afraid of further injury or violence, or of being killed - "
     "themselves, their children or someone else?",
     "Note who they fear for and what they fear will happen.", False),
    ("isolated", "Does the victim feel cut off from family or friends - does the abuser stop "
     "them seeing people, going to work or getting help?", "", False),
    ("depressed", "Is the victim feeling depressed, or having thoughts of suicide?", "", False),
    ("separation", "Has the victim separated from the abuser, or tried to, within the past "
     "year?", "", False),
    ("child_contact", "Is there conflict with the abuser over contact with the children?",
     "", False),
    ("stalking", "Does the abuser keep texting, calling, contacting, following, stalking or "
     "harassing the victim?", "Stalking is a stand-alone sign of high risk.", True),
]
CHILDREN = [
    ("pregnant", "Is the victim pregnant, or have they had a baby in the last 18 months?",
     "", False),
    ("other_children", "Are there children in the household who are not the abuser's, or "
     "other dependants?", "", False),
    ("harmed_children", "Has the abuser ever hurt the children or dependants?", "", False),
    ("threatened_children", "Has the abuser ever threatened to hurt or kill the children or "
     "dependants?", "", False),
]
HISTORY = [
    ("more_often", "Is the abuse happening more often?", "", False),
    ("getting_worse", "Is the abuse getting worse?", "", False),
    ("controlling", "Does the abuser try to control everything the victim does, or are they "
     "excessively jealous?", "Coercive control: money, phone, who they see, where they go.",
     False),
    ("weapons", "Has the abuser ever used a weapon or an object to hurt the victim?", "", False),
    ("threats_to_kill", "Has the abuser ever threatened to kill the victim or someone else, "
     "and did the victim believe it?", "Threats to kill are a stand-alone sign of high risk.",
     True),
    ("strangulation", "Has the abuser ever tried to strangle, choke, suffocate or drown the "
     "victim?", "Non-fatal strangulation is a stand-alone sign of high risk.", True),
    ("sexual_abuse", "Does the abuser do or say sexual things that make the victim feel bad, "
     "or that hurt them or someone else?", "", False),
    ("other_person_feared", "Is there another person who has threatened the victim or whom "
     "the victim is afraid of?", "", False),
    ("hurt_others", "Does the victim know of the abuser hurting anyone else - children, "
     "relatives, a former partner, anyone?", "", False),
    ("animals", "Has the abuser ever mistreated an animal or a family pet?", "", False),
]
ABUSER = [
    ("financial", "Are there financial problems - for example, is the victim dependent on the "
     "abuser for money, or has the abuser recently lost a job?", "", False),
    ("substances", "Has the abuser had problems with drugs, alcohol or mental health in the "
     "past year?", "", False),
    ("suicide_threat", "Has the abuser ever threatened or attempted suicide?", "", False),
    ("breached", "Has the abuser ever broken bail conditions, an injunction or an agreement "
     "about when they can see the victim or the children?", "", False),
    ("criminal_history", "Does the victim know of the abuser having a criminal record, for "
     "domestic abuse or anything else?", "", False),
]
STALKING = [
    ("s_frightened", "Is the victim very frightened of the stalker?", ""),
    ("s_previous_abuse", "Is there a history of domestic abuse or harassment by this person?",
     ""),
    ("s_property", "Has the stalker damaged or destroyed property?", ""),
    ("s_visits", "Has the stalker turned up unannounced more than three times a week?", ""),
    ("s_following", "Does the stalker follow the victim, or wait or watch near their home or "
     "work?", ""),
    ("s_threats", "Has the stalker threatened physical or sexual violence?", ""),
    ("s_third_parties", "Has the stalker harassed anyone else since it began - friends, "
     "family, colleagues?", ""),
    ("s_violent_others", "Has the stalker been violent towards anyone else?", ""),
    ("s_helpers", "Has the stalker got other people to help, knowingly or not?", ""),
    ("s_substances", "Has the stalker had problems with drugs, alcohol or mental health in the "
     "past year?", ""),
    ("s_record", "Is the stalker known to the police, or do they have a record of violence?",
     ""),
]
HONOUR = [
    ("h_forced_marriage", "Is the victim afraid of, or being pressured into, a forced "
     "marriage?", ""),
    ("h_several_abusers", "Is more than one member of the family or community involved in the "
     "abuse?", ""),
    ("h_shame", "Has the victim been told they have brought shame or dishonour on the family?",
     ""),
    ("h_restrictions", "Does the family restrict the victim's movements, contacts, education "
     "or work?", ""),
    ("h_abroad", "Has the victim been threatened with being taken or sent abroad?", ""),
    ("h_previous", "Has there been an honour-related incident in the family before, for "
     "example with a sibling?", ""),
    ("h_threats", "Have family members threatened the victim with harm or death if they do "
     "not comply?", ""),
    ("h_return_home", "Is the victim afraid of going back to the family home?", ""),
    ("h_tracing", "Has the family tried to trace the victim, or used others to find them?",
     ""),
    ("h_fgm", "Is there a risk of female genital mutilation to the victim or to children in "
     "the family?", ""),
]

STALKING_TRIGGER = {
    # "very frightened" or "stalking" answered yes, or two or more DA incidents with this victim
    # in the repeat-victim window (DAPOLICE_DASH_STALKING_MIN_INCIDENTS, default 2).
    "any_yes": ["frightened", "stalking"],
    "label": "2 or 8",
    "min_incidents": "setting",
}
HONOUR_TRIGGER = {
    # The officer's screening question on the form, or abuse by a family member (the
    # incident's relationship): so-called honour-based abuse is usually by family members.
    "flag": "honour_concern",
    "relationship": ["family"],
}

INSTRUMENTS = [
    {
        "code": "dash-2009",
        "version": "2009.1",
        "name": "Police DASH risk checklist (2009)",
        "audience": "police",
        "order": 1,
        "description": "Domestic abuse, stalking and harassment and honour-based violence risk "
        "identification checklist used by police first responders: 27 questions.",
        "sections": [
            ("Current situation", "", CURRENT),
            ("Children and dependants", "", CHILDREN),
            ("Domestic abuse history", "", HISTORY),
            ("The abuser", "", ABUSER),
        ],
        "stalking_label": "2 or 8",
    },
    {
        "code": "safelives-ric",
        "version": "2009.1",
        "name": "SafeLives DASH risk identification checklist (RIC)",
        "audience": "partner",
        "order": 2,
        "description": "The checklist partner agencies use for referrals: the police DASH "
        "without the three children and dependants questions, 24 questions.",
        "sections": [
            ("Current situation", "", CURRENT),
            ("Children and pregnancy", "", CHILDREN[:1]),
            ("Domestic abuse history", "", HISTORY),
            ("The abuser", "", ABUSER),
        ],
        "stalking_label": "2 or 8",
    },
]


def forwards(apps, schema_editor):
    Instrument = apps.get_model("risk", "Instrument")
    Section = apps.get_model("risk", "Section")
    Question = apps.get_model("risk", "Question")
    for spec in INSTRUMENTS:
        if Instrument.objects.filter(code=spec["code"], version=spec["version"]).exists():
            continue
        instrument = Instrument.objects.create(
            code=spec["code"],
            version=spec["version"],
            name=spec["name"],
            audience=spec["audience"],
            description=spec["description"],
            order=spec["order"],
        )
        number = 0
        order = 0
        for s_order, (title, intro, questions) in enumerate(spec["sections"], start=1):
            section = Section.objects.create(
                instrument=instrument, order=s_order, title=title, intro=intro
            )
            for key, text, hint, standalone in questions:
                number += 1
                order += 1
                Question.objects.create(
                    instrument=instrument, section=section, key=key, number=str(number),
                    order=order, text=text, hint=hint, counts=True, standalone_high=standalone,
                )
        supplements = [
            ("stalking", "Stalking and harassment (S-DASH)", "S", STALKING,
             dict(STALKING_TRIGGER, label=spec["stalking_label"]),
             "Ask these when the victim is very frightened, is being stalked or harassed, or "
             "this is not the first incident. They do not count towards the score; use them "
             "in your professional judgement."),
            ("honour", "So-called honour-based abuse", "H", HONOUR, HONOUR_TRIGGER,
             "Ask these when there are signs of abuse by family or community members, pressure "
             "to marry, or talk of shame or family honour. They do not count towards the "
             "score; use them in your professional judgement."),
        ]
        s_order = len(spec["sections"])
        for supplement, title, prefix, questions, trigger, intro in supplements:
            s_order += 1
            section = Section.objects.create(
                instrument=instrument, order=s_order, title=title, supplement=supplement,
                intro=intro, trigger=trigger,
            )
            for n, (key, text, hint) in enumerate(questions, start=1):
                order += 1
                Question.objects.create(
                    instrument=instrument, section=section, key=key, number=f"{prefix}{n}",
                    order=order, text=text, hint=hint, counts=False, standalone_high=False,
                )


def backwards(apps, schema_editor):
    Instrument = apps.get_model("risk", "Instrument")
    Instrument.objects.filter(
        code__in=[s["code"] for s in INSTRUMENTS], version="2009.1"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

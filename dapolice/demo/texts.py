"""Short free-text fragments for synthetic incidents, in the register of control-room logs.

No names: the narrative says "the victim" and "the suspect", as the people are linked records.
"""

from __future__ import annotations

import random

OPENERS = {
    "victim": (
        "Victim called 999.",
        "Victim called 999 from the bathroom.",
        "Victim called 101, then 999 when the suspect returned.",
        "Victim called from a neighbour's phone.",
    ),
    "neighbour": (
        "Neighbour called reporting shouting and screaming next door.",
        "Neighbour heard screaming and things being thrown.",
        "Neighbour reports banging on the wall and a child crying.",
    ),
    "family": (
        "Victim's mother called after a text asking for help.",
        "Caller is a relative; victim rang them in tears.",
    ),
    "child": ("Child called 999 from the address, whispering.",),
    "silent": ("Silent 999 call; operator heard shouting on an open line.",),
}

EVENTS = (
    "The suspect pushed the victim against a wall.",
    "The suspect grabbed the victim by the throat.",
    "The suspect smashed the victim's phone so they could not call for help.",
    "Ongoing verbal argument; items thrown across the kitchen.",
    "The suspect threatened to kill the victim if they called the police.",
    "The suspect refused to leave the address and kicked the door in.",
    "The suspect punched the victim in the face.",
    "The suspect has been turning up at the address and sending abusive messages.",
    "The suspect breached a non-molestation order by coming to the address.",
    "The suspect took the victim's car keys and bank card and will not return them.",
    "The suspect dragged the victim by the hair.",
    "The suspect threatened the victim with a kitchen knife.",
    "Argument over child contact escalated; the suspect spat at the victim.",
    "The suspect has been following the victim to and from work.",
    "The suspect locked the victim in the bedroom for several hours.",
    "The suspect, drunk, damaged the front door and windows.",
)

STATES = (
    "The suspect is still at the address.",
    "The suspect left on foot before the call.",
    "The suspect left in a vehicle; direction unknown.",
    "The victim is now at a neighbour's house.",
    "The suspect is outside in the street shouting.",
    "The line went dead; call-back unanswered.",
)

CHILDREN = (
    "Children in the house at the time.",
    "A child witnessed the assault.",
    "Children asleep upstairs.",
)

HAPPENED_BEFORE = (
    "Victim says this has happened many times; most were never reported.",
    "Previous incidents at this and a former address.",
    "Abuse for about two years, getting worse since the victim tried to separate.",
    "Once before, reported to a GP rather than the police.",
)

VULNERABILITY = (
    "Victim is pregnant.",
    "Victim has a physical disability.",
    "Victim has a mental health condition and is on medication.",
    "Victim has limited English; an interpreter may be needed.",
    "Victim is isolated and financially dependent on the suspect.",
    "Victim has a learning disability.",
)

THRIVE_THREAT = (
    "Suspect at scene, making threats.",
    "Suspect has left; may return.",
    "Threats to kill reported.",
    "No immediate threat reported.",
)
THRIVE_HARM = (
    "Injuries reported.",
    "No visible injuries reported.",
    "Possible strangulation; medical check advised.",
)
THRIVE_RISK = ("Escalating pattern.", "Risk to children in the house.", "Risk unclear.")
THRIVE_ENGAGEMENT = (
    "Victim wants police attendance.",
    "Victim reluctant; neighbour insists.",
    "Victim asks for a call back at a safe time.",
)

DEFERRAL_REASONS = (
    "No unit available; victim safe with family overnight.",
    "Victim at work until this evening and asked for a later visit.",
)
VICTIM_WISHES = (
    "Victim prefers an officer to visit after 6pm when the children are in bed.",
    "Victim is staying with a sister and is happy to be seen tomorrow morning.",
)

MARKER_NOTES = {
    "violence": ("Violent towards police.", "Previous assault on a partner.", ""),
    "weapons": ("Known to carry a knife.", "Keeps a baseball bat by the door."),
    "firearm_certificate": ("Shotgun certificate holder.", "Firearm certificate."),
    "treat_as_emergency": ("Treat any call from this address as an emergency.",),
    "children_at_address": ("Children live at this address.",),
    "restricted_address": ("Refuge: do not disclose.",),
    "other": ("Self-harm risk.", "Dog at the address."),
}


def narrative(rng: random.Random, *, caller: str, children_present: bool, repeat: bool) -> str:
    parts = [rng.choice(OPENERS[caller]), rng.choice(EVENTS)]
    if repeat and rng.random() < 0.5:
        parts.append("Known to police: previous calls from the victim.")
    if children_present:
        parts.append(rng.choice(CHILDREN))
    parts.append(rng.choice(STATES))
    return " ".join(parts)

"""Demo bail and custody (recommendation 12) for ``seed_demo``: the suspect of the first demo DASH
incident is bailed, so the incident page shows the event, when the victim must be told, and the
re-assessment task in the officer's inbox. Through the service, like everything else."""

from __future__ import annotations

from typing import Any

from incidents import services
from incidents.choices import CustodyEventKind, PersonRole
from incidents.models import CustodyEvent, IncidentPerson
from risk.models import Assessment


def seed_custody(*, officer: Any) -> list[str]:
    """Returns what was made, for the command to print; nothing when an event exists already."""
    if CustodyEvent.objects.exists():
        return []
    first = Assessment.objects.select_related("incident").order_by("pk").first()
    if first is None:
        return []
    suspect = (
        IncidentPerson.objects.filter(incident=first.incident, role=PersonRole.SUSPECT)
        .select_related("person")
        .first()
    )
    if suspect is None:
        return []
    event = services.custody_event_record(
        actor=officer,
        incident=first.incident,
        suspect=suspect.person,
        kind=CustodyEventKind.BAIL_GRANTED,
        notes="Conditional bail: not to contact the victim or enter her street",
    )
    return [
        f"Bail recorded on {first.incident.reference}: tell the victim by "
        f"{event.tell_victim_by:%d %b %H:%M} (sign in as {officer.username})"
    ]

"""Intake test helpers. The `log_incident` fixture is in tests/conftest.py (browser tests too)."""

from __future__ import annotations

from typing import Any

from incidents.choices import PersonRole
from incidents.inputs import AddressInput, PersonInput
from incidents.models import Incident, Person

NO = dict(
    immediate_risk=False,
    injuries=False,
    weapons=False,
    children_present=False,
    firearm_at_address=False,
    happened_before=False,
    victim_vulnerable=False,
)

HOME = AddressInput(house="12", street="Mill Road", town="Norwich", postcode="NR1 2AB")


def person_input(role: str, person: Person | None = None, **kw: Any) -> PersonInput:
    if person is not None:
        return PersonInput(role=role, person_id=person.pk, **kw)
    return PersonInput(role=role, **kw)


def victim_of(incident: Incident) -> Person:
    return incident.people.get(role=PersonRole.VICTIM).person


def suspect_of(incident: Incident) -> Person:
    return incident.people.get(role=PersonRole.SUSPECT).person

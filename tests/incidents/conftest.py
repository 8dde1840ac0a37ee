"""Intake fixtures: incidents are logged through the service, as a call taker would."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from incidents import services
from incidents.choices import PersonRole, Relationship
from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput
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


@pytest.fixture
def log_incident(call_taker: Any) -> Callable[..., Incident]:
    """``log_incident(victim=..., suspect=..., category="A", received_at=..., location=...)``.

    ``victim``/``suspect`` are a Person (linked) or a dict of PersonInput fields (new person).
    """

    def log(
        *,
        victim: Person | dict[str, Any] | None = None,
        suspect: Person | dict[str, Any] | None = None,
        others: tuple[PersonInput, ...] = (),
        category: str = "B",
        received_at: datetime | None = None,
        location: AddressInput = HOME,
        actor: Any = None,
        key: uuid.UUID | None = None,
    ) -> Incident:
        people = []
        for role, who in ((PersonRole.VICTIM, victim), (PersonRole.SUSPECT, suspect)):
            if who is None and role == PersonRole.VICTIM:
                who = {"given_name": "Vic", "family_name": "Timson"}
            if isinstance(who, Person):
                people.append(person_input(role, who))
            elif who is not None:
                people.append(PersonInput(role=role, **who))
        data = IncidentInput(
            location=location,
            relationship=Relationship.PARTNER,
            checklist=Checklist(**NO),
            category_code=category,
            people=(*people, *others),
            received_at=received_at,
            idempotency_key=key,
        )
        return services.incident_create(actor=actor or call_taker, data=data)

    return log


def victim_of(incident: Incident) -> Person:
    return incident.people.get(role=PersonRole.VICTIM).person


def suspect_of(incident: Incident) -> Person:
    return incident.people.get(role=PersonRole.SUSPECT).person

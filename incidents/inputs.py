"""Typed inputs of the call-intake services: what forms and the API clean into."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class AddressInput:
    house: str = ""
    street: str = ""
    locality: str = ""
    town: str = ""
    postcode: str = ""
    #: None: decide from the rural-area table by postcode.
    is_rural: bool | None = None

    @property
    def is_empty(self) -> bool:
        return not any((self.house, self.street, self.town, self.postcode))


@dataclass(frozen=True)
class PersonInput:
    """A person in the call: link to ``person_id`` (confirmed by the call taker) or a new one.

    For a linked person, details typed in the call that the record lacks (a new phone, a new
    address, an alias) are added to it.
    """

    role: str
    person_id: int | None = None
    given_name: str = ""
    family_name: str = ""
    aliases: tuple[tuple[str, str], ...] = ()
    date_of_birth: date | None = None
    #: Only the year is known (a child present, issue 8); ignored when date_of_birth is given.
    birth_year: int | None = None
    phones: tuple[str, ...] = ()
    address: AddressInput | None = None
    #: The address is the incident location (victim and suspect usually live there).
    lives_at_location: bool = False
    is_caller: bool = False


@dataclass(frozen=True)
class Checklist:
    """The call taker's questions (domain.md, "Call intake"); every one needs an answer."""

    immediate_risk: bool
    injuries: bool
    weapons: bool
    children_present: bool
    firearm_at_address: bool
    happened_before: bool
    victim_vulnerable: bool
    happened_before_details: str = ""
    vulnerability_details: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Checklist:
        """From cleaned form or API data keyed by the field names."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class Thrive:
    threat: str = ""
    harm: str = ""
    risk: str = ""
    investigation: str = ""
    vulnerability: str = ""
    engagement: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], prefix: str = "") -> Thrive:
        """From ``{prefix + name: text}`` (``thrive_threat`` on the form, ``threat`` in the API)."""
        return cls(**{f.name: data.get(prefix + f.name) or "" for f in fields(cls)})


@dataclass(frozen=True)
class IncidentInput:
    location: AddressInput
    relationship: str
    checklist: Checklist
    category_code: str
    people: tuple[PersonInput, ...]
    thrive: Thrive = field(default_factory=Thrive)
    narrative: str = ""
    received_at: datetime | None = None
    idempotency_key: uuid.UUID | None = None

"""Typed input of the MARAC services: what the forms and the API clean into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Household:
    """The figures of the quarterly return, recorded with a referral."""

    children_count: int = 0
    victim_male: bool = False
    victim_16_17: bool = False
    victim_lgbt: bool = False
    victim_bme: bool = False
    victim_disability: bool = False


HOUSEHOLD_FIELDS = (
    "children_count", "victim_male", "victim_16_17", "victim_lgbt", "victim_bme",
    "victim_disability",
)  # fmt: skip


@dataclass(frozen=True)
class ActionInput:
    """One action of a MARAC action plan as typed."""

    agency_id: int
    description: str
    done_means: str
    due_on: date
    owner_name: str = ""


@dataclass(frozen=True)
class ReferralInput:
    criteria: list[str] = field(default_factory=list)
    reason: str = ""
    household: Household = field(default_factory=Household)

"""Typed input of the MASH services: what the forms and the API clean into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True)
class ActionInput:
    """One action of a safeguarding plan as typed."""

    description: str
    owner_name: str
    owner_agency: str
    due_on: date | None
    done: bool = False


@dataclass(frozen=True)
class ContactPlanInput:
    """A victim's SPOC and safe-contact instructions as typed."""

    spoc_id: int | None = None
    safe_phone: str = ""
    safe_email: str = ""
    safe_from: time | None = None
    safe_until: time | None = None
    safe_times_note: str = ""
    no_voicemail: bool = False
    code_word: str = ""
    instructions: str = ""


#: ContactPlan fields a ContactPlanInput sets, in the audit's order.
CONTACT_PLAN_FIELDS = (
    "spoc", "safe_phone", "safe_email", "safe_from", "safe_until", "safe_times_note",
    "no_voicemail", "code_word", "instructions",
)  # fmt: skip

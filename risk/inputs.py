"""Typed input of the risk services: what the DASH form and the API clean into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Assessment fields an officer fills in besides the answers (all optional in a draft).
ASSESSMENT_FIELDS = (
    "officer_level", "officer_rationale", "honour_concern", "children_present",
    "children_details", "safety_alarm", "safety_phone", "safety_marker", "safety_arrest",
    "safety_removal", "safety_referral", "safety_plan", "evidence_bwv", "evidence_photos",
    "evidence_999", "evidence_witnesses", "evidence_notes",
)  # fmt: skip


@dataclass(frozen=True)
class AssessmentInput:
    """What the officer typed. ``answers`` maps a question key to ``(value, notes)``; keys not
    given are left as they were (a draft is saved as often as the officer likes)."""

    answers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    officer_level: str = ""
    officer_rationale: str = ""
    honour_concern: bool = False
    children_present: str = ""
    children_details: str = ""
    safety_alarm: bool = False
    safety_phone: bool = False
    safety_marker: bool = False
    safety_arrest: bool = False
    safety_removal: bool = False
    safety_referral: bool = False
    safety_plan: str = ""
    evidence_bwv: bool = False
    evidence_photos: bool = False
    evidence_999: bool = False
    evidence_witnesses: bool = False
    evidence_notes: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], answers: Mapping[str, tuple[str, str]]) -> Any:
        names = {f.name for f in fields(cls)} - {"answers"}
        return cls(answers=answers, **{k: v for k, v in data.items() if k in names})

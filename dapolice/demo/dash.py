"""Demo DASHes for ``seed_demo``: one submitted and waiting in the sergeant's review queue, one
reviewed (high, visible high risk), both by the demo officer, each on a call of its own (so the
demo stories and the board are left as they are). Everything goes through the services, so the
audit trail and the review clock are real."""

from __future__ import annotations

from typing import Any

from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput
from incidents.services import incident_create, incident_dispatch
from risk import rules, services
from risk.inputs import AssessmentInput
from risk.models import Assessment


def _complete(assessment: Assessment, yes: int) -> AssessmentInput:
    questions = list(assessment.instrument.questions.order_by("order"))
    counting = [q.key for q in questions if q.counts and not q.standalone_high]
    yes_keys = set(counting[:yes])
    answers = {q.key: ("yes" if q.key in yes_keys else "no", "") for q in questions}
    return AssessmentInput.from_mapping(
        {
            "children_present": "no",
            "safety_plan": "Victim staying with family tonight; advised to call 999 at once if "
            "the suspect returns; IDVA referral made.",
            "safety_referral": True,
            "evidence_bwv": True,
            "officer_level": rules.suggested_level(yes),
        },
        answers=answers,
    )


CALLS = (
    # victim, suspect, address, yes answers, reviewed
    (("Nadia", "Farrow"), ("Liam", "Farrow"), ("7", "Orchard Close", "NR3 4JT"), 11, False),
    (("Grace", "Holloway"), ("Dean", "Mercer"), ("31", "Station Road", "NR2 3QP"), 15, True),
)


def _call(caller: Any, victim: tuple[str, str], suspect: tuple[str, str], address: Any) -> Any:
    house, street, postcode = address
    no: dict[str, Any] = dict.fromkeys(
        ("immediate_risk", "weapons", "children_present", "firearm_at_address",
         "victim_vulnerable"),
        False,
    )  # fmt: skip
    return incident_create(
        actor=caller,
        data=IncidentInput(
            location=AddressInput(house=house, street=street, town="Norwich", postcode=postcode),
            relationship="partner",
            checklist=Checklist(
                **no,
                injuries=True,
                happened_before=True,
                happened_before_details="Several times this year, not reported",
            ),
            category_code="B",
            people=(
                PersonInput(
                    role="victim",
                    given_name=victim[0],
                    family_name=victim[1],
                    lives_at_location=True,
                    is_caller=True,
                ),
                PersonInput(
                    role="suspect",
                    given_name=suspect[0],
                    family_name=suspect[1],
                    lives_at_location=True,
                ),
            ),  # fmt: skip
            narrative="Demo call for the DASH pages.",
        ),
    )


def seed_dash(*, officer: Any, sergeant: Any, dispatcher: Any) -> list[str]:
    """Returns what was made, for the command to print; nothing when a DASH exists already."""
    if Assessment.objects.exists():
        return []
    lines = []
    for victim, suspect, address, yes, review in CALLS:
        incident = _call(dispatcher, victim, suspect, address)
        incident = incident_dispatch(actor=dispatcher, incident=incident, officer=officer)
        assessment = services.assessment_start(actor=officer, incident=incident)
        assessment = services.assessment_submit(
            actor=officer, assessment=assessment, data=_complete(assessment, yes)
        )
        if review:
            services.assessment_review(actor=sergeant, assessment=assessment, decision="agree")
            lines.append(f"DASH reviewed (high, {yes} yes): {incident.reference}")
        else:
            lines.append(f"DASH awaiting the sergeant's review ({yes} yes): {incident.reference}")
    return lines

"""Demo DASHes for ``seed_demo``: one submitted and waiting in the sergeant's review queue, one
reviewed (high, visible high risk), both by the demo officer, on open incidents that are not part
of a demo story. Everything goes through the services, so the audit trail and the review clock
are real."""

from __future__ import annotations

from typing import Any

from incidents.choices import IncidentStatus, PersonRole
from incidents.models import Incident, PersonName
from incidents.services import incident_dispatch
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


def seed_dash(*, officer: Any, sergeant: Any, dispatcher: Any, story_names: Any) -> list[str]:
    """Returns what was made, for the command to print; nothing when a DASH exists already."""
    if Assessment.objects.exists():
        return []
    story_people = PersonName.objects.filter(
        is_primary=True,
        given_name__in=[g for g, _f in story_names],
        family_name__in=[f for _g, f in story_names],
    ).values("person_id")
    candidates = list(
        Incident.objects.filter(status=IncidentStatus.AWAITING, people__role=PersonRole.VICTIM)
        .exclude(people__person__in=story_people)
        .order_by("-received_at", "-pk")[:2]
    )
    if len(candidates) < 2:
        return []
    lines = []
    for incident, yes, review in ((candidates[0], 11, False), (candidates[1], 15, True)):
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

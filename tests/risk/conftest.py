"""Fixtures for the DASH tests: officers attached to incidents through the intake services, and
assessments started, saved, submitted and reviewed through the risk services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dapolice.accounts.choices import Role
from incidents import services as incident_services
from risk import selectors, services
from risk.inputs import AssessmentInput
from risk.models import Assessment, Instrument


@pytest.fixture
def officer(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ATTENDING_OFFICER)


@pytest.fixture
def supervisor(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def supervisor2(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def attach(call_taker: Any) -> Callable[..., Any]:
    """``attach(incident, officer)``: the control room dispatches ``officer`` to it."""

    def do(incident: Any, officer: Any, at: Any = None) -> Any:
        return incident_services.incident_dispatch(
            actor=call_taker, incident=incident, officer=officer, at=at
        )

    return do


@pytest.fixture
def attended(log_incident: Callable[..., Any], attach: Callable[..., Any], officer: Any) -> Any:
    """An incident the officer was dispatched to."""
    return attach(log_incident(), officer)


def dash_2009() -> Instrument:
    return Instrument.objects.get(code="dash-2009", version="2009.1")


def counting_keys(instrument: Instrument | None = None) -> list[str]:
    instrument = instrument or dash_2009()
    return list(
        instrument.questions.filter(counts=True).order_by("order").values_list("key", flat=True)
    )


#: Questions answered "yes" first by ``complete_input`` (none of them a stand-alone sign).
PLAIN_FIRST = [
    "injured", "isolated", "depressed", "separation", "child_contact", "pregnant",
    "other_children", "harmed_children", "threatened_children", "more_often", "getting_worse",
    "controlling", "weapons", "sexual_abuse", "other_person_feared", "hurt_others", "animals",
    "financial", "substances", "suicide_threat", "breached", "criminal_history", "fears",
]  # fmt: skip


def complete_input(
    yes: int | list[str] = 0,
    *,
    level: str | None = None,
    rationale: str = "",
    instrument: Instrument | None = None,
    supplements: bool = True,
    **overrides: Any,
) -> AssessmentInput:
    """A complete DASH: ``yes`` questions answered yes (a number: plain ones first), the others
    no (and every supplementary question no, unless ``supplements=False``); children, safety
    plan and level filled in (the suggested level unless ``level``)."""
    from risk import rules

    keys = counting_keys(instrument)
    if isinstance(yes, int):
        order = [k for k in PLAIN_FIRST if k in keys] + [k for k in keys if k not in PLAIN_FIRST]
        yes_keys = set(order[:yes])
    else:
        yes_keys = set(yes)
    answers = {k: ("yes" if k in yes_keys else "no", "") for k in keys}
    if supplements:
        extra = (instrument or dash_2009()).questions.filter(counts=False)
        answers |= {k: ("no", "") for k in extra.values_list("key", flat=True)}
    score = sum(1 for k in keys if k in yes_keys)
    values: dict[str, Any] = {
        "children_present": "no",
        "safety_plan": "Victim to stay with her sister tonight; 999 if he returns.",
        "officer_level": level or rules.suggested_level(score),
        "officer_rationale": rationale,
    }
    values.update(overrides)
    return AssessmentInput.from_mapping(values, answers=answers)


@pytest.fixture
def start(attended: Any, officer: Any) -> Callable[..., Assessment]:
    def do(incident: Any = None, actor: Any = None, **kw: Any) -> Assessment:
        return services.assessment_start(
            actor=actor or officer, incident=incident or attended, **kw
        )

    return do


@pytest.fixture
def submitted(start: Callable[..., Assessment], officer: Any) -> Callable[..., Assessment]:
    """``submitted(yes=15, level=None, actor=officer, incident=None)``: a submitted DASH."""

    def do(yes: int | list[str] = 0, *, actor: Any = None, incident: Any = None, **kw: Any) -> Any:
        actor = actor or officer
        assessment = start(incident=incident, actor=actor)
        return services.assessment_submit(
            actor=actor, assessment=assessment, data=complete_input(yes, **kw)
        )

    return do


def view_of(assessment: Assessment) -> Any:
    return selectors.assessment_view(Assessment.objects.get(pk=assessment.pk))

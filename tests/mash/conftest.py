"""Fixtures for the MASH tests: DASHes completed and reviewed through the risk services (the
MASH case then opens through the real signal, on commit), MASH staff, a duty rota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from dapolice.accounts.choices import Role
from dapolice.audit.services import configuration_save
from incidents import services as incident_services
from mash.models import DutyRota, MashCase
from risk import services as risk_services
from tests.risk.conftest import complete_input

#: "yes" answers giving each level with the default bands.
YES = {"high": 15, "medium": 11, "standard": 3}


@pytest.fixture
def officer(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.ATTENDING_OFFICER)


@pytest.fixture
def supervisor(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def mash_officer(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.MASH)


@pytest.fixture
def mash_officer2(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.MASH)


@pytest.fixture
def review(
    log_incident: Callable[..., Any],
    call_taker: Any,
    officer: Any,
    supervisor: Any,
    django_capture_on_commit_callbacks: Any,
) -> Callable[..., Any]:
    """``review(level="medium", children=False, victim=None, incident_kw=...)``: a DASH for a
    new incident, submitted by ``officer`` and agreed by ``supervisor``; the on-commit signal
    runs, so the MASH decides. Returns the assessment."""

    def do(level: str = "medium", *, children: bool = False, victim: Any = None, **kw: Any) -> Any:
        incident = incident_services.incident_dispatch(
            actor=call_taker, incident=log_incident(victim=victim, **kw), officer=officer
        )
        # The officer is with the victim for the DASH: arrived, so the attendance clock stops
        # (its alerts would otherwise join the MASH clocks' in these tests).
        incident = incident_services.incident_record_arrival(actor=officer, incident=incident)
        assessment = risk_services.assessment_start(actor=officer, incident=incident)
        extra = {"children_present": "yes", "children_details": "Sam, 7, Park School"}
        risk_services.assessment_submit(
            actor=officer,
            assessment=assessment,
            data=complete_input(YES[level], **(extra if children else {})),
        )
        with django_capture_on_commit_callbacks(execute=True):
            return risk_services.assessment_review(
                actor=supervisor, assessment=assessment, decision="agree"
            )

    return do


@pytest.fixture
def case(review: Callable[..., Any]) -> Callable[..., MashCase]:
    """``case(level="medium", **kw)``: the MASH case of a freshly reviewed DASH."""

    def do(level: str = "medium", **kw: Any) -> MashCase:
        assessment = review(level, **kw)
        return MashCase.objects.get(assessment=assessment)

    return do


@pytest.fixture
def rota(system: Any) -> Callable[..., DutyRota]:
    """``rota(user, duty, starts_at, ends_at)``: a shift, saved as the admin saves it."""

    def do(user: Any, duty: str, starts_at: datetime, ends_at: datetime) -> DutyRota:
        shift = DutyRota(duty=duty, user=user, starts_at=starts_at, ends_at=ends_at)
        configuration_save(
            actor=system, obj=shift, fields=["duty", "user", "starts_at", "ends_at"], created=True
        )
        return shift

    return do

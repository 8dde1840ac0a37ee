"""Fixtures for the MARAC tests: a coordinator, partners of housing and health, victims made
through call intake, referrals and meetings made through the MARAC services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dapolice.accounts.choices import Role
from marac import services
from marac.inputs import ActionInput, Household
from marac.models import Action, MaracCase, Meeting
from tests.incidents.helpers import victim_of


@pytest.fixture
def coordinator(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.MARAC_COORDINATOR)


@pytest.fixture
def housing_user(make_user: Callable[..., Any], agency_housing: Any) -> Any:
    return make_user(Role.PARTNER, agency=agency_housing)


@pytest.fixture
def health_user(make_user: Callable[..., Any], agency_health: Any) -> Any:
    return make_user(Role.PARTNER, agency=agency_health)


@pytest.fixture
def victim(log_incident: Callable[..., Any]) -> Callable[..., Any]:
    """``victim(**log_incident kw)``: the victim of a newly logged incident."""

    def make(**kw: Any) -> Any:
        return victim_of(log_incident(**kw))

    return make


@pytest.fixture
def refer(coordinator: Any, victim: Callable[..., Any]) -> Callable[..., MaracCase]:
    """``refer(person=None, actor=coordinator, **case_refer kw)``: a referral onto the list."""

    def make(person: Any = None, *, actor: Any = None, **kw: Any) -> MaracCase:
        kw.setdefault("criteria", ["visible_high"])
        kw.setdefault("reason", "Fifteen yes answers on the DASH.")
        kw.setdefault("household", Household(children_count=2))
        return services.case_refer(actor=actor or coordinator, victim=person or victim(), **kw)

    return make


@pytest.fixture
def meeting(coordinator: Any, agency_housing: Any, agency_health: Any) -> Callable[..., Meeting]:
    """``meeting(days=14, invited=[housing, health])``: one scheduled meeting."""

    def make(days: int = 14, invited: Any = None, **kw: Any) -> Meeting:
        first = timezone.now() + timedelta(days=days)
        agencies = [agency_housing, agency_health] if invited is None else invited
        return services.meeting_schedule(actor=coordinator, first_at=first, invited=agencies, **kw)[
            0
        ]

    return make


@pytest.fixture
def listed(refer: Callable[..., MaracCase], meeting: Callable[..., Meeting], coordinator: Any):
    """A case referred now and listed on a meeting in 14 days (cut-off in 7)."""

    def make(**kw: Any) -> MaracCase:
        case = refer(**kw)
        m = meeting()
        services.agenda_build(actor=coordinator, meeting=m)
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def add_action(coordinator: Any) -> Callable[..., Action]:
    def make(case: MaracCase, agency: Any, *, due_on: date | None = None, **kw: Any) -> Action:
        data = ActionInput(
            agency_id=agency.pk,
            description=kw.pop("description", "Fit extra locks at the home"),
            done_means=kw.pop("done_means", "Locks fitted and the victim has the keys"),
            due_on=due_on or timezone.localdate() + timedelta(days=10),
            owner_name=kw.pop("owner_name", "A. Officer"),
        )
        return services.action_add(actor=coordinator, case=case, data=data)

    return make


# The MASH's fixtures (a DASH reviewed through risk's services, its MASH case opened on commit).
from tests.mash.conftest import case as mash_case  # noqa: E402, F401
from tests.mash.conftest import mash_officer, officer, review, supervisor  # noqa: E402, F401

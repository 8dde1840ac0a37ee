"""MARAC referral criteria for a reviewed DASH: all four, with their 12-month edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from risk import services, signals
from tests.incidents.helpers import victim_of
from tests.risk.conftest import complete_input

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _criteria(assessment) -> dict[str, tuple[bool, str]]:
    return {c["code"]: (c["met"], c["reason"]) for c in assessment.marac_criteria}


@pytest.fixture
def reviewed(log_incident, attach, officer, supervisor):
    """``reviewed(yes, level=None, victim=None, received_at=NOW, rationale=...)``: a DASH
    submitted for a new incident of ``victim`` and agreed by a supervisor, all at ``NOW``."""

    def do(yes=0, *, level=None, victim=None, received_at=NOW, rationale=""):
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            incident = attach(log_incident(victim=victim, received_at=received_at), officer)
            assessment = services.assessment_start(actor=officer, incident=incident)
            services.assessment_submit(
                actor=officer,
                assessment=assessment,
                data=complete_input(yes, level=level, rationale=rationale),
            )
            return services.assessment_review(
                actor=supervisor, assessment=assessment, decision="agree"
            )

    return do


@pytest.mark.parametrize(("yes", "met"), [(13, False), (14, True), (15, True)])
def test_visible_high_risk_at_14_yes(reviewed, yes, met):
    criteria = _criteria(reviewed(yes, level="high", rationale="judgement" if yes < 14 else ""))
    assert criteria["visible_high"][0] is met
    assert f"{yes} " in criteria["visible_high"][1]


def test_professional_judgement_is_high_below_visible_high(reviewed):
    criteria = _criteria(reviewed(8, level="high", rationale="Strangled her last week"))
    assert criteria["professional_judgement"][0] is True
    assert "professional judgement" in criteria["professional_judgement"][1]
    assert criteria["visible_high"][0] is False
    visible = _criteria(reviewed(16))
    assert visible["professional_judgement"][0] is False  # high because of the count
    medium = _criteria(reviewed(11))
    assert medium["professional_judgement"][0] is False


def _earlier(log_incident, victim, *moments):
    for moment in moments:
        log_incident(victim=victim, received_at=moment)


def test_potential_escalation_three_incidents_in_twelve_months_edges(log_incident, reviewed):
    with time_machine.travel(NOW - timedelta(days=500), tick=False):
        victim = victim_of(log_incident())  # long ago: never counts
    twelve_months = datetime(2025, 11, 23, 14, 0, tzinfo=UTC)
    with time_machine.travel(NOW, tick=False):
        # Exactly 12 months before the assessed incident: inside the window.
        _earlier(log_incident, victim, twelve_months, NOW - timedelta(days=30))
    criteria = _criteria(reviewed(2, victim=victim))
    assert criteria["potential_escalation"][0] is True
    assert criteria["potential_escalation"][1].startswith("3 DA incidents")


def test_potential_escalation_not_met_one_second_outside_the_window(log_incident, reviewed):
    with time_machine.travel(NOW, tick=False):
        victim = victim_of(log_incident(received_at=NOW - timedelta(days=30)))
        _earlier(log_incident, victim, datetime(2025, 11, 23, 13, 59, 59, tzinfo=UTC))
    criteria = _criteria(reviewed(2, victim=victim))
    assert criteria["potential_escalation"][0] is False
    assert criteria["potential_escalation"][1].startswith("2 DA incidents")


def test_potential_escalation_thresholds_are_settings(log_incident, reviewed, settings):
    settings.DAPOLICE_MARAC_ESCALATION_INCIDENTS = 2
    settings.DAPOLICE_MARAC_ESCALATION_MONTHS = 6
    with time_machine.travel(NOW, tick=False):
        victim = victim_of(log_incident(received_at=NOW - timedelta(days=200)))
    assert _criteria(reviewed(2, victim=victim))["potential_escalation"][0] is False
    with time_machine.travel(NOW, tick=False):
        _earlier(log_incident, victim, NOW - timedelta(days=100))
    assert _criteria(reviewed(2, victim=victim))["potential_escalation"][0] is True


@pytest.fixture
def referral_on_record():
    """Register a MARAC-referral provider (as marac will) answering one date for everyone."""
    holder: dict[str, datetime | None] = {"at": None}

    def provider(person_id: int, at: datetime) -> datetime | None:
        return holder["at"]

    signals.marac_referral_provider(provider)
    yield holder
    signals.marac_referral_provider_remove(provider)


def test_repeat_marac_without_any_provider_says_no_referral_on_record(reviewed):
    criteria = _criteria(reviewed(3))
    assert criteria["repeat_marac"] == (False, "No MARAC referral on record for this victim.")


@pytest.mark.parametrize(
    ("referred", "met"),
    [
        (datetime(2025, 11, 23, 14, 0, tzinfo=UTC), True),  # exactly 12 months before
        (datetime(2025, 11, 23, 13, 59, 59, tzinfo=UTC), False),  # a second more: new referral
        (datetime(2026, 6, 1, 9, 0, tzinfo=UTC), True),
    ],
)
def test_repeat_marac_within_twelve_months_of_the_last_referral(
    reviewed, referral_on_record, referred, met
):
    referral_on_record["at"] = referred
    met_now, reason = _criteria(reviewed(3))["repeat_marac"]
    assert met_now is met
    assert "Last MARAC referral on" in reason
    assert ("new referral" in reason) is (not met)


def test_a_referral_after_the_incident_is_not_counted(reviewed, referral_on_record):
    referral_on_record["at"] = NOW + timedelta(days=1)
    assert _criteria(reviewed(3))["repeat_marac"][0] is False


def test_criteria_show_on_the_reviewed_dash_page(reviewed, client_for, supervisor):
    assessment = reviewed(15)
    html = client_for(supervisor).get(f"/risk/{assessment.pk}/").content.decode()
    assert 'data-criterion="visible_high" data-met="yes"' in html
    assert 'data-criterion="potential_escalation" data-met="no"' in html

"""The re-assessment after the MARAC's actions (issue 12, HMIC recommendation 10): once every
action is reported back on, the coordinator asks for the victim's risk to be re-assessed; the
victim's officer (else their SPOC, else the MASH) is alerted, starts a DASH through ``risk``'s
services and a supervisor reviews it; the case links it and the coordinator is told; closing
compares the level before the meeting with the level after the actions, and an outcome other
than what they say needs a reason. The pages and the API re-render or refuse with the reason."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_fire_due
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.models import Incident
from marac import selectors, services
from marac.choices import (
    REASSESS_CHASE_DEADLINE,
    REASSESS_REQUEST_DEADLINE,
    REASSESSED_DEADLINE,
    CaseStatus,
)
from mash import services as mash_services
from mash.inputs import ContactPlanInput
from risk import services as risk_services
from tests.mash.conftest import YES
from tests.risk.conftest import complete_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(listed, add_action, agency_housing, housing_user, review):
    """``reported(before="medium")``: a discussed case whose victim had a DASH of ``before``
    reviewed before the meeting (None: none), its one action reported done; the clock is then
    an hour after the meeting."""

    def make(before: str | None = "high", **kw):
        case = listed(**kw)
        if before:
            review(before, victim=case.victim)
        action = add_action(case, agency_housing)
        services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def after_meeting():
    """``after_meeting(case, hours=1)``: a frozen clock that long after the case's meeting."""

    def travel(case, hours: float = 1):
        return time_machine.travel(case.meeting.held_at + timedelta(hours=hours), tick=False)

    return travel


def _reassess(officer, supervisor, incident_id, level, django_capture_on_commit_callbacks):
    """The officer asked re-assesses through risk's services; a supervisor agrees."""
    incident = Incident.objects.get(pk=incident_id)
    dash = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(actor=officer, assessment=dash, data=complete_input(YES[level]))
    with django_capture_on_commit_callbacks(execute=True):
        return risk_services.assessment_review(actor=supervisor, assessment=dash, decision="agree")


def test_the_full_flow_ask_alert_reassess_link_and_close_as_reduced(
    reported, after_meeting, coordinator, officer, supervisor, django_capture_on_commit_callbacks
):
    case = reported("high")
    with after_meeting(case):
        asked = services.case_request_reassessment(actor=coordinator, case=case)
        # The officer who wrote the victim's DASH is asked (risk lets only them start one).
        assert asked.reassessment_requested_from_id == officer.pk
        assert asked.reassessment_requested_by_id == coordinator.pk
        deadlines_fire_due()
        alert = Alert.objects.get(kind=REASSESS_REQUEST_DEADLINE)
        assert alert.recipient_id == officer.pk
        incident_id = selectors.reassessor_of(case).incident_id
        assert alert.link == reverse("risk:dash-start", args=[incident_id])
        assert str(case.victim) not in alert.title  # ids and references only
    with after_meeting(case, hours=48):
        dash = _reassess(
            officer, supervisor, incident_id, "medium", django_capture_on_commit_callbacks
        )
        case.refresh_from_db()
        assert case.reassessment_id == dash.pk  # linked when the DASH was reviewed
        assert AuditEvent.objects.filter(action="marac.case.reassessed", subject_id=str(case.pk))
        deadlines_fire_due()
        told = Alert.objects.get(kind=REASSESSED_DEADLINE)
        assert told.recipient_role == "marac_coordinator"
        detail = selectors.case_detail(user=coordinator, case=case)
        assert (detail.level_before, detail.level_after, detail.levels_say) == (
            "high",
            "medium",
            "reduced",
        )
        closed = services.case_close(
            actor=coordinator, case=case, level_after="medium", outcome="reduced"
        )
    assert (closed.status, closed.level_before, closed.level_after, closed.outcome) == (
        CaseStatus.CLOSED,
        "high",
        "medium",
        "reduced",
    )
    assert closed.reassessment_id == dash.pk
    # The chase never fires: the DASH came.
    chase = Deadline.objects.get(kind=REASSESS_CHASE_DEADLINE, subject_id=str(case.pk))
    assert chase.cancelled_at is not None
    assert chase.fired_at is None


def test_asking_is_refused_while_an_action_is_unreported(
    listed, add_action, agency_housing, coordinator
):
    case = listed()
    add_action(case, agency_housing)
    with pytest.raises(DomainError) as exc:
        services.case_request_reassessment(actor=coordinator, case=case)
    assert exc.value.code == "unreported_actions"
    case.refresh_from_db()
    assert case.reassessment_requested_at is None
    assert not Deadline.objects.filter(kind=REASSESS_REQUEST_DEADLINE).exists()


def test_asking_needs_a_discussed_case_not_a_closed_one(refer, reported, coordinator):
    with pytest.raises(DomainError):
        services.case_request_reassessment(actor=coordinator, case=refer())
    case = reported(None)
    services.case_close(actor=coordinator, case=case, level_after="medium", outcome="unknown")
    with pytest.raises(Conflict):
        services.case_request_reassessment(actor=coordinator, case=case)


def test_asking_twice_while_waiting_is_a_conflict_and_again_once_it_came_asks_anew(
    reported, after_meeting, coordinator, officer, supervisor, django_capture_on_commit_callbacks
):
    case = reported("high")
    with after_meeting(case):
        services.case_request_reassessment(actor=coordinator, case=case)
        with pytest.raises(Conflict) as exc:
            services.case_request_reassessment(actor=coordinator, case=case)
        assert exc.value.code == "reassessment_requested"
    with after_meeting(case, hours=24):
        incident_id = selectors.reassessor_of(case).incident_id
        _reassess(officer, supervisor, incident_id, "medium", django_capture_on_commit_callbacks)
    with after_meeting(case, hours=48):
        again = services.case_request_reassessment(actor=coordinator, case=case)
        # The first DASH is older than the new request: no longer the re-assessment.
        assert again.reassessment_id is None
        assert selectors.reassessment_after(again) is None


def test_a_dash_reviewed_before_the_request_is_not_linked_and_one_without_a_request_neither(
    reported, after_meeting, coordinator, officer, supervisor, review,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    case = reported("high")
    with after_meeting(case):
        incident_id = selectors.reassessor_of(case).incident_id
        _reassess(officer, supervisor, incident_id, "medium", django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.reassessment_id is None  # nobody asked: nothing linked (closing still finds it)
    with after_meeting(case, hours=2):
        services.case_request_reassessment(actor=coordinator, case=case)
    case.refresh_from_db()
    assert case.reassessment_id is None
    assert selectors.reassessment_after(case) is None


def test_the_coordinator_is_told_when_the_reassessment_has_not_come(
    reported, after_meeting, coordinator, settings
):
    settings.DAPOLICE_MARAC_REASSESS_DAYS = 10
    case = reported("high")
    with after_meeting(case):
        services.case_request_reassessment(actor=coordinator, case=case)
    chase_at = case.meeting.held_at + timedelta(hours=1, days=10)
    deadlines_fire_due(now=chase_at - timedelta(seconds=1))
    assert not Alert.objects.filter(kind=REASSESS_CHASE_DEADLINE).exists()
    deadlines_fire_due(now=chase_at)
    chased = Alert.objects.get(kind=REASSESS_CHASE_DEADLINE)
    assert chased.recipient_role == "marac_coordinator"
    assert chased.link == reverse("marac:case-detail", args=[case.pk])


def test_without_an_officer_the_spoc_is_asked_and_without_either_the_mash(
    reported, after_meeting, coordinator, mash_officer
):
    case = reported(None)
    with after_meeting(case):
        services.case_request_reassessment(actor=coordinator, case=case)
        deadlines_fire_due()
    alert = Alert.objects.get(kind=REASSESS_REQUEST_DEADLINE)
    assert (alert.recipient_id, alert.recipient_role) == (None, "mash")
    assert "no officer or SPOC" in alert.title

    other = reported(None)
    mash_services.contact_plan_save(
        actor=mash_officer, person=other.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    with after_meeting(other):
        asked = services.case_request_reassessment(actor=coordinator, case=other)
    assert asked.reassessment_requested_from_id == mash_officer.pk


def test_an_outcome_other_than_the_levels_say_needs_a_reason(reported, after_meeting, coordinator):
    case = reported("high")
    with after_meeting(case):
        with pytest.raises(DomainError) as exc:
            services.case_close(actor=coordinator, case=case, level_after="high", outcome="reduced")
        assert exc.value.field == "note"
        assert "no change" in exc.value.message
        closed = services.case_close(
            actor=coordinator,
            case=case,
            level_after="high",
            outcome="reduced",
            note="Moved to a refuge out of area; the DASH answers still describe the past.",
        )
    assert (closed.level_before, closed.outcome) == ("high", "reduced")


def test_without_a_level_before_any_outcome_is_taken(reported, after_meeting, coordinator):
    case = reported(None)
    with after_meeting(case):
        closed = services.case_close(
            actor=coordinator, case=case, level_after="high", outcome="reduced"
        )
    assert (closed.level_before, closed.outcome) == ("", "reduced")


# --- The pages and the API -----------------------------------------------------------------------


def test_the_page_shows_the_levels_and_asks(reported, after_meeting, client, coordinator):
    case = reported("high")
    url = reverse("marac:case-detail", args=[case.pk])
    with after_meeting(case):
        client.force_login(coordinator)  # signed in after the meeting (idle timeout)
        page = client.get(url).content.decode()
        assert 'data-testid="reassess-form"' in page
        assert "Not yet asked for." in page
        response = client.post(reverse("marac:case-reassess", args=[case.pk]))
        assert response.status_code == 302
        page = client.get(url).content.decode()
    assert "no DASH reviewed since" in page
    assert 'data-testid="reassess-form"' not in page  # waiting: nothing to ask again


def test_the_page_refuses_with_the_reason_while_an_action_is_open(
    listed, add_action, agency_housing, client, coordinator
):
    case = listed()
    add_action(case, agency_housing)
    client.force_login(coordinator)
    response = client.post(reverse("marac:case-reassess", args=[case.pk]))
    assert response.status_code == 400
    assert "not yet reported back on" in response.content.decode()


def test_the_close_form_re_renders_asking_for_a_reason(
    reported, after_meeting, client, coordinator
):
    case = reported("high")
    with after_meeting(case):
        client.force_login(coordinator)
        response = client.post(
            reverse("marac:case-close", args=[case.pk]),
            {"level_after": "high", "outcome": "reduced", "note": ""},
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "say why the outcome is different" in page
    for typed in ('value="reduced"', 'value="high"'):  # what was typed is kept
        assert re.search(rf"<input[^>]*{typed}[^>]*checked", page) is not None
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCUSSED


def test_the_api_asks_and_answers_the_conflict(reported, after_meeting, client, coordinator):
    case = reported("high")
    url = reverse("api-marac-reassess", args=[case.pk])
    with after_meeting(case):
        client.force_login(coordinator)
        first = client.post(url)
        again = client.post(url)
    assert first.status_code == 200
    assert first.json()["reassessment_requested_at"] is not None
    assert again.status_code == 409

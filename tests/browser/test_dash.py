"""The DASH in a real browser (issue 10, "Done when"): an officer completes and submits a DASH
with 15 "yes" answers; their own account cannot review it; a different supervisor agrees it; the
visible-high-risk and potential-escalation criteria show with their reasons."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dapolice.accounts.choices import Role
from incidents import services as incident_services
from risk.models import Assessment
from tests.browser.conftest import BROWSER_DB
from tests.incidents.helpers import victim_of
from tests.risk.conftest import PLAIN_FIRST

pytestmark = [pytest.mark.browser, BROWSER_DB]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dash_{name}.png"), full_page=True)


def answer(page, key: str, value: str) -> None:
    page.locator(f"input[name='q_{key}'][value='{value}']").check()


def test_officer_submits_a_high_risk_dash_and_another_supervisor_agrees_it(
    page, live_server, login, assert_accessible, make_user, call_taker, log_incident
):
    # An acting sergeant attends: they hold the supervisor role, so only the rule stops them
    # reviewing their own DASH.
    author = make_user(Role.ATTENDING_OFFICER, Role.SUPERVISOR)
    reviewer = make_user(Role.SUPERVISOR)
    now = timezone.now()
    first = log_incident(received_at=now - timedelta(days=200))
    victim = victim_of(first)
    log_incident(victim=victim, received_at=now - timedelta(days=40))
    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(victim=victim), officer=author
    )

    login(page, live_server, author)
    page.goto("/risk/")
    page.get_by_role("link", name=f"Start the DASH for {incident.reference}").click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r".*/risk/\d+/edit/$"))
    assessment = Assessment.objects.get(incident=incident)
    assert (
        "Police DASH risk checklist (2009)" in page.locator("[data-testid=instrument]").inner_text()
    )

    # Two earlier incidents: the stalking supplement is open from the start.
    assert page.locator("[data-testid=supplement-stalking]").is_visible()
    assert not page.locator("[data-testid=supplement-honour]").is_visible()
    keys = assessment.instrument.questions.filter(counts=True).values_list("key", flat=True)
    yes = set(PLAIN_FIRST[:15])
    for key in keys:
        answer(page, key, "yes" if key in yes else "no")
    for key in assessment.instrument.questions.filter(section__supplement="stalking").values_list(
        "key", flat=True
    ):
        answer(page, key, "no")
    score = page.locator("[data-dash-score]")
    assert score.inner_text() == "15"
    assert page.locator("[data-dash-suggested]").inner_text() == "High"
    assert page.locator("[data-dash-visible-high]").is_visible()
    page.locator("input[name='children_present'][value='no']").check()
    page.locator("#id_safety_plan").fill(
        "Staying with her sister; alarm fitted; 999 if he returns."
    )
    page.locator("#id_evidence_bwv").check()
    page.locator("input[name='officer_level'][value='high']").check()
    page.locator("[data-dash-status]").filter(has_text="Draft saved").wait_for()  # autosave
    assert_accessible(page)
    shot(page, "1_edit")
    page.get_by_role("button", name="Submit for supervisor review").click()
    page.wait_for_url(re.compile(rf".*/risk/{assessment.pk}/$"))
    assert "Submitted" in page.locator("[data-testid=status]").inner_text()
    assert "15" in page.locator("[data-testid=score]").inner_text()
    assert page.locator("[data-testid=own-note]").is_visible()
    assert page.get_by_role("link", name="Review this DASH").count() == 0
    assert_accessible(page)

    # The author's own account cannot review it, even by going to the page.
    page.goto("/risk/queue/")
    row = page.locator(f"tr[data-assessment='{assessment.pk}']")
    assert "yours: another supervisor reviews it" in row.inner_text()
    page.goto(f"/risk/{assessment.pk}/review/")
    assert "another supervisor must review it" in page.locator("[data-testid=error]").inner_text()
    assert page.locator("[data-testid=review-form]").count() == 0
    shot(page, "2_own_refused")

    page.context.clear_cookies()
    login(page, live_server, reviewer)
    page.goto("/risk/queue/")
    row = page.locator(f"tr[data-assessment='{assessment.pk}']")
    assert "High" in row.inner_text()
    assert_accessible(page)
    row.get_by_role("link", name=f"Review {incident.reference}").click()
    page.wait_for_url(re.compile(rf".*/risk/{assessment.pk}/review/$"))
    assert_accessible(page)
    page.get_by_label("Agree the level").check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(rf".*/risk/{assessment.pk}/$"))
    assert "High" in page.locator("[data-testid=final-level]").inner_text()
    visible = page.locator("[data-criterion=visible_high]")
    assert visible.get_attribute("data-met") == "yes"
    assert "15 “yes” answers: at or above the 14 of visible high risk." in visible.inner_text()
    escalation = page.locator("[data-criterion=potential_escalation]")
    assert escalation.get_attribute("data-met") == "yes"
    assert "3 DA incidents with this victim in the 12 months" in escalation.inner_text()
    assert page.locator("[data-criterion=repeat_marac]").get_attribute("data-met") == "no"
    assert_accessible(page)
    shot(page, "3_reviewed")

    page.goto(f"/risk/victims/{victim.pk}/history/")
    assert page.locator("[data-testid=chart] circle").count() == 1
    assert reviewer.get_full_name() in page.locator("[data-testid=history]").inner_text()
    assert_accessible(page)
    shot(page, "4_history")


def test_a_refused_submit_lists_what_is_missing_and_keeps_what_was_typed(
    page, live_server, login, assert_accessible, make_user, call_taker, log_incident
):
    officer = make_user(Role.ATTENDING_OFFICER)
    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(), officer=officer
    )
    login(page, live_server, officer)
    page.goto(f"/risk/incidents/{incident.pk}/start/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r".*/risk/\d+/edit/$"))
    answer(page, "injured", "yes")
    page.locator("#id_n_injured").fill("Cut lip")
    answer(page, "frightened", "yes")  # opens the stalking supplement at once
    assert page.locator("[data-testid=supplement-stalking]").is_visible()
    page.get_by_role("button", name="Submit for supervisor review").click()
    summary = page.locator("[data-testid=error-summary]")
    summary.wait_for()
    assert "This DASH cannot be submitted yet" in summary.inner_text()
    assert page.locator("#id_n_injured").input_value() == "Cut lip"
    assert page.locator("input[name='q_injured'][value='yes']").is_checked()
    summary.get_by_role("link").first.click()
    # The link takes the officer to the first unanswered question (GOV.UK moves the focus).
    assert page.evaluate("document.activeElement.id") == "id_q_fears_1"
    assert_accessible(page)
    shot(page, "5_missing")

"""The MASH in a real browser (issue 11, "Done when"): a medium-risk DASH reviewed by a
supervisor appears in the MASH queue; a MASH officer claims it with "Next case", records a
secondary assessment raising it to high, makes IDVA and MARAC referrals, accepts ownership; the
ledger shows the handover from the attending officer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency
from incidents import services as incident_services
from mash.models import MashCase, Referral
from risk import services as risk_services
from tests.browser.conftest import BROWSER_DB
from tests.risk.conftest import complete_input

pytestmark = [pytest.mark.browser, BROWSER_DB]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"mash_{name}.png"), full_page=True)


def test_medium_dash_reviewed_then_claimed_assessed_referred_and_owned_by_the_mash(
    page, live_server, login, assert_accessible, make_user, call_taker, log_incident
):
    officer = make_user(Role.ATTENDING_OFFICER)
    sergeant = make_user(Role.SUPERVISOR)
    mash = make_user(Role.MASH)
    Agency.objects.create(name="Demo IDVA Service", code="idva", kind="idva")
    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(), officer=officer
    )
    assessment = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(actor=officer, assessment=assessment, data=complete_input(11))

    # The supervisor agrees the medium level on the page: the DASH goes to the MASH.
    login(page, live_server, sergeant)
    page.goto(f"/risk/{assessment.pk}/review/")
    page.get_by_label("Agree the level").check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(rf".*/risk/{assessment.pk}/$"))
    case = MashCase.objects.get(assessment=assessment)
    assert case.level == "medium"

    page.context.clear_cookies()
    login(page, live_server, mash)
    page.goto("/mash/")
    row = page.locator(f"tr[data-case='{case.pk}']")
    assert incident.reference in row.inner_text()
    assert row.locator("[data-testid=why]").inner_text() == "Medium"
    assert "Waiting" in row.inner_text()
    assert_accessible(page)
    shot(page, "1_queue")

    page.get_by_role("button", name="Next case").click()
    page.wait_for_url(re.compile(rf".*/mash/cases/{case.pk}/$"))
    assert "claimed by" in page.locator("[data-testid=status]").inner_text()
    assert str(officer) in page.locator("[data-testid=owner]").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Record the secondary assessment").click()
    page.locator("input[name='final_level'][value='high']").check()
    page.get_by_label("Secondary assessment", exact=True).fill(
        "Health records show strangulation last month; escalating."
    )
    page.get_by_role("button", name="Record the secondary assessment").click()
    # Refused without a reason, with what was typed kept.
    assert "Give the reason" in page.locator("[data-testid=error-summary]").inner_text()
    assert "strangulation" in page.get_by_label("Secondary assessment", exact=True).input_value()
    assert_accessible(page)
    page.get_by_label("Reason for the level").fill("Non-fatal strangulation disclosed to health")
    page.get_by_role("button", name="Record the secondary assessment").click()
    page.wait_for_url(re.compile(rf".*/mash/cases/{case.pk}/$"))
    assert "High" in page.locator("[data-testid=final-level]").inner_text()
    shot(page, "2_assessed")

    for kind, agency in (("IDVA", "Demo IDVA Service"), ("MARAC", None)):
        page.get_by_role("link", name="Make a referral").click()
        page.get_by_label(kind, exact=True).check()
        if agency:
            page.get_by_label("Agency").select_option(label=agency)
        assert_accessible(page)
        page.get_by_role("button", name="Make the referral").click()
        page.wait_for_url(re.compile(rf".*/mash/cases/{case.pk}/$"))
    referrals = page.locator("[data-testid=referrals]").inner_text()
    assert "IDVA" in referrals
    assert "MARAC" in referrals
    assert set(Referral.objects.filter(case=case).values_list("kind", flat=True)) == {
        "idva",
        "marac",
    }
    idva_rate = page.locator("[data-testid=idva-rate]").first.inner_text()
    assert "0 of 1 supported" in idva_rate
    assert "95%" in idva_rate

    page.get_by_role("button", name="Accept ownership").click()
    page.wait_for_url(re.compile(rf".*/mash/cases/{case.pk}/$"))
    assert str(mash) in page.locator("[data-testid=owner]").inner_text()
    ledger = page.locator("[data-testid=ledger] tbody tr")
    assert ledger.count() == 2
    first, second = ledger.nth(0).inner_text(), ledger.nth(1).inner_text()
    assert str(officer) in first
    assert "Attending officer" in first
    assert str(mash) in second
    assert "Handover accepted" in second
    assert f"offered by {officer}" in second
    assert_accessible(page)
    shot(page, "3_owned")
    case.refresh_from_db()
    assert (case.owner_id, case.final_level, case.incident.risk_level) == (mash.pk, "high", "high")

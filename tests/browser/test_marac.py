"""The MARAC in a real browser (issue 12, "Done when"): a coordinator schedules a meeting, a
referred case lands on its agenda, the PDF agenda downloads, actions are assigned to housing and
health; a housing user signs in, sees only that case and only housing's action, reports it done;
the coordinator sees the completion."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dapolice.accounts.choices import Role
from marac import services
from marac.inputs import Household
from marac.models import Action, Meeting
from tests.browser.conftest import BROWSER_DB
from tests.incidents.helpers import victim_of

pytestmark = [pytest.mark.browser, BROWSER_DB]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"marac_{name}.png"), full_page=True)


def test_meeting_agenda_pdf_actions_and_partner_report_back(
    page, live_server, login, assert_accessible, make_user, log_incident, agency_housing,
    agency_health,
):  # fmt: skip
    coordinator = make_user(Role.MARAC_COORDINATOR)
    housing = make_user(Role.PARTNER, agency=agency_housing)
    victim = victim_of(log_incident(victim={"given_name": "Rosa", "family_name": "Reed"}))
    other_victim = victim_of(log_incident(victim={"given_name": "Ann", "family_name": "Other"}))
    # Another case, listed at a meeting housing is not invited to: housing must never see it.
    other = services.case_refer(
        actor=coordinator, victim=other_victim, criteria=["visible_high"], reason="x"
    )
    health_only = services.meeting_schedule(
        actor=coordinator, first_at=timezone.now() + timedelta(days=9), invited=[agency_health]
    )[0]
    services.agenda_build(actor=coordinator, meeting=health_only)
    case = services.case_refer(
        actor=coordinator,
        victim=victim,
        criteria=["visible_high"],
        reason="Fifteen yes answers",
        household=Household(children_count=2),
    )

    # The coordinator schedules a meeting ten days ahead (cut-off three days ahead).
    login(page, live_server, coordinator)
    page.goto("/marac/meetings/")
    held = timezone.localtime(timezone.now() + timedelta(days=10)).replace(hour=10, minute=0)
    # The GOV.UK date input (day, month, year) and a 24-hour time.
    meeting_date = page.get_by_role("group", name=re.compile(r"Date of the \(first\) meeting"))
    meeting_date.get_by_label("Day").fill(str(held.day))
    meeting_date.get_by_label("Month").fill(str(held.month))
    meeting_date.get_by_label("Year").fill(str(held.year))
    page.locator("[name=first_at_time]").fill(held.strftime("%H:%M"))
    page.get_by_label("Venue").fill("County Hall, room 2")
    page.get_by_label(agency_housing.name).check()
    page.get_by_label(agency_health.name).check()
    assert_accessible(page)
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_url(re.compile(r".*/marac/meetings/\d+/$"))
    meeting = Meeting.objects.exclude(pk=health_only.pk).get()

    # The referral was made before the cut-off: building the agenda lists it.
    page.get_by_role("button", name="Build the agenda").click()
    page.wait_for_url(re.compile(rf".*/marac/meetings/{meeting.pk}/$"))
    agenda = page.locator("[data-testid=agenda]")
    assert case.reference in agenda.inner_text()
    assert "Rosa Reed" in agenda.inner_text()
    assert_accessible(page)
    shot(page, "1_agenda")

    with page.expect_download() as download:
        page.get_by_role("link", name="Agenda (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download.value.suggested_filename == f"marac-agenda-{meeting.pk}.pdf"

    # The action plan: one action for housing, one for health.
    page.locator(f"[data-testid=agenda] tr[data-case='{case.pk}'] a").click()
    page.wait_for_url(re.compile(rf".*/marac/cases/{case.pk}/$"))
    due = timezone.localdate() + timedelta(days=21)
    for agency, what, done in (
        (agency_housing, "Fit extra locks and a door chain", "Locks fitted, keys with the victim"),
        (agency_health, "Flag the GP records", "Records flagged"),
    ):
        page.get_by_label("Responsible agency").select_option(label=agency.name)
        page.get_by_label("Action", exact=True).fill(what)
        page.get_by_label("What done means").fill(done)
        due_by = page.get_by_role("group", name="Due by")
        due_by.get_by_label("Day").fill(str(due.day))
        due_by.get_by_label("Month").fill(str(due.month))
        due_by.get_by_label("Year").fill(str(due.year))
        page.get_by_role("button", name="Add the action").click()
        page.wait_for_url(re.compile(rf".*/marac/cases/{case.pk}/$"))
    assert Action.objects.filter(case=case).count() == 2
    # A refused action keeps what was typed.
    page.get_by_label("Responsible agency").select_option(label=agency_housing.name)
    page.get_by_label("Action", exact=True).fill("Refer to sanctuary scheme")
    page.get_by_role("button", name="Add the action").click()
    assert "means for this action" in page.locator("[data-testid=error-summary]").inner_text()
    assert page.get_by_label("Action", exact=True).input_value() == "Refer to sanctuary scheme"
    assert_accessible(page)
    shot(page, "2_actions")

    # Housing signs in: only that case, only housing's action; reports it done.
    page.context.clear_cookies()
    login(page, live_server, housing)
    page.goto("/marac/")
    rows = page.locator("[data-testid=cases] tbody tr[data-case]")
    assert rows.count() == 1
    assert case.reference in rows.first.inner_text()
    assert_accessible(page)
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf".*/marac/cases/{case.pk}/$"))
    actions = page.locator("[data-testid=actions] tbody tr[data-action]")
    assert actions.count() == 1
    assert "Fit extra locks" in actions.first.inner_text()
    assert "Flag the GP records" not in page.content()
    assert "Mill Road" not in page.content()
    assert_accessible(page)
    actions.first.get_by_role("link", name=re.compile("Report back")).click()
    page.wait_for_url(re.compile(r".*/marac/actions/\d+/report/$"))
    page.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Send the report-back").click()
    # Refused without a note, the choice kept.
    assert "Give the update" in page.locator("[data-testid=error-summary]").inner_text()
    assert page.get_by_label("Done", exact=True).is_checked()
    assert_accessible(page)
    page.get_by_label("What was done, or the update").fill("Locks and chain fitted on Monday")
    page.get_by_role("button", name="Send the report-back").click()
    page.wait_for_url(re.compile(rf".*/marac/cases/{case.pk}/$"))
    assert "Done" in page.locator("[data-testid=action-status]").first.inner_text()
    shot(page, "3_reported")
    # Another case or another agency's action: not found.
    assert page.goto(f"/marac/cases/{other.pk}/").status == 404
    health_action = Action.objects.get(case=case, agency=agency_health)
    assert page.goto(f"/marac/actions/{health_action.pk}/report/").status == 404

    # The coordinator sees the completion.
    page.context.clear_cookies()
    login(page, live_server, coordinator)
    page.goto("/marac/tracker/")
    rates = page.locator("[data-testid=rates]")
    assert "100%" in rates.locator(f"tr[data-agency='{agency_housing.code}']").inner_text()
    assert "0%" in rates.locator(f"tr[data-agency='{agency_health.code}']").inner_text()
    open_rows = page.locator("[data-testid=open-actions] tbody tr[data-action]")
    assert open_rows.count() == 1
    assert "Flag the GP records" in open_rows.first.inner_text()
    assert_accessible(page)
    page.goto(f"/marac/cases/{case.pk}/")
    assert "Locks and chain fitted" in page.locator("[data-testid=actions]").inner_text()
    shot(page, "4_completion")
    for path in ("/marac/", "/marac/refer/", "/marac/return/"):
        page.goto(path)
        assert_accessible(page)

"""Forms on the incident page come back with their errors and what was typed, never a blank
error page (issue 8, item 1); a second call about an open incident is added to it with one key
(item 4). Keyboard only where the call taker is on the phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentCall
from tests.browser.conftest import BROWSER_DB

pytestmark = [pytest.mark.browser, BROWSER_DB]

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.mark.time_machine(NOW, tick=True)
def test_a_deferral_with_no_time_comes_back_with_the_reason_typed(
    page, live_server, login, assert_accessible, control_supervisor, log_incident
):
    incident = log_incident(category="A", received_at=timezone.now() - timedelta(minutes=30))
    login(page, live_server, control_supervisor)
    page.goto(f"/incidents/{incident.pk}/")
    page.locator("#id_defer-reason").fill("No unit free; victim at her sister's")
    page.get_by_role("button", name="Defer attendance").click()
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    assert "HTTP ERROR" not in page.content()
    assert page.locator("#id_defer-reason").input_value() == "No unit free; victim at her sister's"
    assert page.locator("#id_defer-until_0").get_attribute("aria-invalid") == "true"
    assert "Enter the day, month and year to defer attendance until" in summary.inner_text()
    assert_accessible(page)


@pytest.mark.time_machine(NOW, tick=True)
def test_a_call_taker_lowering_an_overdue_grade_is_told_who_may_and_keeps_the_reason(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    incident = log_incident(category="A", received_at=timezone.now() - timedelta(minutes=30))
    login(page, live_server, call_taker)
    page.goto(f"/incidents/{incident.pk}/")
    page.check("input[name='regrade-category'][value='C']")
    page.locator("#id_regrade-reason").fill("Suspect has left the area")
    page.get_by_role("button", name="Regrade", exact=True).click()
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    assert "only a control-room supervisor may do that" in summary.inner_text()
    assert page.locator("#id_regrade-reason").input_value() == "Suspect has left the area"
    assert incident.reference in page.locator("h1").inner_text()
    incident.refresh_from_db()
    assert incident.category.code == "A"
    assert_accessible(page)


def test_a_second_call_about_an_open_incident_is_added_to_it_with_one_key(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    open_one = log_incident(category="A")  # 12 Mill Road, NR1 2AB: open, overdue soon
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    page.locator("#id_location_house").focus()
    page.keyboard.type("12")
    page.locator("#id_location_postcode").focus()
    page.keyboard.type("NR1 2AB")
    page.locator("#id_victim-family_name").focus()
    page.keyboard.type("Neighbour")
    duplicate = page.get_by_test_id("possible-duplicate")
    duplicate.wait_for()
    assert open_one.reference in duplicate.inner_text()
    assert_accessible(page)
    page.locator("#id_narrative").focus()
    page.keyboard.type("Neighbour calling again: screaming now")
    page.keyboard.press("Alt+d")
    page.wait_for_url(re.compile(rf".*/incidents/{open_one.pk}/$"))
    assert "Neighbour calling again" in page.get_by_test_id("further-calls").inner_text()
    assert Incident.objects.count() == 1
    assert IncidentCall.objects.get().incident_id == open_one.pk
    assert_accessible(page)


def test_a_sergeant_finds_an_incident_by_name_and_opens_it(
    page, live_server, login, assert_accessible, personas, log_incident
):
    wanted = log_incident(victim={"given_name": "Amira", "family_name": "Haddad"}, category="A")
    log_incident(victim={"given_name": "Bob", "family_name": "Jones"})
    login(page, live_server, personas["supervisor"])
    page.goto("/incidents/")
    assert_accessible(page)
    page.get_by_label("Search by reference, name, street or postcode").fill("Haddad")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Haddad" not in page.url
    rows = page.get_by_test_id("incident-list").locator("tbody tr")
    assert rows.count() == 1
    page.get_by_label("Category").select_option("A")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r".*/incidents/\?.*category=A.*"))
    assert rows.count() == 1
    page.screenshot(path="var/screenshots/incident-list.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("link", name=wanted.reference).click()
    page.wait_for_url(re.compile(rf".*/incidents/{wanted.pk}/$"))


def test_the_marking_bar_is_inside_a_landmark_and_the_favicon_loads(
    page, live_server, login, call_taker
):
    from axe_playwright_python.sync_playwright import Axe

    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    login(page, live_server, call_taker)
    for path in ("/incidents/", "/incidents/new/", "/incidents/board/"):
        page.goto(path)
        results = Axe().run(page, options={"runOnly": ["region"]}).response
        assert results["violations"] == [], (path, results["violations"])
    assert page.locator("header [role=note]").first.inner_text() == "OFFICIAL-SENSITIVE"
    assert missing == []


def test_the_api_docs_render_within_the_csp_for_an_integrator(page, live_server, login, make_user):
    # The page fixture fails the test on any CSP violation (drf-spectacular's inline <style>).
    login(page, live_server, make_user("sysadmin"))
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info").wait_for()
    assert "dapolice API" in page.locator(".swagger-ui .info").inner_text()

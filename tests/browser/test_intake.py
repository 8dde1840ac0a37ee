"""Logging a call in a real browser, keyboard only (issue 3, "Done when")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from tests import dates
from tests.browser.conftest import BROWSER_DB
from tests.incidents.helpers import suspect_of, victim_of

pytestmark = [pytest.mark.browser, BROWSER_DB]


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the focused element matches ``selector`` (the way a call taker moves)."""
    for _ in range(limit):
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def answer(page, name: str, yes: bool) -> None:
    """A GOV.UK yes/no radio group: Space picks the first (Yes), the arrow key moves to No."""
    tab_to(page, f"input[name='{name}']")
    page.keyboard.press("Space" if yes else "ArrowRight")


def test_call_taker_logs_a_repeat_victim_with_only_the_keyboard(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    earlier = log_incident(
        victim={
            "given_name": "John",
            "family_name": "Smith",
            "phones": ("07700 900123",),
        },
        received_at=timezone.now() - timedelta(days=60),
    )
    john = victim_of(earlier)
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    assert page.title() == "New incident – dapolice"

    tab_to(page, "#id_location_house")
    page.keyboard.type("12")
    page.keyboard.press("Tab")
    page.keyboard.type("NR1 2AB")
    # The address of the earlier incident: its street and town fill in.
    page.get_by_text("Address on record: Mill Road, Norwich").wait_for()
    assert page.locator("#id_location_street").input_value() == "Mill Road"

    # The victim's name, misspelt as a caller in distress gives it.
    tab_to(page, "#id_victim-given_name")
    page.keyboard.type("Jon")
    page.keyboard.press("Tab")
    page.keyboard.type("Smyth")
    match = page.locator(f"#matches-victim [data-match='{john.pk}']")
    match.wait_for()
    assert "Repeat victim" in match.inner_text()
    assert match.locator("[data-testid=reasons] li").count() >= 1
    assert_accessible(page)  # the panel is visible before the form is sent

    page.keyboard.press("Alt+1")  # one key press links the first match
    page.locator(f"#matches-victim [data-linked='{john.pk}']").wait_for()
    assert page.locator("input[name='victim-person_id']").input_value() == str(john.pk)

    tab_to(page, "input[name='relationship']")
    page.keyboard.press("Space")  # partner
    answer(page, "immediate_risk", yes=True)
    for question in ("injuries", "weapons", "children_present", "firearm_at_address"):
        answer(page, question, yes=False)
    answer(page, "happened_before", yes=False)
    answer(page, "victim_vulnerable", yes=False)
    tab_to(page, "input[name='category']")
    page.keyboard.press("Space")  # A: emergency
    tab_to(page, "#intake-form button[type='submit']")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
    incident = Incident.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert victim_of(incident).pk == john.pk
    assert incident.category.code == "A"
    assert incident.deadline_at == incident.received_at + timedelta(minutes=15)
    people = page.locator("[data-testid=people]")
    assert "Repeat victim" in people.inner_text()
    assert_accessible(page)  # the incident page with its attendance and regrade forms

    page.set_viewport_size({"width": 1600, "height": 900})  # a control-room screen
    page.goto("/incidents/board/")
    row = page.locator(f"tr[data-incident='{incident.reference}']")
    row.wait_for()
    deadline = timezone.localtime(incident.deadline_at).strftime("%H:%M")
    assert deadline in row.locator("[data-testid=deadline]").inner_text()
    assert "left" in row.locator("[data-deadline]").inner_text()
    page.screenshot(path="var/screenshots/board.png")
    # Every column in view, a row on one line: nothing pushed off the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert row.bounding_box()["height"] < 60
    assert_accessible(page)


def test_intake_errors_keep_what_was_typed_and_pass_axe(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    mark = suspect_of(log_incident(suspect={"given_name": "Mark", "family_name": "Roe"}))
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    page.locator("#id_victim-family_name").fill("Jones")
    page.locator("#id_victim-phones").fill("12")
    # A suspect typed, matched but not linked yet.
    page.locator("#id_suspect-given_name").fill("Mark")
    page.locator("#id_suspect-family_name").type("Roe")
    page.locator(f"#matches-suspect [data-match='{mark.pk}']").wait_for()
    page.locator("#intake-form button[type='submit']").click()
    page.locator(".govuk-error-summary").wait_for()
    assert page.locator("#id_victim-family_name").input_value() == "Jones"
    assert page.locator("#id_victim-phones").input_value() == "12"
    assert "Victim: Enter a phone number" in page.locator(".govuk-error-summary").inner_text()
    # The panel of the person not yet linked comes back, with its flag (issue 8, item 8).
    match = page.locator(f"#matches-suspect [data-match='{mark.pk}']")
    match.wait_for()
    assert "Known perpetrator" in match.inner_text()
    assert_accessible(page)


# A fixed afternoon, ticking: "now + 2 hours" typed as London time is then never in the hour the
# clocks skip or repeat. The page's clock is set to it too (the ``page`` fixture).
@pytest.mark.time_machine(datetime(2026, 11, 23, 14, 0, tzinfo=UTC), tick=True)
def test_control_room_supervisor_defers_an_overdue_incident(
    page, live_server, login, assert_accessible, control_supervisor, log_incident
):
    incident = log_incident(category="A", received_at=timezone.now() - timedelta(minutes=30))
    login(page, live_server, control_supervisor)
    page.set_viewport_size({"width": 1600, "height": 900})  # a control-room screen
    page.goto("/incidents/board/")
    row = page.locator(f"tr[data-incident='{incident.reference}']")
    assert "overdue" in row.locator("[data-deadline]").inner_text()
    row.get_by_role("link", name=incident.reference).click()
    page.wait_for_url(re.compile(rf".*/incidents/{incident.pk}/$"))
    assert_accessible(page)
    until = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    for name, value in dates.typed("until", timezone.localtime(until), prefix="defer").items():
        page.locator(f"#id_{name}").fill(value)
    page.locator("#id_defer-reason").fill("No unit free; victim safe at a friend's")
    page.locator("#id_defer-victim_wishes").fill("Attend after 6pm at the friend's")
    page.get_by_role("button", name="Defer attendance").click()
    deferral = page.locator("[data-testid=deferral]")
    deferral.wait_for()
    assert "No unit free" in deferral.inner_text()
    assert "Attend after 6pm" in deferral.inner_text()
    incident.refresh_from_db()
    assert incident.deadline_at == until
    assert_accessible(page)

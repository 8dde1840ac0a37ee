"""A long call on the intake page: typing keeps the session, a warning comes before the idle
sign-out, and what was typed survives it (issue 8, item 3); Back then send again logs one
incident (item 4)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident
from tests.browser.conftest import BROWSER_DB
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, BROWSER_DB]

START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
NARRATIVE = "Caller whispering; he has locked the door and has a knife"


def fill_call(page) -> None:
    page.locator("#id_location_house").fill("12")
    page.locator("#id_location_street").fill("Castle Meadow")
    page.locator("#id_location_town").fill("Norwich")
    page.locator("#id_location_postcode").fill("NR1 3DE")
    page.locator("#id_victim-given_name").fill("Amira")
    page.locator("#id_victim-family_name").fill("Haddad")
    page.check("input[name='relationship'][value='partner']")
    for name in ("immediate_risk", "weapons"):
        page.check(f"input[name='{name}'][value='yes']")
    for name in ("injuries", "children_present", "firearm_at_address", "happened_before",
                 "victim_vulnerable"):  # fmt: skip
        page.check(f"input[name='{name}'][value='no']")
    page.check("input[name='category'][value='A']")


def later(page, clock, minutes: float) -> None:
    """The server's clock and the page's move on together; the page's timers run once."""
    clock.shift(timedelta(minutes=minutes))
    page.clock.fast_forward(int(minutes * 60_000))


def draft(page) -> dict | None:
    raw = page.evaluate("() => sessionStorage.getItem('dapolice-draft:intake')")
    return json.loads(raw) if raw else None


def test_typing_keeps_the_session_a_warning_comes_and_the_call_survives_the_sign_out(
    page, live_server, login, assert_accessible, call_taker
):
    with time_machine.travel(START, tick=True) as clock:
        page.clock.install(time=START)
        login(page, live_server, call_taker)
        # The inbox poll would take the page to the sign-in page by itself once the session
        # has ended (the second test); held off here to see the page's own message first.
        page.route("**/alerts/count/", lambda route: route.abort())
        page.goto("/incidents/new/")
        fill_call(page)
        warning = page.get_by_test_id("idle-warning")

        # Ten minutes on the phone, then typing the story: typing is activity for the server.
        later(page, clock, 10)
        assert warning.is_hidden()
        page.locator("#id_narrative").focus()
        with page.expect_response("**/account/activity/") as kept:
            page.keyboard.type(NARRATIVE)
        assert kept.value.status == 204
        later(page, clock, 12)  # 22 minutes since the page opened, 12 since the typing
        assert warning.is_hidden()

        later(page, clock, 1.5)
        assert warning.is_visible()
        # A fixed time of day, not a countdown re-read every second inside role=alert: the
        # typing ended about 10 minutes after START, so the sign-out is about 25 after it.
        told = warning.inner_text()
        expected = {
            timezone.localtime(START + timedelta(minutes=m)).strftime("%H:%M") for m in (24, 25, 26)
        }
        shown = re.search(r"You will be signed out at (\d\d:\d\d) unless", told)
        assert shown is not None, told
        assert shown.group(1) in expected, told
        later(page, clock, 0.1)
        assert warning.inner_text() == told
        page.screenshot(path="var/screenshots/idle-warning.png")
        assert_accessible(page)

        # Nobody answers the warning: the server signs the user out, the page says so.
        later(page, clock, 2)
        assert "You have been signed out" in warning.inner_text()
        assert warning.get_by_role("link", name="Sign in again").is_visible()
        page.locator("#intake-form button[type='submit']").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/account/login/\?next=%2Fincidents%2Fnew%2F$"))
        assert Incident.objects.count() == 0
        assert draft(page)["fields"]  # kept in this tab, not on the server

        page.get_by_label("Username").fill(call_taker.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/incidents/new/$"))
        page.get_by_test_id("draft-restored").wait_for()
        assert page.locator("#id_narrative").input_value() == NARRATIVE
        assert page.locator("#id_victim-family_name").input_value() == "Haddad"
        assert page.locator("input[name='category'][value='A']").is_checked()
        assert_accessible(page)

        page.locator("#intake-form button[type='submit']").click()
        page.wait_for_url(re.compile(r".*/incidents/\d+/$"))
        incident = Incident.objects.get()
        assert incident.narrative == NARRATIVE
        assert incident.location_is_rural is False  # Castle Meadow, NR1 3DE: urban (item 2)
        assert incident.target_minutes == 15

        # Back, then send again: the same key, so the incident already logged opens.
        page.go_back()
        page.get_by_test_id("draft-already-sent").wait_for()
        page.locator("#intake-form button[type='submit']").click()
        page.wait_for_url(re.compile(rf".*/incidents/{incident.pk}/$"))
        assert Incident.objects.count() == 1

        # A new call starts blank, and signing out leaves nothing in the tab.
        page.goto("/incidents/new/")
        assert page.locator("#id_narrative").input_value() == ""
        assert draft(page) is None
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r".*/account/login/.*"))
        assert draft(page) is None


def test_background_polling_alone_does_not_hold_off_the_warning(
    page, live_server, login, call_taker
):
    with time_machine.travel(START, tick=True) as clock:
        page.clock.install(time=START)
        login(page, live_server, call_taker)
        page.goto("/incidents/board/")  # polls every 30 s in the background
        for _ in range(26):
            later(page, clock, 0.5)
        assert page.get_by_test_id("idle-warning").is_visible()
        later(page, clock, 2.5)
        # The next poll finds the session ended and takes the page to sign in, then back. (A
        # poll may be in flight when the clock jumps: give the next one its turn.)
        for _ in range(6):
            if "/account/login/" in page.url:
                break
            page.wait_for_timeout(250)
            later(page, clock, 0.5)
        page.wait_for_url(re.compile(r".*/account/login/\?next=%2Fincidents%2Fboard%2F$"))

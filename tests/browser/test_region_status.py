"""A failed request never fails silently in the browser (issue 13, item 1).

The match panel says "Search unavailable — retrying" when its request fails (an error, a 429 or
no answer) and searches again by itself; the board says "Board not refreshed since HH:MM". With
the cache pointed at a Redis that is not there, the panel still searches (the rate limit falls
back to a per-process counter). The failures are made with Playwright's ``page.route``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from dapolice.common import throttling
from tests.browser.conftest import BROWSER_DB
from tests.dapolice.test_health import _free_port
from tests.incidents.helpers import victim_of

pytestmark = [pytest.mark.browser, BROWSER_DB]

PANEL = re.compile(r".*/incidents/new/match/$")
BOARD = re.compile(r".*/incidents/board/$")
SEARCH_FAILED = "Search unavailable — retrying"
TOO_MANY = "Too many searches — trying again in a moment"


@pytest.fixture(autouse=True)
def _fallback_reset() -> Any:
    throttling.fallback_reset()
    yield
    throttling.fallback_reset()


def search_for_john(page: Any) -> None:
    page.locator("#id_victim-given_name").fill("John")
    page.locator("#id_victim-family_name").fill("Smith")


def test_a_failed_or_refused_search_says_so_and_retries_by_itself(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    john = victim_of(
        log_incident(victim={"given_name": "John", "family_name": "Smith"}, actor=call_taker)
    )
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    answers = iter([500, 429])

    def fail(route: Any) -> None:
        code = next(answers, None)
        if code is None:
            route.continue_()
        else:
            route.fulfill(status=code, body="no", headers={"Retry-After": "2"})

    page.route(PANEL, fail)
    search_for_john(page)
    notice = page.locator("#matches-victim-status")
    notice.wait_for()
    assert notice.inner_text() == SEARCH_FAILED
    assert_accessible(page)
    # The panel retries on its own: the 429 first (still failing, and it says why), then the
    # real search.
    page.clock.fast_forward(6000)
    expect(notice).to_have_text(TOO_MANY)
    for _ in range(2):
        page.clock.fast_forward(6000)
    page.locator(f"#matches-victim [data-match='{john.pk}']").wait_for()
    notice.wait_for(state="detached")


def test_a_search_with_no_answer_says_so(page, live_server, login, call_taker):
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    page.route(PANEL, lambda route: route.abort())
    search_for_john(page)
    page.locator("#matches-victim-status").wait_for()
    assert page.locator("#matches-victim-status").inner_text() == SEARCH_FAILED


def test_the_search_works_with_the_cache_at_a_redis_that_is_not_there(
    page, live_server, login, settings, call_taker, log_incident
):
    cache = dict(django_settings.CACHES["default"])
    if "redis" not in cache["BACKEND"].lower():
        pytest.skip("needs the Redis cache configuration (REDIS_URL)")
    john = victim_of(
        log_incident(victim={"given_name": "John", "family_name": "Smith"}, actor=call_taker)
    )
    login(page, live_server, call_taker)  # the session is in PostgreSQL, not the cache
    url = f"redis://127.0.0.1:{_free_port()}/0"
    settings.CACHES = {"default": {**cache, "LOCATION": url}}
    settings.REDIS_URL = url
    page.goto("/incidents/new/")
    search_for_john(page)
    page.locator(f"#matches-victim [data-match='{john.pk}']").wait_for()
    assert page.locator("#matches-victim-status").count() == 0
    assert throttling.using_fallback()


def test_a_board_that_cannot_refresh_says_since_when(
    page, live_server, login, assert_accessible, call_taker, log_incident
):
    log_incident(category="B", actor=call_taker)
    login(page, live_server, call_taker)
    page.goto("/incidents/board/")
    loaded = timezone.localtime(timezone.now()).strftime("%H:%M")
    page.route(BOARD, lambda route: route.fulfill(status=503, body="down"))
    page.clock.fast_forward(31_000)
    notice = page.locator("#board-status")
    notice.wait_for()
    text = notice.inner_text()
    assert text.startswith("Board not refreshed since ")
    assert text.removeprefix("Board not refreshed since ") in {
        loaded,
        timezone.localtime(timezone.now()).strftime("%H:%M"),
    }
    assert_accessible(page)
    page.unroute(BOARD)
    page.clock.fast_forward(31_000)
    notice.wait_for(state="detached")

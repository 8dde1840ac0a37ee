"""The browser-test layer: Playwright (sync API) driving Debian's Chromium against the live server.

Never downloads a browser (a test tool's own download cannot work here): it launches
``/usr/bin/chromium`` and skips, visibly, when that or the built GOV.UK front end is missing.

Fixtures for every browser test:

* ``browser`` (module): one headless Chromium per test module (see the fixture for why not
  per session).
* ``page``: a fresh context (cookies, storage) per test, pointed at ``live_server``. It fails the
  test on a Content-Security-Policy violation or an uncaught script error, so a page that needs
  inline script or style, or a CDN, cannot pass. Its clock is Python's: Playwright's clock is
  installed at ``timezone.now()`` and ticks from there, so a countdown reads the same time as
  the server under ``--suite-clock`` or a test's ``@pytest.mark.time_machine(...)`` (which
  pytest sets up before ``page``).
* ``login(page, live_server, user)``: signs in through the real login form.
* ``assert_accessible(page)``: axe-core (axe-playwright-python); fails on any "serious" or
  "critical" violation and prints each rule id with its targets.

Mark browser tests ``@pytest.mark.browser`` and give them
``BROWSER_DB`` (``django_db(transaction=True, serialized_rollback=True)``): the live
server reads committed rows from another thread, and the serialized rollback brings the roles and
the system user back after the flush that follows each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FRONTEND = Path(__file__).resolve().parents[2] / "var" / "frontend"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000
BLOCKING_IMPACTS = {"serious", "critical"}

#: The database mark every browser test needs (see the module docstring).
BROWSER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Module scope, not session: while Playwright's sync API is running, an asyncio loop runs in the
# main thread, and any later non-browser test that goes through async_to_sync (an async view such
# as /healthz, through the test client) fails with "cannot use AsyncToSync in the same thread as an
# async event loop". Closing it after each module costs about a second per browser module.
@pytest.fixture(scope="module")
def browser(django_db_setup: None) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: apt-get install chromium (never a Playwright download)"
        )
    if not (FRONTEND / "app.css").exists():
        pytest.skip(
            "the GOV.UK front end is not built: run `npm ci && npm run build` (make frontend)"
        )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API leaves an asyncio loop running in this thread. From then on Django's
    # connection handler (a thread-critical asgiref Local) reads a separate, empty namespace and
    # makes new connection objects, which lack the test database's serialized snapshot: every
    # serialized_rollback would silently restore nothing. Keep the objects made before the start.
    before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, wrapper in before.items():
            connections[alias] = wrapper
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    from django.utils import timezone

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(TIMEOUT_MS)
    # Chromium keeps the real clock: time-machine travels Python only. Its timers still run.
    context.clock.install(time=timezone.now())
    problems: list[str] = []
    pg = context.new_page()
    pg.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    pg.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    try:
        yield pg
    finally:
        context.close()
    if problems:
        pytest.fail("the page broke its CSP or threw:\n" + "\n".join(problems))


@pytest.fixture
def login() -> Callable[[Any, Any, Any], None]:
    """``login(page, live_server, user)``: sign in through the form and land on the home page."""
    from tests.conftest import PASSWORD

    def sign_in(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/account/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return sign_in


def blocking_violations(results: dict[str, Any]) -> list[str]:
    """One line per serious or critical axe violation: rule id, impact, and the nodes' targets."""
    lines = []
    for violation in results["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return lines


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    """``assert_accessible(page)``: axe-core finds nothing serious or critical on the page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Any) -> None:
        results = axe.run(page)
        problems = blocking_violations(results.response)
        if problems:
            pytest.fail(
                f"accessibility violations on {page.url}:\n" + "\n".join(problems),
                pytrace=False,
            )

    return check

"""Signing in with a real browser: every role, its navigation, the keyboard, and axe-core."""

from __future__ import annotations

import re

import pytest

from dapolice.accounts.choices import Role
from dapolice.alerts.registry import AlertSpec
from dapolice.alerts.services import alert_raise
from tests.browser.conftest import BROWSER_DB
from tests.conftest import EXPECTED_NAVIGATION, INBOX_NAV

pytestmark = [pytest.mark.browser, BROWSER_DB]


def nav_keys(page) -> set[str]:
    return set(page.locator("[data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)"))


@pytest.mark.parametrize("persona", sorted(EXPECTED_NAVIGATION))
def test_each_role_signs_in_and_sees_its_navigation_with_keyboard_and_axe(
    page, live_server, login, assert_accessible, personas, persona
):
    login(page, live_server, personas[persona])

    assert page.url == f"{live_server.url}/"
    assert page.title() == "Home – dapolice"
    assert nav_keys(page) == EXPECTED_NAVIGATION[persona] | {INBOX_NAV}

    # The skip link is the first thing a keyboard user reaches, and it moves focus to the content.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "govuk-skip-link" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"

    assert_accessible(page)


def test_login_page_is_accessible_also_with_an_error(page, live_server, assert_accessible, db):
    page.goto("/account/login/")
    assert page.title() == "Sign in – dapolice"
    assert_accessible(page)

    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.keyboard.press("Enter")  # the primary button comes first, so Enter signs in
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert page.title() == "Error: Sign in – dapolice"
    # GOV.UK Frontend moves focus to the error summary so a screen reader announces it.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert_accessible(page)


def test_inbox_is_accessible_and_acknowledges_by_keyboard(
    page, live_server, login, assert_accessible, call_taker
):
    for n in (1, 2):
        alert_raise(
            kind="tests.browser",
            subject=None,
            spec=AlertSpec(
                title=f"DA-2026-00000{n} attendance overdue", recipient_id=call_taker.pk
            ),
        )
    login(page, live_server, call_taker)
    page.goto("/alerts/")
    assert page.locator("[data-alert]").count() == 2
    assert_accessible(page)

    acknowledge = page.get_by_role(
        "button", name=re.compile(r"^Acknowledge\s+DA-2026-000001 attendance overdue$")
    )
    acknowledge.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Alert acknowledged.").wait_for()
    assert page.locator("[data-alert]").count() == 1
    assert_accessible(page)


def test_two_factor_setup_pages_are_accessible(
    page, live_server, login, assert_accessible, call_taker
):
    login(page, live_server, call_taker)
    page.goto("/account/two_factor/")
    assert_accessible(page)
    page.goto("/account/two_factor/setup/")
    assert_accessible(page)
    qr_url = f"{live_server.url}/account/two_factor/qrcode/"
    with page.expect_response(qr_url) as qr:
        page.get_by_role("button", name="Continue").click()
    # The QR code comes from two_factor's own view on our origin (img-src 'self'), not a service.
    assert qr.value.status == 200
    assert qr.value.headers["content-type"].startswith("image/")
    page.get_by_role("img", name="QR code to add this account to an authenticator app").wait_for()
    assert_accessible(page)


def test_audit_trail_and_error_pages_are_accessible(
    page, live_server, login, assert_accessible, personas
):
    login(page, live_server, personas[Role.SYSADMIN])
    page.goto("/audit/?action=accounts")
    assert page.locator("[data-event]").count() >= 1
    assert_accessible(page)

    response = page.goto("/incidents/")
    assert response.status == 403
    assert_accessible(page)

    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert_accessible(page)

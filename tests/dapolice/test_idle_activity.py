"""The idle sign-out and a long call (issue 8, item 3): the page's keep-alive counts as
activity, background polls do not, and the sign-in page leads back to the page of the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from dapolice.accounts.middleware import BACKGROUND_HEADER
from tests.dapolice.test_accounts import LOGIN_URL, sign_in, signed_in

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)
IDLE = timedelta(minutes=15)


def test_the_pages_keep_alive_while_typing_holds_the_session(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get(reverse("incidents:create"))
        for _ in range(3):
            clock.shift(IDLE - timedelta(minutes=1))
            assert client.post(reverse("accounts:activity")).status_code == 204
        clock.shift(IDLE - timedelta(minutes=1))
        assert client.get(reverse("incidents:create")).status_code == 200
        assert signed_in(client)


def test_a_background_keep_alive_is_not_activity(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        clock.shift(IDLE - timedelta(minutes=1))
        client.post(reverse("accounts:activity"), headers={BACKGROUND_HEADER: "1"})
        clock.shift(timedelta(minutes=2))
        assert client.post(reverse("accounts:activity")).status_code == 302
        assert not signed_in(client)


def test_the_keep_alive_is_for_signed_in_users_only(client):
    response = client.post(reverse("accounts:activity"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_the_pages_know_the_limit_and_when_to_warn(client_for, call_taker, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 20
    html = client_for(call_taker).get("/").content.decode()
    assert 'data-idle-seconds="1200"' in html
    assert 'data-idle-warning-seconds="120"' in html
    assert 'data-testid="idle-warning"' in html


def test_an_intake_sent_after_the_sign_out_returns_to_the_intake_page(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get(reverse("incidents:create"))
        clock.shift(IDLE + timedelta(seconds=1))
        response = client.post(reverse("incidents:create"), {"narrative": "typed"})
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN_URL}?next=%2Fincidents%2Fnew%2F"


def test_a_form_without_a_page_of_its_own_returns_nowhere_in_particular(
    client, call_taker, log_incident
):
    incident = log_incident()
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        clock.shift(IDLE + timedelta(seconds=1))
        response = client.post(reverse("incidents:defer", args=[incident.pk]), {})
        assert response["Location"] == LOGIN_URL


def test_an_htmx_poll_after_the_sign_out_returns_to_the_page_it_came_from(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        clock.shift(IDLE + timedelta(seconds=1))
        response = client.get(
            "/alerts/count/",
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver/incidents/new/?q=smith",
                BACKGROUND_HEADER: "1",
            },
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == f"{LOGIN_URL}?next=%2Fincidents%2Fnew%2F"

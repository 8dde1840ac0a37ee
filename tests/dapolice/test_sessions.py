"""Sessions and caching (issue 7, finding 10): the absolute session limit does not move, no
response is cached, admin search terms stay out of URLs, and bulk reads are throttled per user
with a security alert (failing open when Redis is down)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dapolice.accounts.choices import Role
from dapolice.accounts.middleware import SIGNED_IN_KEY
from dapolice.alerts.models import Alert
from dapolice.audit import throttle
from dapolice.audit.models import AuditEvent
from tests.dapolice.test_accounts import LOGIN_URL, sign_in, signed_in

# The start of a read-rate window (10-minute windows from the epoch), plus a minute.
T0 = datetime(2026, 3, 2, 9, 1, 0, tzinfo=UTC)


# --- The absolute session limit --------------------------------------------------------------


def test_the_session_ends_twelve_hours_after_sign_in_however_active(client, call_taker):
    assert settings.SESSION_MAX_HOURS == 12
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        for _ in range(51):  # a user action every 14 minutes: never idle
            clock.shift(timedelta(minutes=14))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=5))  # 11 h 59 min after sign-in
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=1, seconds=1))
        response = client.get("/incidents/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)
        assert not signed_in(client)
        assert AuditEvent.objects.filter(
            actor=call_taker, action="accounts.session.expired"
        ).exists()
        login = client.get(response["Location"])
        assert b"signed out 12 hours after you signed in" in login.content


def test_signing_in_again_starts_a_new_twelve_hours(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        first = client.session[SIGNED_IN_KEY]
        clock.shift(timedelta(hours=13))
        client.get("/")
        sign_in(client, call_taker.username)
        assert client.session[SIGNED_IN_KEY] > first
        assert client.get("/").status_code == 200


def test_a_session_without_a_sign_in_time_is_ended(client_for, call_taker):
    client = client_for(call_taker)
    session = client.session
    del session[SIGNED_IN_KEY]
    session.save()
    assert client.get("/").status_code == 302
    assert not signed_in(client)


# --- Nothing is cached -----------------------------------------------------------------------


@pytest.fixture
def revealed(client_for: Any, make_user: Any, log_incident: Any) -> tuple[Client, list[str]]:
    """A sergeant who has revealed a refuge address, and the pages that show it."""
    from incidents import services

    incident = log_incident(
        victim={"given_name": "Rae", "family_name": "Safe", "lives_at_location": True},
        location=services.AddressInput(
            house="7", street="Hidden Close", town="Norwich", postcode="NR3 1XX"
        ),
    )
    services.address_mark_restricted(
        actor=make_user(Role.CONTROL_SUPERVISOR), address=incident.location, reason="Refuge"
    )
    client = client_for(make_user(Role.SUPERVISOR))
    reveal = reverse("incidents:address-reveal", args=[incident.pk, incident.location_id])
    shown = client.post(reveal, {"reason": "Arranging a welfare visit at the refuge"})
    assert b"Hidden Close" in shown.content
    assert "no-store" in shown["Cache-Control"]
    victim = incident.people.get(role="victim").person
    return client, [f"/incidents/{incident.pk}/", "/incidents/", f"/api/incidents/{incident.pk}/",
                    f"/api/persons/{victim.pk}/", "/api/incidents/", "/alerts/", "/"]  # fmt: skip


def test_no_response_is_cached_pages_api_admin_or_a_revealed_address(
    revealed, client_for, personas
):
    client, urls = revealed
    assert b"Hidden Close" in client.get(urls[0]).content
    responses = [client.get(url) for url in urls]
    admin = client_for(personas["sysadmin"])
    responses += [admin.get(url) for url in ("/admin/", "/admin/accounts/user/", "/audit/",
                                             "/api/audit/events/")]  # fmt: skip
    responses.append(Client().get(LOGIN_URL))
    for response in responses:
        assert response.status_code == 200, response.wsgi_request.path
        cache = response["Cache-Control"]
        assert "no-store" in cache, (response.wsgi_request.path, cache)
        assert "private" in cache, (response.wsgi_request.path, cache)


# --- Admin search terms stay out of URLs -----------------------------------------------------


def test_admin_search_is_a_post_and_the_term_never_enters_a_url(client_for, personas):
    admin = client_for(personas["sysadmin"])
    page = admin.get("/admin/accounts/user/").content.decode()
    assert 'id="changelist-search" method="post"' in page
    term = personas["mash"].username
    response = admin.post("/admin/accounts/user/", {"_dapolice_search": "1", "q": term})
    assert response.status_code == 302
    assert term not in response["Location"]
    results = admin.get(response["Location"])
    html = results.content.decode()
    assert term in html
    assert personas["call_taker"].username not in html, "the search applied from the session"
    assert term not in results.wsgi_request.get_full_path()
    # Paging and filter links carry no term either.
    assert f"q={term}" not in html
    cleared = admin.post("/admin/accounts/user/", {"_dapolice_search": "1", "q": ""})
    assert personas["call_taker"].username in admin.get(cleared["Location"]).content.decode()


def test_a_search_typed_into_an_admin_url_is_dropped(client_for, personas):
    admin = client_for(personas["sysadmin"])
    response = admin.get(
        "/admin/accounts/user/", {"q": personas["mash"].username, "is_active__exact": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/accounts/user/?is_active__exact=1"


def test_every_admin_with_a_search_box_searches_through_the_session(client_for, personas):
    from django.contrib import admin as django_admin

    client = client_for(personas["sysadmin"])
    searchable = 0
    for model, model_admin in django_admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        searchable += 1
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        html = client.get(url).content.decode()
        assert 'id="changelist-search" method="post"' in html, url
        assert 'id="changelist-search" method="get"' not in html, url
    assert searchable >= 6


# --- Bulk reads: a per-user rate of distinct records, an alert once per window ----------------


@pytest.fixture
def small_limit(settings: Any) -> int:
    if not settings.REDIS_URL:
        pytest.skip("the read rate needs Redis (set REDIS_URL)")
    settings.DAPOLICE_READ_RATE_LIMIT = 5
    return 5


@pytest.fixture
def persons(log_incident: Any) -> list[Any]:
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        incidents = [
            log_incident(victim={"given_name": "Vic", "family_name": f"Number{i}"})
            for i in range(8)
        ]
    return [i.people.get(role="victim").person for i in incidents]


def test_bulk_reads_are_refused_past_the_limit_with_one_alert_per_window(
    client_for, call_taker, personas, persons, small_limit
):
    client = client_for(call_taker)
    with time_machine.travel(T0, tick=False) as clock:
        for person in persons[:small_limit]:
            assert client.get(f"/api/persons/{person.pk}/").status_code == 200
        refused = client.get(f"/api/persons/{persons[5].pk}/")
        assert refused.status_code == 429
        assert refused.json()["code"] == "read_rate"
        assert refused["Content-Type"] == "application/problem+json"  # issue 13
        assert refused.json()["status"] == 429
        assert "Number5" not in refused.content.decode()
        assert 0 < int(refused["Retry-After"]) <= 600
        assert client.get(f"/api/persons/{persons[7].pk}/").status_code == 429
        # Records already shown in this window can be seen again.
        assert client.get(f"/api/persons/{persons[0].pk}/").status_code == 200

        alerts = Alert.objects.filter(kind="security.read_rate")
        assert sorted(alerts.values_list("recipient_role", flat=True)) == [
            Role.CONTROL_SUPERVISOR, Role.SYSADMIN
        ]  # fmt: skip
        assert call_taker.username in alerts.first().title
        assert AuditEvent.objects.filter(action="audit.read_rate.exceeded").count() == 1
        refused_read = AuditEvent.objects.filter(
            action="incidents.person.read", subject_id=str(persons[5].pk)
        )
        assert not refused_read.exists(), "nothing shown, so no read row"

        clock.shift(timedelta(minutes=settings.DAPOLICE_READ_RATE_WINDOW_MINUTES))
        assert client.get(f"/api/persons/{persons[5].pk}/").status_code == 200
        for person in persons[6:]:
            client.get(f"/api/persons/{person.pk}/")
        for person in persons[:5]:
            client.get(f"/api/persons/{person.pk}/")
        assert Alert.objects.filter(kind="security.read_rate").count() == 4, "once per window"


def test_the_refusal_page_shows_nothing_personal(client_for, call_taker, persons, small_limit):
    client = client_for(call_taker)
    with time_machine.travel(T0, tick=False):
        for person in persons[:small_limit]:
            client.get(f"/api/persons/{person.pk}/")
        response = client.get("/incidents/")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'data-testid="read-rate-exceeded"' in html
    assert "Number" not in html
    assert "DA-" not in html, "no incident reference either"


def test_the_board_refreshing_the_same_records_does_not_count_again(
    client_for, personas, persons, small_limit
):
    client = client_for(personas[Role.CONTROL_SUPERVISOR])
    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            assert client.get(f"/api/persons/{persons[0].pk}/").status_code == 200
    assert not Alert.objects.filter(kind="security.read_rate").exists()


def test_the_system_actor_is_never_throttled(system, persons, small_limit):
    from dapolice.audit.services import record_list

    with time_machine.travel(T0, tick=False):
        record_list(actor=system, action="incidents.person.listed", model=type(persons[0]),
                    ids=[p.pk for p in persons])  # fmt: skip


def test_a_redis_outage_never_stops_reads_and_is_logged(
    client_for, call_taker, persons, settings, caplog
):
    settings.DAPOLICE_READ_RATE_LIMIT = 1
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    throttle._down_until.pop(settings.REDIS_URL, None)
    client = client_for(call_taker)
    try:
        with caplog.at_level(logging.WARNING, logger="dapolice.audit.throttle"):
            for person in persons[:4]:
                assert client.get(f"/api/persons/{person.pk}/").status_code == 200
    finally:
        throttle._down_until.pop(settings.REDIS_URL, None)
    warnings = [r.getMessage() for r in caplog.records if r.name == "dapolice.audit.throttle"]
    assert len(warnings) == 1, "logged once, then Redis is left alone for a while"
    assert "Redis unavailable" in warnings[0]
    assert "Number" not in warnings[0]


def test_auditors_paging_the_audit_trail_are_not_throttled(
    client_for, control_supervisor, persons, small_limit
):
    client = client_for(control_supervisor)
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            page = client.get("/audit/")
            assert page.status_code == 200
            listed = AuditEvent.objects.filter(action="audit.event.listed").latest("pk")
            assert len(listed.object_ids) > small_limit
    assert not Alert.objects.filter(kind="security.read_rate").exists()

"""The control room keeps working when Redis falters (issue 13, items 1, 2, 5 and 7).

* The search rate limit fails open to a per-process counter when the cache is not answering, and
  says so in the log; the match panel and the match API keep answering (item 1).
* A frozen Redis (SIGSTOP: the socket is open, nothing answers) holds no request for long: short
  cache timeouts; publishing a task gives up within its short timeout, without retries (item 2).
* ``POST /api/incidents/`` without an idempotency key is refused with 428 and how to send it
  (item 5).
* Errors under ``/api/`` are JSON problem details whatever the cause (item 7).

Each Redis here is a private ``redis-server`` on a free port (``throwaway_redis``), never the
machine's own. Durations are measured with ``time.perf_counter`` (not the travelled clock).
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError
from django.urls import reverse

from dapolice.common import throttling
from incidents.models import Incident
from tests.dapolice.test_health import _free_port, throwaway_redis  # noqa: F401 (fixture)
from tests.incidents.test_api import api_for, incident_payload
from tests.incidents.test_views import intake_post, panel

#: The longest a request may take while Redis is dead or frozen (the timeouts are 0.25-0.5 s).
QUICK_SECONDS = 1.5


@pytest.fixture(autouse=True)
def _fallback_reset() -> Iterator[None]:
    throttling.fallback_reset()
    yield
    throttling.fallback_reset()


def point_at_redis(settings: Any, url: str) -> None:
    """Cache, read-rate limit and broker at ``url``, with the project's own cache options."""
    cache = dict(django_settings.CACHES["default"])
    if "redis" not in cache["BACKEND"].lower():
        pytest.skip("needs the Redis cache configuration (REDIS_URL)")
    settings.CACHES = {"default": {**cache, "LOCATION": url}}
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url


@pytest.fixture
def dead_redis(settings: Any) -> str:
    """Nothing listens on this port: every connection is refused at once."""
    url = f"redis://127.0.0.1:{_free_port()}/0"
    point_at_redis(settings, url)
    return url


@pytest.fixture
def frozen_redis(settings: Any, throwaway_redis: Any) -> Iterator[str]:  # noqa: F811
    """A private Redis, stopped with SIGSTOP: connections open, nothing ever answers."""
    url, proc = throwaway_redis
    point_at_redis(settings, url)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield url
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


# --- Item 1: the search does not depend on Redis -------------------------------------------


def test_the_match_panel_answers_while_redis_is_down_and_says_so_in_the_log(
    client_for, call_taker, log_incident, dead_redis, caplog
):
    victim = {"given_name": "John", "family_name": "Timson", "phones": ("07700 900123",)}
    log_incident(victim=victim)
    client = client_for(call_taker)
    with caplog.at_level(logging.WARNING, logger="dapolice.common.throttling"):
        response = panel(client, given_name="John", family_name="Timson", phones="07700 900123")
    assert response.status_code == 200
    assert b"Timson" in response.content
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)
    api = client.post(
        reverse("api-person-match"),
        {"given_name": "John", "family_name": "Timson", "phones": ["07700 900123"]},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert api.json()[0]["person"]["family_name"] == "Timson"


def test_the_limit_still_counts_per_process_while_redis_is_down(
    client_for, call_taker, dead_redis, monkeypatch
):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"match": "3/min"})
    client = client_for(call_taker)
    codes = [panel(client, family_name="Smith").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert throttling.using_fallback()
    refused = panel(client, family_name="Smith")
    assert 1 <= int(refused["Retry-After"]) <= 60  # the panel's script retries after it


def test_with_redis_back_the_shared_counter_is_used_again(client_for, call_taker, monkeypatch):
    """The fallback lasts FALLBACK_SECONDS; then the shared cache counts again."""
    client = client_for(call_taker)
    throttling._state["cache_down_until"] = time.monotonic() - 1
    assert panel(client, family_name="Smith").status_code == 200
    assert not throttling.using_fallback()
    assert not throttling.fallback_cache._cache  # counted in the shared cache, not here


# --- Item 2: a frozen Redis holds nothing up -------------------------------------------------


def test_a_frozen_redis_holds_up_neither_the_search_nor_incident_logging(
    client_for, call_taker, frozen_redis
):
    client = client_for(call_taker)
    response, took = timed(panel, client, family_name="Smith")
    assert response.status_code == 200
    assert took < QUICK_SECONDS, f"the match panel waited {took:.2f} s on a frozen Redis"
    # The first search paid the short timeout; later ones do not touch Redis for a while.
    _, again = timed(panel, client, family_name="Smyth")
    assert again < QUICK_SECONDS / 3
    response, took = timed(client.post, reverse("incidents:create"), intake_post())
    assert response.status_code == 302, response.content[:500]
    assert took < QUICK_SECONDS, f"logging an incident waited {took:.2f} s on a frozen Redis"
    api = api_for(call_taker)
    response, took = timed(
        api.post, reverse("api-incident-list"), incident_payload(), format="json"
    )
    assert response.status_code == 201, response.content
    assert took < QUICK_SECONDS, f"the API waited {took:.2f} s on a frozen Redis"
    assert Incident.objects.count() == 2


def test_publishing_a_task_to_a_frozen_broker_gives_up_quickly_without_retrying(frozen_redis):
    from celery import Celery
    from kombu.exceptions import OperationalError

    probe = Celery("probe")
    probe.config_from_object("django.conf:settings", namespace="CELERY")
    probe.conf.task_always_eager = False
    assert probe.conf.task_publish_retry is False
    start = time.perf_counter()
    with pytest.raises(OperationalError):
        probe.send_task("dapolice.health.tasks.worker_heartbeat")
    took = time.perf_counter() - start
    assert took < QUICK_SECONDS, f"publishing waited {took:.2f} s on a frozen broker"


def test_the_cache_and_broker_timeouts_are_short():
    if not django_settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    options = django_settings.CACHES["default"]["OPTIONS"]
    assert options["socket_timeout"] <= 0.5
    assert options["socket_connect_timeout"] <= 0.5
    transport = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert transport["socket_timeout"] <= 1
    assert transport["socket_connect_timeout"] <= 1
    assert django_settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1


# --- Item 5: the idempotency key is required on the API -------------------------------------


def test_an_api_incident_without_an_idempotency_key_is_refused_with_428(call_taker):
    payload = incident_payload()
    del payload["idempotency_key"]
    response = api_for(call_taker).post(reverse("api-incident-list"), payload, format="json")
    assert response.status_code == 428
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 428
    assert "idempotency_key" in body["detail"]
    assert "Idempotency-Key" in body["detail"]
    assert Incident.objects.count() == 0
    blank = api_for(call_taker).post(
        reverse("api-incident-list"), {**payload, "idempotency_key": ""}, format="json"
    )
    assert blank.status_code == 428


def test_the_idempotency_key_may_come_in_the_header_and_a_retry_returns_the_same_incident(
    call_taker,
):
    payload = incident_payload()
    del payload["idempotency_key"]
    key = str(uuid.uuid4())
    client = api_for(call_taker)
    first = client.post(
        reverse("api-incident-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    again = client.post(
        reverse("api-incident-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert first.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1


# --- Item 7: API errors are problem details, whatever the cause ------------------------------


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def test_a_validation_error_is_problem_details_with_the_fields(call_taker):
    response = api_for(call_taker).post(
        reverse("api-incident-list"), incident_payload(category=""), format="json"
    )
    body = assert_problem(response, 400)
    assert "category" in body["errors"]
    assert "category" in body  # as before, for existing clients


def test_an_unknown_api_url_is_problem_details(client_for, call_taker):
    assert_problem(client_for(call_taker).get("/api/no-such-thing/"), 404)


def test_a_database_fault_under_the_api_is_a_503_problem_without_details(
    client_for, call_taker, monkeypatch
):
    from incidents import selectors

    def broken(**_: Any) -> Any:
        raise DatabaseError('could not connect to server at "db.internal" (10.0.0.5), port 5432')

    monkeypatch.setattr(selectors, "incident_queryset", broken)
    response = client_for(call_taker).get(reverse("api-incident-list"))
    body = assert_problem(response, 503)
    assert response["Retry-After"]
    assert "5432" not in response.content.decode()
    assert "db.internal" not in response.content.decode()
    assert body["request_id"]


def test_an_unhandled_exception_under_the_api_is_a_500_problem(client_for, call_taker, monkeypatch):
    from incidents import selectors

    def broken(**_: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "incident_queryset", broken)
    client = client_for(call_taker)
    client.raise_request_exception = False
    response = client.get(reverse("api-incident-list"))
    assert_problem(response, 500)
    assert "secret internals" not in response.content.decode()


def test_pages_keep_the_html_error_page(client_for, call_taker):
    response = client_for(call_taker).get("/incidents/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_logging_an_incident_through_the_api_works_while_redis_is_down(call_taker, dead_redis):
    """The creation limit (scope ``create``) falls back like the search limit."""
    response, took = timed(
        api_for(call_taker).post, reverse("api-incident-list"), incident_payload(), format="json"
    )
    assert response.status_code == 201, response.content
    assert took < QUICK_SECONDS
    assert throttling.using_fallback()


# --- The search rate limit in one Redis round trip -------------------------------------------


def test_the_shared_rate_limit_counts_and_waits_as_drfs_own_in_one_script(monkeypatch):
    """The window in Redis (one script) refuses and allows exactly when DRF's own history does
    (same times: inside, at and past the window's edge, a burst, a refusal that writes
    nothing) and gives the same ``Retry-After`` wait; DRF's ``get``/``set`` are not used."""
    import uuid
    from types import SimpleNamespace

    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache
    from rest_framework.throttling import ScopedRateThrottle

    backend = caches["default"]
    if "redis" not in type(backend).__module__ + type(backend).__name__.lower():
        pytest.skip("needs the Redis cache (REDIS_URL)")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"match": "3/min"})

    class DrfOwn(ScopedRateThrottle):
        cache = LocMemCache(f"drf-own-{uuid.uuid4()}", {})

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DRF's read and write of the history")

    monkeypatch.setattr(type(backend), "get", refused)
    monkeypatch.setattr(type(backend), "set", refused)
    view = SimpleNamespace(throttle_scope="match")
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=uuid.uuid4().hex))
    start = 1_800_000_000.0
    offsets = [0, 1, 2, 3, 30, 59.9, 60, 60.0001, 61, 61.5, 62, 62, 121.9, 122, 300, 300.5, 300.5]
    answers = []
    for offset in offsets:
        ours, theirs = throttling.ResilientScopedRateThrottle(), DrfOwn()
        ours.timer = theirs.timer = lambda at=start + offset: at  # type: ignore[method-assign]
        allowed = ours.allow_request(request, view)
        assert allowed == theirs.allow_request(request, view), offset
        if not allowed:
            assert ours.wait() == pytest.approx(theirs.wait()), offset
        answers.append(allowed)
    assert answers.count(False) >= 4  # the edges were reached: refusals were compared
    assert not throttling.using_fallback()

"""``/healthz``: database, broker and worker heartbeat; a stopped Redis is reported unhealthy.

The checks run in worker threads (django-health-check's executor), so these tests commit
(``transaction=True``): a thread cannot see rows inside the test's open transaction. With
``serialized_rollback`` the flush after each test leaves no half-made rows behind for the next
serialized test (roles and the system user come back from the migration snapshot).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from health_check.exceptions import ServiceUnavailable

from dapolice.health.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def own_cache(settings: Any, request: pytest.FixtureRequest) -> None:
    """A private cache, so the heartbeat key never touches the shared var/ cache or Redis db."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"healthz-{request.node.name}",
        }
    }


@pytest.fixture(autouse=True)
def sweep_is_current(db: None) -> None:
    """The deadline sweep's heartbeat (``Alerting``, tested in test_alerts_sweep.py) counts as
    fresh at any clock here, so these tests see only the checks they are about."""
    from dapolice.alerts.models import Heartbeat
    from dapolice.alerts.services import SWEEP_HEARTBEAT

    Heartbeat.objects.update_or_create(
        name=SWEEP_HEARTBEAT, defaults={"beat_at": datetime(9999, 1, 1, tzinfo=UTC)}
    )


def healthz(client: Any) -> tuple[int, dict[str, str]]:
    response = client.get("/healthz", {"format": "json"})
    return response.status_code, response.json()


def failing(results: dict[str, str]) -> dict[str, str]:
    """Check name (``Broker``, ``Worker``, ...) -> message, for the checks that failed."""
    return {name.split("(")[0]: msg for name, msg in results.items() if msg != "OK"}


def test_healthy_when_the_heartbeat_ran_and_the_broker_answers(client):
    worker_heartbeat()
    status, results = healthz(client)
    assert status == 200, results
    assert {name.split("(")[0] for name in results} >= {"Database", "Broker", "Worker"}


def test_unhealthy_without_a_worker_heartbeat(client):
    status, results = healthz(client)
    assert status == 503
    assert set(failing(results)) == {"Worker"}
    assert failing(results)["Worker"] == "failing"


def test_unhealthy_when_the_heartbeat_is_stale(client):
    # A dead worker is noticed within two heartbeat intervals (issue 13).
    limit = 2 * django_settings.WORKER_HEARTBEAT_SECONDS
    with time_machine.travel(T0, tick=False) as clock:
        worker_heartbeat()
        clock.shift(timedelta(seconds=limit))
        assert healthz(client)[0] == 200
        clock.shift(timedelta(seconds=1))
        status, results = healthz(client)
    assert status == 503
    assert set(failing(results)) == {"Worker"}


def test_healthz_needs_no_sign_in_and_reveals_no_configuration(client):
    worker_heartbeat()
    response = client.get("/healthz", {"format": "json"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "redis://" not in body
    assert django_settings.DATABASES["default"]["NAME"].__str__() not in body


# --- A real Redis that stops ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def throwaway_redis() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A private redis-server on a free port, without persistence; yields (url, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Block on its log until it is ready (pytest-timeout bounds this), rather than sleeping.
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail(f"redis-server exited early with {proc.wait()}")
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_stopped_redis_makes_healthz_unhealthy(client, settings, throwaway_redis):
    url, proc = throwaway_redis
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    worker_heartbeat()
    status, results = healthz(client)
    assert status == 200, results

    proc.terminate()
    proc.wait(timeout=10)

    status, results = healthz(client)
    assert status == 503
    failed = failing(results)
    assert "Broker" in failed
    assert failed["Broker"] == "failing"  # the public output names no cause
    # The worker's heartbeat is a PostgreSQL row: a stopped Redis fails the broker check alone.
    assert set(failed) == {"Broker"}


def test_the_worker_heartbeat_survives_a_redis_restart_that_keeps_nothing(
    client, settings, throwaway_redis
):
    """Issue 13, item 6: /healthz was red for about 20 s after Redis came back, because the
    heartbeat had been a key in a Redis that keeps no data. It is green again at once."""
    url, proc = throwaway_redis
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    worker_heartbeat()
    assert healthz(client)[0] == 200
    port = url.rsplit(":", 1)[1].split("/")[0]
    proc.terminate()
    proc.wait(timeout=10)
    binary = shutil.which("redis-server")
    assert binary is not None
    again = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [binary, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert again.stdout is not None
        for line in again.stdout:
            if "Ready to accept connections" in line:
                break
        status, results = healthz(client)  # no new heartbeat since the restart
        assert status == 200, results
    finally:
        again.terminate()
        again.wait(timeout=10)
        if again.stdout is not None:
            again.stdout.close()


# --- What the public and an administrator see (issue 13, item 6) -----------------------------


@pytest.fixture
def database_down_saying_where(monkeypatch: pytest.MonkeyPatch) -> str:
    """The database check fails with an error text naming the host and port, as psycopg does."""
    from health_check.checks import Database

    text = 'connection to server at "db.internal" (10.1.2.3), port 5432 failed'

    def run(self: Any) -> None:
        raise ServiceUnavailable(text)

    monkeypatch.setattr(Database, "run", run)
    return text


def test_the_public_sees_only_ok_or_failing_and_a_503(client, database_down_saying_where):
    worker_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 503
    results = response.json()
    assert (results["Database"], results["Broker"], results["Worker"]) == ("failing", "OK", "OK")
    assert set(results.values()) <= {"OK", "failing"}
    body = response.content.decode()
    for leak in ("db.internal", "10.1.2.3", "5432"):
        assert leak not in body
    text = client.get("/healthz", {"format": "text"})
    assert text.status_code == 503
    assert "Database: failing\n" in text.content.decode()
    assert "5432" not in text.content.decode()


def test_a_signed_in_administrator_sees_why(
    client, make_user, database_down_saying_where, call_taker
):
    from dapolice.accounts.choices import Role

    worker_heartbeat()
    client.force_login(call_taker)
    assert client.get("/healthz").json()["Database"] == "failing"
    client.force_login(make_user(Role.SYSADMIN))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert database_down_saying_where in response.json()["Database"]

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
    assert status == 500
    assert set(failing(results)) == {"Worker"}
    assert "no worker heartbeat" in failing(results)["Worker"]


def test_unhealthy_when_the_heartbeat_is_stale(client):
    limit = 3 * django_settings.WORKER_HEARTBEAT_SECONDS
    with time_machine.travel(T0, tick=False) as clock:
        worker_heartbeat()
        clock.shift(timedelta(seconds=limit))
        assert healthz(client)[0] == 200
        clock.shift(timedelta(seconds=1))
        status, results = healthz(client)
    assert status == 500
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
    assert status == 500
    failed = failing(results)
    assert "Broker" in failed
    assert "Redis is not answering" in failed["Broker"]
    # The heartbeat lives in the same Redis, so the worker check cannot pass either.
    assert "Worker" in failed
    assert "Database" not in failed

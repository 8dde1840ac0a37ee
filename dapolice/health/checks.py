"""Health checks for ``/healthz`` (django-health-check): database, broker, worker and beat."""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path

import redis
from django.conf import settings
from django.db import DatabaseError
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

#: The worker heartbeat's row in ``alerts.Heartbeat`` (PostgreSQL, not Redis: it survives a Redis
#: restart that keeps no data, so ``/healthz`` is green again as soon as Redis answers; issue 13).
WORKER_HEARTBEAT = "worker"


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers: Redis ``PING``, or the filesystem queue is writable."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        if settings.REDIS_URL:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            )
            try:
                client.ping()
            except redis.RedisError as exc:
                raise ServiceUnavailable("Redis is not answering") from exc
            finally:
                client.close()
        else:
            folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
            if not (folder.is_dir() and os.access(folder, os.W_OK)):
                raise ServiceUnavailable("filesystem broker folder is missing or read-only")


@dataclasses.dataclass
class Worker(HealthCheck):
    """A worker ran the beat-scheduled heartbeat task recently (proves worker *and* beat)."""

    timeout = datetime.timedelta(seconds=3)

    async def run(self) -> None:
        from asgiref.sync import sync_to_async

        from dapolice.alerts.selectors import heartbeat_age

        try:
            # On the request's own thread and connection (as ``Alerting`` does), not on an
            # executor thread that would leave a connection open behind it.
            age = await sync_to_async(heartbeat_age, thread_sensitive=True)(name=WORKER_HEARTBEAT)
        except DatabaseError as exc:  # the Database check names the cause
            raise ServiceUnavailable("cannot read the worker heartbeat") from exc
        if age is None:
            raise ServiceUnavailable("no worker heartbeat yet")
        # Two intervals (issue 13): a dead worker is noticed within two heartbeats.
        if age > 2 * settings.WORKER_HEARTBEAT_SECONDS:
            raise ServiceUnavailable(f"last worker heartbeat {age:.0f} s ago")

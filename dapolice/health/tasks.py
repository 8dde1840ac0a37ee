import time

from celery import shared_task
from django.core.cache import cache

from dapolice.health.checks import HEARTBEAT_KEY


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Scheduled by beat and run by a worker: ``/healthz`` reads how long ago it last ran."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)

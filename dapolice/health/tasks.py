from celery import shared_task

from dapolice.alerts.services import heartbeat_beat
from dapolice.health.checks import WORKER_HEARTBEAT


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Scheduled by beat and run by a worker: ``/healthz`` reads how long ago it last ran (a row
    in PostgreSQL, so a Redis restart loses no heartbeat)."""
    heartbeat_beat(name=WORKER_HEARTBEAT)

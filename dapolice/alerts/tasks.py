"""Celery tasks of the alerts app: primary keys in, one service each, safe to run twice."""

from celery import shared_task
from django.conf import settings

from dapolice.alerts.services import alert_deliver, deadlines_sweep


@shared_task(acks_late=True, ignore_result=True)
def deadlines_scan() -> int:
    """Periodic (beat): the deadline sweep (safe to run twice, or on two workers at once)."""
    return deadlines_sweep()


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=settings.DAPOLICE_ALERT_DELIVERY_RETRIES,
)
def alert_deliver_task(self: object, alert_id: int) -> int:
    """E-mail one alert to its recipients (idempotent: keyed by the alert and each recipient).

    Late acknowledgement and reject-on-worker-lost put a task killed mid-delivery back on the
    queue; the worker's prefetch is 1 (settings). A mail server that is down (``OSError``,
    ``SMTPException``) is retried with back-off a bounded number of times; after that the sweep
    nudges the alert again while it stays undelivered.
    """
    return alert_deliver(alert_id=alert_id)

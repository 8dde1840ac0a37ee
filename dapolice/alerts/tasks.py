from celery import shared_task

from dapolice.alerts.services import deadlines_fire_due


@shared_task(acks_late=True, ignore_result=True)
def deadlines_scan() -> int:
    """Periodic: fire every due deadline (safe to run twice, or on two workers at once)."""
    return deadlines_fire_due()

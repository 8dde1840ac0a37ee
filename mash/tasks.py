"""Celery tasks of the MASH app.

The queue's clocks, referral due times and Operation Encompass notices are ``Deadline`` rows
(set and cancelled by ``mash.services`` in the transaction of the change), fired once by the
alerts app's periodic sweep, which calls this app's handlers in ``mash.receivers``. A clock is
never a countdown task. The one task here only (re)computes deadlines: repeat victims who stopped
calling, from incidents and contacts logged anywhere.
"""

from celery import shared_task

from mash.services import welfare_deadlines_refresh


@shared_task(acks_late=True, ignore_result=True)
def welfare_deadlines_refresh_task() -> int:
    """Periodic (beat, hourly): watch repeat victims who stopped calling (issue 9)."""
    return welfare_deadlines_refresh()

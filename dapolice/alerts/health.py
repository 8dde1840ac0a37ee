"""The ``/healthz`` check of timed work: the deadline sweep's heartbeat (in the database)."""

from __future__ import annotations

import dataclasses
import datetime

from asgiref.sync import sync_to_async
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from dapolice.alerts.selectors import heartbeat_age


@dataclasses.dataclass
class Alerting(HealthCheck):
    """ "Alerting delayed" when the sweep has not completed for two intervals (or ever)."""

    timeout = datetime.timedelta(seconds=3)

    async def run(self) -> None:
        from django.conf import settings

        # Read on the request's own thread and connection (as the view reads the session), not
        # on an executor thread that would leave a connection open behind it.
        age = await sync_to_async(heartbeat_age, thread_sensitive=True)()
        if age is None:
            raise ServiceUnavailable("alerting delayed: the deadline sweep has not run yet")
        if age > 2 * settings.DEADLINE_SCAN_SECONDS:
            raise ServiceUnavailable(f"alerting delayed: last deadline sweep {age:.0f} s ago")

"""The ``/healthz`` check of timed work: the deadline sweep's heartbeat (in the database)."""

from __future__ import annotations

import dataclasses
import datetime

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from dapolice.alerts.selectors import heartbeat_age


@dataclasses.dataclass
class Alerting(HealthCheck):
    """ "Alerting delayed" when the sweep has not completed for two intervals (or ever)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        from django.conf import settings
        from django.db import connection

        # Checks run in worker threads: close the thread's connection after (as the Database
        # check's ``temporary_connection`` does), never one that was open already.
        opened_here = connection.connection is None
        try:
            age = heartbeat_age()
        finally:
            if opened_here:
                connection.close()
        if age is None:
            raise ServiceUnavailable("alerting delayed: the deadline sweep has not run yet")
        if age > 2 * settings.DEADLINE_SCAN_SECONDS:
            raise ServiceUnavailable(f"alerting delayed: last deadline sweep {age:.0f} s ago")

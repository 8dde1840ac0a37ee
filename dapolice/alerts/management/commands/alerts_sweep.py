"""``manage.py alerts_sweep [--loop] [--interval N]``: the deadline sweep without the broker.

Beat publishes the same sweep as a task every ``DAPOLICE_DEADLINE_SCAN_SECONDS``; this command
runs it in-process (healthchecks' ``sendalerts``), so alerts are raised while Redis is down, and
two of them (or one beside beat) share the work safely (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from dapolice.alerts.services import deadlines_sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Raise the alerts of due deadlines (once, or every interval with --loop)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="Sweep until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between sweeps (default DAPOLICE_DEADLINE_SCAN_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or settings.DEADLINE_SCAN_SECONDS
        if not options["loop"]:
            self.stdout.write(f"fired {deadlines_sweep()}")
            return
        stop = {"now": False}

        def _stop(*_: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while not stop["now"]:
            started = time.monotonic()
            try:
                close_old_connections()
                deadlines_sweep()
            except DatabaseError:
                # PostgreSQL unavailable for a moment: try again next interval.
                logger.warning("deadline sweep failed (database unavailable); retrying")
            while not stop["now"] and time.monotonic() - started < interval:
                time.sleep(min(0.5, interval))

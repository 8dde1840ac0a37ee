"""``--suite-clock=<instant>``: run the whole session at another instant, the clock ticking.

A test that depends on the date must set its clock (``time_machine.travel``) or pass the time in;
this option proves it. ``.ci/run`` runs the suite once on the real clock and once on a hard one
(a night the clocks change, a leap day, 400 days ahead), so a test that reads the real clock by
accident fails in CI rather than on the day it happens to break.

The instant is an ISO 8601 date and time with its offset (``2027-10-31T01:30:00+01:00``), or a
shift from the real clock in days (``+400d``, ``-30d``). ``DAPOLICE_SUITE_CLOCK`` is the default.

How it stays consistent: time-machine replaces Python's clock functions process-wide, in every
thread, so Django, the live server's thread, django-axes (lockout attempts and cool-off are
``timezone.now()`` rows), sessions (``expire_date`` compared in Python), signed stamps, TOTP,
DRF's throttle history and Celery (eager in tests) all read the same travelled clock. A test's own
``time_machine.travel`` stacks on top and hands back to the suite clock when it ends. Nothing
outside Python is travelled, and nothing there needs to be:

* PostgreSQL: the product never asks the database for the time (no ``now()`` defaults); every
  timestamp is written from Python.
* Redis: cache entries carry a relative time to live (seconds), so real and travelled time agree.
* Chromium: the browser fixture installs Playwright's clock at Python's "now" in every context
  (``tests/browser/conftest.py``), so countdowns agree with the server.
* Monotonic clocks are not travelled (time-machine leaves ``time.monotonic`` alone): asyncio
  (Playwright's own timeouts), pytest-timeout and connection ages keep real time.
* Child processes (``manage.py check --deploy``) run on the real clock; they read no dates.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

_RELATIVE = re.compile(r"^([+-]\d+)d$")
_TRAVEL = pytest.StashKey[time_machine.travel]()
LONDON = ZoneInfo("Europe/London")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--suite-clock",
        metavar="INSTANT",
        default=os.environ.get("DAPOLICE_SUITE_CLOCK") or None,
        help=(
            "run the whole session at this instant with the clock ticking: ISO 8601 with an "
            "offset (2027-10-31T01:30:00+01:00) or days from now (+400d)"
        ),
    )


def parse_instant(value: str, *, now: datetime | None = None) -> datetime:
    """``2027-10-31T01:30:00+01:00`` or ``+400d`` (days from ``now``) as an aware datetime."""
    relative = _RELATIVE.match(value.strip())
    if relative:
        base = now or datetime.now(tz=UTC)
        return base + timedelta(days=int(relative.group(1)))
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise pytest.UsageError(
            f"--suite-clock={value!r}: give an ISO 8601 instant with its offset "
            "(2027-10-31T01:30:00+01:00) or days from now (+400d)"
        ) from None
    if instant.tzinfo is None:
        raise pytest.UsageError(
            f"--suite-clock={value!r} has no offset: write +00:00 or +01:00, so the instant "
            "is one moment (a London wall-clock time is ambiguous on the night clocks go back)"
        )
    return instant


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("suite_clock")
    if not value:
        return
    travel = time_machine.travel(parse_instant(value), tick=True)
    travel.start()
    config.stash[_TRAVEL] = travel


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(_TRAVEL, None)
    if travel is not None:
        travel.stop()
        del config.stash[_TRAVEL]


def pytest_report_header(config: pytest.Config) -> str | None:
    if _TRAVEL not in config.stash:
        return None
    now = datetime.now(tz=LONDON)
    return f"suite clock: {now.isoformat(timespec='seconds')} Europe/London ({now:%Z}), ticking"

"""``--suite-clock``: the whole session runs at the instant given, the clock ticking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.plugins.suite_clock import parse_instant

pytest_plugins = ["pytester"]

INNER_TEST = """
from datetime import UTC, datetime
import time

def test_the_session_runs_at_the_instant_given():
    first = datetime.now(tz=UTC)
    assert first.isoformat().startswith("2027-10-31T00:30")
    # Ticking, not frozen: a thousand readings are not all the same.
    assert len({time.time_ns() for _ in range(1000)}) > 1
"""


def test_an_instant_is_iso_8601_with_its_offset():
    assert parse_instant("2027-10-31T01:30:00+01:00") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert parse_instant("2028-02-29T12:00:00+00:00").utcoffset() == timedelta(0)


def test_a_shift_is_days_from_now():
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_instant("+400d", now=now) == now + timedelta(days=400)
    assert parse_instant("-30d", now=now) == now - timedelta(days=30)


@pytest.mark.parametrize("value", ["2027-10-31T01:30:00", "tomorrow", "400d"])
def test_a_wall_clock_time_or_a_word_is_refused(value):
    # 01:30 on 31 October 2027 happens twice in London: without an offset it is not one instant.
    with pytest.raises(pytest.UsageError):
        parse_instant(value)


def test_the_option_travels_every_test_of_the_session(pytester):
    pytester.makepyfile(INNER_TEST)
    result = pytester.runpytest_inprocess(
        "-p", "no:django", "-p", "no:cacheprovider", "-p", "tests.plugins.suite_clock",
        "--suite-clock=2027-10-31T01:30:00+01:00",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    assert any("suite clock: 2027-10-31T01:30" in line for line in result.outlines)

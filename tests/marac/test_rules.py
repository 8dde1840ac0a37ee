"""The MARAC rules as pure functions (``marac/rules.py``), edge by edge, without a database.

``make mutate MODULE=marac/rules.py`` runs the module's mutants against this file alone,
so every rule is pinned here and not only through a service or a page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marac import rules
from marac.rules import Candidate

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


# --- Settings read by the rules ------------------------------------------------------------------


def test_the_numbers_come_from_the_settings(settings):
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 7
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 5
    assert rules.repeat_months() == 7
    assert rules.cases_per_meeting() == 5
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = "9"
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = "3"
    assert rules.repeat_months() == 9
    assert rules.cases_per_meeting() == 3


# --- Repeat MARAC --------------------------------------------------------------------------------


def test_repeat_until_is_calendar_months_after_the_last_referral(settings):
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 12
    assert rules.repeat_until(T0) == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert rules.repeat_until(T0, months=3) == datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 6
    assert rules.repeat_until(T0) == datetime(2026, 9, 2, 10, 0, tzinfo=UTC)
    # The end of a month clamps (31 January + 1 month is 28 February).
    end_jan = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)
    assert rules.repeat_until(end_jan, months=1) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)


def test_is_repeat_at_both_edges_of_the_window(settings):
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 12
    end = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert rules.is_repeat(incident_at=T0, last_referral_at=None) is False
    assert rules.is_repeat(incident_at=T0 - TICK, last_referral_at=T0) is False
    assert rules.is_repeat(incident_at=T0, last_referral_at=T0) is True
    assert rules.is_repeat(incident_at=end, last_referral_at=T0) is True
    assert rules.is_repeat(incident_at=end + TICK, last_referral_at=T0) is False
    # An explicit window wins over the setting, at its own edges.
    three = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    assert rules.is_repeat(incident_at=three, last_referral_at=T0, months=3) is True
    assert rules.is_repeat(incident_at=three + TICK, last_referral_at=T0, months=3) is False
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 3
    assert rules.is_repeat(incident_at=three + TICK, last_referral_at=T0) is False
    assert rules.is_repeat(incident_at=three + TICK, last_referral_at=T0, months=12) is True


# --- The agenda ----------------------------------------------------------------------------------


def _c(pk: int, minutes: int) -> Candidate:
    return Candidate(pk=pk, referred_at=T0 + timedelta(minutes=minutes), is_repeat=False)


def test_the_agenda_takes_referrals_made_by_the_cutoff_oldest_first(settings):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 16
    cutoff = T0 + timedelta(minutes=10)
    candidates = [_c(5, 5), _c(1, 10), _c(9, 0), _c(3, 11), _c(2, 5)]
    # At the cut-off is in, a moment after waits; ties in time go by id.
    assert rules.agenda(candidates, cutoff_at=cutoff) == [9, 2, 5, 1]
    assert rules.agenda(candidates, cutoff_at=cutoff - TICK) == [9, 2, 5]
    assert rules.agenda([], cutoff_at=cutoff) == []


def test_the_agenda_is_capped_by_the_setting_or_the_limit(settings):
    cutoff = T0 + timedelta(hours=1)
    candidates = [_c(pk, pk) for pk in (4, 3, 2, 1)]
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 2
    assert rules.agenda(candidates, cutoff_at=cutoff) == [1, 2]
    assert rules.agenda(candidates, cutoff_at=cutoff, limit=3) == [1, 2, 3]
    assert rules.agenda(candidates, cutoff_at=cutoff, limit=0) == []
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 16
    assert rules.agenda(candidates, cutoff_at=cutoff) == [1, 2, 3, 4]


def test_slots_follow_the_minutes_per_case(settings):
    settings.DAPOLICE_MARAC_MINUTES_PER_CASE = 15
    assert rules.slot(T0, 1) == T0
    assert rules.slot(T0, 2) == T0 + timedelta(minutes=15)
    assert rules.slot(T0, 3) == T0 + timedelta(minutes=30)
    assert rules.slot(T0, 3, minutes=20) == T0 + timedelta(minutes=40)
    settings.DAPOLICE_MARAC_MINUTES_PER_CASE = 10
    assert rules.slot(T0, 4) == T0 + timedelta(minutes=30)


def test_meetings_keep_their_local_time_across_the_clock_change(settings):
    settings.DAPOLICE_MARAC_MEETING_EVERY_DAYS = 14
    first = datetime(2027, 3, 18, 10, 0, tzinfo=LONDON)  # GMT; BST from 28 March
    meetings = rules.schedule(first, 3)
    assert meetings == [
        datetime(2027, 3, 18, 10, 0, tzinfo=LONDON),
        datetime(2027, 4, 1, 10, 0, tzinfo=LONDON),
        datetime(2027, 4, 15, 10, 0, tzinfo=LONDON),
    ]
    assert meetings[1].astimezone(UTC).hour == 9
    assert [m.utcoffset() for m in meetings] == [timedelta(0), timedelta(hours=1)] + [
        timedelta(hours=1)
    ]
    # Given in UTC, the time is still read as London's wall clock.
    assert rules.schedule(first.astimezone(UTC), 2)[1] == datetime(2027, 4, 1, 10, 0, tzinfo=LONDON)
    assert rules.schedule(first, 2, every_days=7)[1] == datetime(2027, 3, 25, 10, 0, tzinfo=LONDON)
    settings.DAPOLICE_MARAC_MEETING_EVERY_DAYS = 28
    assert rules.schedule(first, 2)[1] == datetime(2027, 4, 15, 10, 0, tzinfo=LONDON)
    assert rules.schedule(first, 0) == []
    assert len(rules.schedule(first, 5)) == 5


def test_the_cutoff_is_days_before_at_the_same_local_time(settings):
    settings.DAPOLICE_MARAC_CUTOFF_DAYS = 7
    held = datetime(2027, 4, 1, 10, 0, tzinfo=LONDON)  # BST; a week before is GMT
    assert rules.default_cutoff(held) == datetime(2027, 3, 25, 10, 0, tzinfo=LONDON)
    assert rules.default_cutoff(held).utcoffset() == timedelta(0)
    assert rules.default_cutoff(held.astimezone(UTC)) == datetime(2027, 3, 25, 10, 0, tzinfo=LONDON)
    assert rules.default_cutoff(held, days=3) == datetime(2027, 3, 29, 10, 0, tzinfo=LONDON)
    settings.DAPOLICE_MARAC_CUTOFF_DAYS = 2
    assert rules.default_cutoff(held) == datetime(2027, 3, 30, 10, 0, tzinfo=LONDON)


# --- Action clocks -------------------------------------------------------------------------------


def test_overdue_from_local_midnight_after_the_due_day():
    summer = date(2026, 7, 10)
    assert rules.overdue_at(summer) == datetime(2026, 7, 10, 23, 0, tzinfo=UTC)
    assert rules.overdue_at(summer).utcoffset() == timedelta(hours=1)
    winter = date(2026, 12, 10)
    assert rules.overdue_at(winter) == datetime(2026, 12, 11, 0, 0, tzinfo=UTC)
    at = rules.overdue_at(summer)
    assert rules.is_overdue(due_on=summer, done=False, now=at - TICK) is False
    assert rules.is_overdue(due_on=summer, done=False, now=at) is True
    assert rules.is_overdue(due_on=summer, done=True, now=at) is False
    assert rules.is_overdue(due_on=summer, done=True, now=at - TICK) is False


def test_due_soon_from_the_start_of_the_day_days_before(settings):
    settings.DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS = 2
    due = date(2026, 7, 10)
    soon = datetime(2026, 7, 7, 23, 0, tzinfo=UTC)  # 8 July 00:00 BST
    assert rules.due_soon_at(due) == soon
    assert rules.due_soon_at(due, days=5) == datetime(2026, 7, 4, 23, 0, tzinfo=UTC)
    assert rules.is_due_soon(due_on=due, done=False, now=soon - TICK) is False
    assert rules.is_due_soon(due_on=due, done=False, now=soon) is True
    over = rules.overdue_at(due)
    assert rules.is_due_soon(due_on=due, done=False, now=over - TICK) is True
    assert rules.is_due_soon(due_on=due, done=False, now=over) is False
    assert rules.is_due_soon(due_on=due, done=True, now=soon) is False
    settings.DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS = 4
    assert rules.due_soon_at(due) == datetime(2026, 7, 5, 23, 0, tzinfo=UTC)
    assert rules.is_due_soon(due_on=due, done=False, now=soon - TICK) is True


def test_percent_rounds_and_is_none_with_nothing_to_count():
    assert rules.percent(0, 0) is None
    assert rules.percent(3, 0) is None
    assert rules.percent(0, 4) == 0
    assert rules.percent(1, 1) == 100
    assert rules.percent(1, 3) == 33
    assert rules.percent(2, 3) == 67
    assert rules.percent(7, 8) == 88


# --- The quarterly return ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 1, 1), (2026, 1)),
        (date(2026, 3, 31), (2026, 1)),
        (date(2026, 4, 1), (2026, 2)),
        (date(2026, 6, 30), (2026, 2)),
        (date(2026, 7, 1), (2026, 3)),
        (date(2026, 9, 30), (2026, 3)),
        (date(2026, 10, 1), (2026, 4)),
        (date(2027, 12, 31), (2027, 4)),
    ],
)
def test_quarter_of_a_day(day, quarter):
    assert rules.quarter_of(day) == quarter


def test_quarter_bounds_are_local_calendar_quarters():
    assert rules.quarter_bounds(2026, 1) == (
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 23, 0, tzinfo=UTC),  # 1 April 00:00 BST
    )
    assert rules.quarter_bounds(2026, 2) == (
        datetime(2026, 3, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 0, tzinfo=UTC),
    )
    assert rules.quarter_bounds(2026, 4) == (
        datetime(2026, 10, 1, 0, 0, tzinfo=LONDON),
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    )
    for wrong in (0, 5, -1):
        with pytest.raises(ValueError, match="^quarter must be 1 to 4$"):
            rules.quarter_bounds(2026, wrong)


# --- The re-assessment after the actions ---------------------------------------------------------


def test_the_chase_comes_the_configured_days_after_the_request(settings):
    settings.DAPOLICE_MARAC_REASSESS_DAYS = 14
    assert rules.reassess_chase_at(T0) == T0 + timedelta(days=14)
    assert rules.reassess_chase_at(T0, days=3) == T0 + timedelta(days=3)
    settings.DAPOLICE_MARAC_REASSESS_DAYS = 5
    assert rules.reassess_chase_at(T0) == T0 + timedelta(days=5)


@pytest.mark.parametrize(
    ("before", "after", "say"),
    [
        ("high", "medium", "reduced"),
        ("high", "standard", "reduced"),
        ("medium", "standard", "reduced"),
        ("high", "high", "same"),
        ("medium", "medium", "same"),
        ("standard", "standard", "same"),
        ("standard", "medium", "increased"),
        ("medium", "high", "increased"),
        ("standard", "high", "increased"),
        ("", "medium", "unknown"),
        ("high", "", "unknown"),
        ("", "", "unknown"),
        ("very high", "high", "unknown"),
        ("high", "low", "unknown"),
    ],
)
def test_what_the_levels_before_and_after_say(before, after, say):
    assert rules.risk_change(before, after) == say


@pytest.mark.parametrize(
    ("outcome", "levels_say", "needs"),
    [
        ("reduced", "reduced", False),
        ("same", "same", False),
        ("same", "reduced", True),
        ("reduced", "same", True),
        ("unknown", "increased", True),
        ("reduced", "unknown", False),
        ("unknown", "unknown", False),
    ],
)
def test_an_outcome_other_than_the_levels_say_needs_a_reason(outcome, levels_say, needs):
    assert rules.outcome_needs_reason(outcome=outcome, levels_say=levels_say) is needs

"""The MARAC rules as pure functions (no database): repeat MARAC, the agenda (which referrals,
in what order, their time slots), action clocks (due soon, overdue), completion rates and the
quarterly return's quarter.

Settings give the numbers (README, "Configuration"). Dates are Europe/London (``TIME_ZONE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings

from marac.choices import RiskOutcome
from risk.choices import LEVEL_RANK, Level

# --- Repeat MARAC --------------------------------------------------------------------------------


def repeat_months() -> int:
    return int(settings.DAPOLICE_MARAC_REPEAT_MONTHS)


def cases_per_meeting() -> int:
    return int(settings.DAPOLICE_MARAC_CASES_PER_MEETING)


def repeat_until(last_referral_at: datetime, *, months: int | None = None) -> datetime:
    """The last moment a new incident still makes a repeat MARAC: ``months`` calendar months
    (``DAPOLICE_MARAC_REPEAT_MONTHS``, 12) after the last referral, that moment included."""
    months = settings.DAPOLICE_MARAC_REPEAT_MONTHS if months is None else months
    return last_referral_at + relativedelta(months=months)


def is_repeat(
    *, incident_at: datetime, last_referral_at: datetime | None, months: int | None = None
) -> bool:
    """A DA incident within the window after the victim's last MARAC referral (exactly 12
    months still repeat; a moment after is a new referral, not a repeat)."""
    if last_referral_at is None:
        return False
    return last_referral_at <= incident_at <= repeat_until(last_referral_at, months=months)


# --- The agenda ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A referral waiting for a meeting, as the agenda rule sees it."""

    pk: int
    referred_at: datetime
    is_repeat: bool


def agenda(
    candidates: Sequence[Candidate], *, cutoff_at: datetime, limit: int | None = None
) -> list[int]:
    """The ids listed on a meeting's agenda, in order: referrals made at or before the cut-off,
    the oldest first (a referral made after the cut-off waits for the next meeting), at most
    ``DAPOLICE_MARAC_CASES_PER_MEETING``; the rest wait, oldest first, for the next one."""
    limit = settings.DAPOLICE_MARAC_CASES_PER_MEETING if limit is None else limit
    ready = sorted(
        (c for c in candidates if c.referred_at <= cutoff_at), key=lambda c: (c.referred_at, c.pk)
    )
    return [c.pk for c in ready[:limit]]


def slot(held_at: datetime, position: int, *, minutes: int | None = None) -> datetime:
    """When the case at ``position`` (1 first) is discussed."""
    minutes = settings.DAPOLICE_MARAC_MINUTES_PER_CASE if minutes is None else minutes
    return held_at + timedelta(minutes=minutes * (position - 1))


def schedule(first_at: datetime, count: int, *, every_days: int | None = None) -> list[datetime]:
    """``count`` meetings from ``first_at``, every ``DAPOLICE_MARAC_MEETING_EVERY_DAYS`` days,
    at the same local wall-clock time (across a clock change)."""
    every = settings.DAPOLICE_MARAC_MEETING_EVERY_DAYS if every_days is None else every_days
    zone = ZoneInfo(settings.TIME_ZONE)
    local = first_at.astimezone(zone)
    return [
        datetime.combine(
            local.date() + timedelta(days=every * i), local.timetz().replace(tzinfo=None), zone
        )
        for i in range(count)
    ]


def default_cutoff(held_at: datetime, *, days: int | None = None) -> datetime:
    """The agenda's cut-off: ``DAPOLICE_MARAC_CUTOFF_DAYS`` before the meeting, same time."""
    days = settings.DAPOLICE_MARAC_CUTOFF_DAYS if days is None else days
    zone = ZoneInfo(settings.TIME_ZONE)
    local = held_at.astimezone(zone)
    return datetime.combine(
        local.date() - timedelta(days=days), local.timetz().replace(tzinfo=None), zone
    )


# --- Action clocks -------------------------------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), ZoneInfo(settings.TIME_ZONE))


def overdue_at(due_on: date) -> datetime:
    """An action due on a day is overdue from the first moment of the next day (local time)."""
    return _local_midnight(due_on + timedelta(days=1))


def due_soon_at(due_on: date, *, days: int | None = None) -> datetime:
    """From when an action is "due soon": ``DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS`` days before
    its due date, at the start of that day."""
    days = settings.DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS if days is None else days
    return _local_midnight(due_on - timedelta(days=days))


def is_overdue(*, due_on: date, done: bool, now: datetime) -> bool:
    return not done and now >= overdue_at(due_on)


def is_due_soon(*, due_on: date, done: bool, now: datetime) -> bool:
    return not done and due_soon_at(due_on) <= now < overdue_at(due_on)


def percent(part: int, whole: int) -> int | None:
    """A whole-number percentage, or None when there is nothing to count."""
    if whole == 0:
        return None
    return round(100 * part / whole)


# --- The quarterly return ------------------------------------------------------------------------


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter 1-4) of a calendar date."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter in local time."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1 to 4")
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = start + relativedelta(months=3)
    return _local_midnight(start), _local_midnight(end)


# --- The re-assessment after the actions ---------------------------------------------------------


def reassess_chase_at(requested_at: datetime, *, days: int | None = None) -> datetime:
    """When the coordinator is told that the re-assessment asked for has not come:
    ``DAPOLICE_MARAC_REASSESS_DAYS`` (14) days after the request."""
    days = settings.DAPOLICE_MARAC_REASSESS_DAYS if days is None else days
    return requested_at + timedelta(days=days)


def risk_change(before: str, after: str) -> str:
    """Whether the actions reduced the victim's risk, from the level before the meeting and the
    level re-assessed after the actions: a lower level is "reduced", the same "no change", a
    higher one "increased"; without a level on either side, "not known"."""
    if before not in LEVEL_RANK or after not in LEVEL_RANK:
        return RiskOutcome.UNKNOWN
    rank_before, rank_after = LEVEL_RANK[Level(before)], LEVEL_RANK[Level(after)]
    if rank_after < rank_before:
        return RiskOutcome.REDUCED
    if rank_after == rank_before:
        return RiskOutcome.SAME
    return RiskOutcome.INCREASED


def outcome_needs_reason(*, outcome: str, levels_say: str) -> bool:
    """The coordinator may record an outcome other than what the two levels say (the levels
    are the same but the actions removed the danger), but then says why: a reason is needed
    when the levels say something ("not known" says nothing) and the outcome differs."""
    return levels_say != RiskOutcome.UNKNOWN and outcome != levels_say

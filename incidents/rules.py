"""Pure rules of call intake: the attendance target, a trustworthy call start, the reference.

No database access and no models (import-linter keeps it so): the services, the forms, the API
and the synthetic-data generator all call these functions, so each rule has one implementation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import ATTENDANCE_BREACH, ATTENDANCE_ESCALATION, ATTENDANCE_WARNING


class HasTargetMinutes(Protocol):
    """An attendance grade (``AttendanceCategory``): its target minutes, urban or rural."""

    def minutes_for(self, *, rural: bool) -> int: ...


def attendance_target(
    *, received_at: datetime, category: HasTargetMinutes, rural: bool
) -> tuple[int, datetime]:
    """The grade's target minutes (urban or rural) and the moment they run out."""
    minutes = category.minutes_for(rural=rural)
    return minutes, received_at + timedelta(minutes=minutes)


def call_start_problem(received_at: datetime, *, any_age: bool = False) -> str | None:
    """Why a call-start time cannot be trusted, or None.

    The deadline runs from it, so it may be neither in the future nor (from a client: the form's
    stamp, the API) older than a call can last (``DAPOLICE_MAX_CALL_MINUTES``): backdating would
    shorten, and a stale time lengthen, nothing else. ``any_age`` lifts the age limit for the
    service's own callers (an import, a test with the clock set).
    """
    now = timezone.now()
    if received_at > now + timedelta(minutes=1):
        return _("The call cannot start in the future.")
    if any_age:
        return None
    if received_at < now - timedelta(minutes=settings.DAPOLICE_MAX_CALL_MINUTES):
        return _("The call started more than %(m)d minutes ago; log it with the current time.") % {
            "m": settings.DAPOLICE_MAX_CALL_MINUTES
        }
    return None


def incident_reference(*, pk: int, received_at: datetime) -> str:
    """``DA-2026-000123``: unique because the number is the primary key; gaps are harmless.

    The year is the call's, in the force's time zone (a call at 00:30 on 1 January, London time,
    belongs to the new year).
    """
    prefix = settings.DAPOLICE_INCIDENT_REFERENCE_PREFIX
    year = timezone.localtime(received_at).year
    return f"{prefix}-{year}-{pk:06d}"


def attendance_alert_times(*, deadline_at: datetime) -> dict[str, datetime | None]:
    """When the attendance alerts of an open incident are due, by deadline kind.

    The warning (``DAPOLICE_ATTENDANCE_WARNING_MINUTES`` before the deadline) only while the
    deadline is still ahead: a call logged, regraded or deferred to a moment already past gets
    the breach, not a warning as well (``None`` cancels it). The escalation follows the breach
    by ``DAPOLICE_ATTENDANCE_ESCALATION_MINUTES``.
    """
    warning_at = deadline_at - timedelta(minutes=settings.DAPOLICE_ATTENDANCE_WARNING_MINUTES)
    return {
        ATTENDANCE_WARNING: warning_at if deadline_at > timezone.now() else None,
        ATTENDANCE_BREACH: deadline_at,
        ATTENDANCE_ESCALATION: deadline_at
        + timedelta(minutes=settings.DAPOLICE_ATTENDANCE_ESCALATION_MINUTES),
    }


# --- Working days (Victims' Code timescales) ----------------------------------------------------


@lru_cache(maxsize=8)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=[year]).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday, not a bank holiday of ``DAPOLICE_BANK_HOLIDAY_REGION``."""
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(settings.DAPOLICE_BANK_HOLIDAY_REGION, day.year)


def working_days_after(moment: datetime, days: int) -> datetime:
    """The same local time of day ``days`` working days after ``moment``: 1 working day after
    a Friday 15:00 is Monday 15:00 (Tuesday after a bank holiday Monday); after a Saturday,
    Monday (the weekend does not count). Local time, so a change of the clocks keeps the hour."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=zone)

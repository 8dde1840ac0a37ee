"""The MASH rules as pure functions (no database, no writes): which reviewed DASHes enter the
queue (with the reproducible sample), MASH hours, the queue clocks, referral due dates, the
Operation Encompass due time, safe-contact times and the IDVA rate.

Services and selectors both use them; settings give the numbers (README, "Configuration").
Times of day are Europe/London wall-clock times (``TIME_ZONE``), so they follow BST.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils.translation import gettext as _

from mash.choices import LEVEL_PRIORITY, EntryReason, ReferralKind
from risk.choices import Level

# --- Which reviewed DASHes enter the queue -------------------------------------------------------

#: The draw is the first 8 bytes of the HMAC as a fraction of 2**64.
_DRAW_SCALE = float(2**64)


def sample_draw(assessment_id: int, *, key: str | None = None) -> float:
    """A number in [0, 1) fixed for ``assessment_id`` by the keyed hash (HMAC-SHA256 with
    ``DAPOLICE_MASH_SAMPLE_KEY``): anyone holding the key can recompute it, nobody without the
    key can predict or steer it."""
    secret = (key if key is not None else settings.DAPOLICE_MASH_SAMPLE_KEY).encode()
    digest = hmac.new(secret, f"mash.sample:{assessment_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _DRAW_SCALE


def in_sample(assessment_id: int, *, percent: float | None = None, key: str | None = None) -> bool:
    """True when a standard DASH falls in the sample (``DAPOLICE_MASH_SAMPLE_PERCENT``)."""
    rate = settings.DAPOLICE_MASH_SAMPLE_PERCENT if percent is None else percent
    return sample_draw(assessment_id, key=key) < rate / 100.0


def entry_reason(
    *, assessment_id: int, level: str, children_present: bool, percent: float | None = None
) -> str | None:
    """Why a reviewed DASH enters the MASH queue, or None when it does not: every high and
    medium; a standard one with children present (children's services and Operation Encompass
    go through the MASH); and the reproducible sample of the other standard ones."""
    if level == Level.HIGH:
        return EntryReason.HIGH
    if level == Level.MEDIUM:
        return EntryReason.MEDIUM
    if children_present:
        return EntryReason.CHILDREN
    if in_sample(assessment_id, percent=percent):
        return EntryReason.SAMPLE
    return None


def reason_label(reason: str, sample_percent: float | None) -> str:
    """'High', 'Medium', 'Standard — children present', 'Standard — in the 10% sample'."""
    if reason == EntryReason.SAMPLE:
        return _("Standard — in the %(p)s%% sample") % {"p": _percent(sample_percent)}
    return str(EntryReason(reason).label)


def _percent(value: float | None) -> str:
    value = settings.DAPOLICE_MASH_SAMPLE_PERCENT if value is None else value
    return f"{value:g}"


def priority(level: str) -> int:
    return LEVEL_PRIORITY[Level(level)]


# --- MASH hours and the queue clocks -------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_clock(value: str) -> time:
    """'08:30' -> 08:30 (settings carry times of day as text)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_mash_hours(at: datetime) -> bool:
    """True from ``DAPOLICE_MASH_DAY_START`` (inclusive) until ``DAPOLICE_MASH_DAY_END``
    (exclusive), local time: 08:00 and 21:59 are MASH hours, 22:00 and 07:59 are not."""
    local = at.astimezone(local_zone()).time()
    start = parse_clock(settings.DAPOLICE_MASH_DAY_START)
    end = parse_clock(settings.DAPOLICE_MASH_DAY_END)
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a MASH day running past midnight


@dataclass(frozen=True)
class Clocks:
    start_due_at: datetime | None
    due_at: datetime


def clocks(*, level: str, arrived_at: datetime) -> Clocks:
    """High risk is started within ``DAPOLICE_MASH_HIGH_START_MINUTES``; every item has its
    secondary assessment within ``DAPOLICE_MASH_COMPLETE_HOURS``."""
    start = None
    if level == Level.HIGH:
        start = arrived_at + timedelta(minutes=settings.DAPOLICE_MASH_HIGH_START_MINUTES)
    return Clocks(
        start_due_at=start,
        due_at=arrived_at + timedelta(hours=settings.DAPOLICE_MASH_COMPLETE_HOURS),
    )


def goes_to_duty_sergeant(*, level: str, arrived_at: datetime) -> bool:
    """High risk arriving out of MASH hours goes to the on-duty detective sergeant."""
    return level == Level.HIGH and not in_mash_hours(arrived_at)


# --- Referrals ---------------------------------------------------------------------------------


def referral_due(*, kind: str, made_at: datetime, asked: datetime | None = None) -> datetime:
    """When a referral is due: the sanctuary survey within ``DAPOLICE_MASH_SANCTUARY_HOURS``
    (never later, whatever is asked), any other by the date asked or else
    ``DAPOLICE_MASH_REFERRAL_DAYS`` after it was made."""
    if kind == ReferralKind.SANCTUARY:
        limit = made_at + timedelta(hours=settings.DAPOLICE_MASH_SANCTUARY_HOURS)
        return min(asked, limit) if asked is not None and asked >= made_at else limit
    if asked is not None:
        return asked
    return made_at + timedelta(days=settings.DAPOLICE_MASH_REFERRAL_DAYS)


@dataclass(frozen=True)
class Rate:
    """The IDVA rate: high-risk victims supported by an IDVA against the force target."""

    supported: int
    referred: int
    total: int
    target: int

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else round(100.0 * self.supported / self.total, 1)

    @property
    def meets_target(self) -> bool | None:
        return None if self.percent is None else self.percent >= self.target


# --- Operation Encompass -----------------------------------------------------------------------


@lru_cache(maxsize=8)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=[year]).keys())


def is_school_day(day: date) -> bool:
    """Monday to Friday, not a bank holiday of ``DAPOLICE_BANK_HOLIDAY_REGION`` (England and
    Wales share them). School terms vary by school and are not known: a notice due in a school
    holiday is still due on the next such day, which is only ever early."""
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(settings.DAPOLICE_BANK_HOLIDAY_REGION, day.year)


def encompass_due(incident_at: datetime) -> datetime:
    """The start of the next school day after ``incident_at`` (``DAPOLICE_SCHOOL_DAY_START``,
    local time): an incident at 02:00 on a Tuesday is due by 08:30 that Tuesday; one at 18:00
    on a Friday by 08:30 on Monday, or Tuesday after a bank holiday Monday."""
    zone = local_zone()
    start = parse_clock(settings.DAPOLICE_SCHOOL_DAY_START)
    local = incident_at.astimezone(zone)
    day = local.date()
    while True:
        if is_school_day(day):
            moment = datetime.combine(day, start, tzinfo=zone)
            if moment > local:
                return moment
        day += timedelta(days=1)


# --- Safe contact ------------------------------------------------------------------------------


def within_safe_times(at: datetime, *, safe_from: time | None, safe_until: time | None) -> bool:
    """True when ``at`` (local time) is inside the victim's safe window (no window: any time)."""
    if safe_from is None or safe_until is None:
        return True
    local = at.astimezone(local_zone()).time()
    if safe_from <= safe_until:
        return safe_from <= local < safe_until
    return local >= safe_from or local < safe_until

"""The MASH rules as pure functions, at their edges (no database).

Written against the survivors of ``make mutate MODULE=mash/rules.py``: each test pins a rule of
the MASH queue, its clocks, referrals, Operation Encompass or safe contact that a mutant broke
without any other test noticing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from mash import rules
from mash.choices import EntryReason, ReferralKind

LONDON = ZoneInfo("Europe/London")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- The sample --------------------------------------------------------------------------------


@override_settings(DAPOLICE_MASH_SAMPLE_KEY="audit-key")
def test_anyone_holding_the_key_can_recompute_the_draw():
    """The draw is published as HMAC-SHA256 over ``mash.sample:<id>``, its first 8 bytes as a
    fraction of 2**64: an auditor recomputes it without the application."""
    for assessment_id in (1, 42, 123456):
        digest = hmac.new(
            b"audit-key", f"mash.sample:{assessment_id}".encode(), hashlib.sha256
        ).digest()
        expected = int.from_bytes(digest[:8], "big") / 2**64
        assert rules.sample_draw(assessment_id) == expected
        assert rules.sample_draw(assessment_id, key="audit-key") == expected
        assert rules.sample_draw(assessment_id, key="other") != expected


def _id_with_draw(low: float, high: float) -> int:
    return next(i for i in range(1, 100_000) if low <= rules.sample_draw(i) < high)


def test_the_sample_boundary_is_the_rate_as_a_fraction():
    just_in = _id_with_draw(0.099, 0.1)
    just_out = _id_with_draw(0.1, 0.101)
    assert rules.in_sample(just_in, percent=10)
    assert not rules.in_sample(just_out, percent=10)
    with override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=10.0):
        assert rules.in_sample(just_in)
        assert not rules.in_sample(just_out)
    with override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=0.0):
        assert rules.in_sample(just_out, percent=10.1)  # the argument wins over the setting


def test_the_entry_reason_uses_the_rate_it_is_given():
    out_at_ten = _id_with_draw(0.5, 0.6)
    assert (
        rules.entry_reason(assessment_id=out_at_ten, level="standard", children_present=False)
        is None
    )
    assert (
        rules.entry_reason(
            assessment_id=out_at_ten, level="standard", children_present=False, percent=100
        )
        == EntryReason.SAMPLE
    )
    sampled = _id_with_draw(0.0, 0.05)
    assert (
        rules.entry_reason(
            assessment_id=sampled, level="standard", children_present=False, percent=0
        )
        is None
    )


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=7.5)
def test_the_sample_label_shows_the_configured_rate():
    assert rules.reason_label("sample", None) == "Standard — in the 7.5% sample"
    assert rules.reason_label("children", None) == "Standard — children present"


def test_priority_follows_the_level():
    assert rules.priority("high") > rules.priority("medium") > rules.priority("standard")


# --- MASH hours --------------------------------------------------------------------------------


@override_settings(DAPOLICE_MASH_DAY_START="20:00", DAPOLICE_MASH_DAY_END="02:30")
def test_a_mash_day_running_past_midnight():
    assert not rules.in_mash_hours(local(2026, 12, 1, 19, 59))
    assert rules.in_mash_hours(local(2026, 12, 1, 20, 0))
    assert rules.in_mash_hours(local(2026, 12, 2, 0, 0))
    assert rules.in_mash_hours(local(2026, 12, 2, 2, 29))
    assert not rules.in_mash_hours(local(2026, 12, 2, 2, 30))
    assert not rules.in_mash_hours(local(2026, 12, 2, 12, 0))


@override_settings(DAPOLICE_MASH_DAY_START="08:00", DAPOLICE_MASH_DAY_END="08:00")
def test_a_mash_day_from_a_time_until_the_same_time_has_no_hours():
    """From the start (inclusive) until the end (exclusive): an empty day, so every high-risk
    case goes to the on-duty detective sergeant."""
    for hour in (0, 7, 8, 12, 23):
        assert not rules.in_mash_hours(local(2026, 12, 1, hour, 0))
    assert rules.goes_to_duty_sergeant(level="high", arrived_at=local(2026, 12, 1, 12, 0))


def test_clock_times_are_parsed_as_hours_and_minutes():
    assert rules.parse_clock("08:30") == time(8, 30)
    assert rules.parse_clock("23:05") == time(23, 5)


@override_settings(DAPOLICE_MASH_COMPLETE_HOURS=12)
def test_the_secondary_assessment_deadline_is_configuration():
    at = local(2026, 12, 1, 10, 0)
    assert rules.clocks(level="standard", arrived_at=at).due_at == at + timedelta(hours=12)


# --- Referrals ---------------------------------------------------------------------------------


def test_a_sanctuary_survey_asked_for_at_once_or_for_the_past():
    made = local(2026, 12, 1, 10, 0)
    limit = made + timedelta(hours=48)
    kind = ReferralKind.SANCTUARY
    assert rules.referral_due(kind=kind, made_at=made, asked=made) == made
    assert rules.referral_due(kind=kind, made_at=made, asked=limit) == limit
    # A date before the referral was made is a mistake: the 48 hours apply.
    before = made - timedelta(hours=1)
    assert rules.referral_due(kind=kind, made_at=made, asked=before) == limit
    with override_settings(DAPOLICE_MASH_SANCTUARY_HOURS=24):
        assert rules.referral_due(kind=kind, made_at=made) == made + timedelta(hours=24)


@override_settings(DAPOLICE_MASH_REFERRAL_DAYS=3)
def test_the_usual_days_for_a_referral_are_configuration():
    made = local(2026, 12, 1, 10, 0)
    assert rules.referral_due(kind=ReferralKind.IDVA, made_at=made) == made + timedelta(days=3)


@pytest.mark.parametrize(
    ("supported", "total", "percent", "meets"),
    [(1, 3, 33.3, False), (2, 3, 66.7, False), (95, 100, 95.0, True), (3, 3, 100.0, True)],
)
def test_the_idva_rate_is_a_percentage_to_one_decimal(supported, total, percent, meets):
    rate = rules.Rate(supported=supported, referred=total, total=total, target=95)
    assert rate.percent == percent
    assert rate.meets_target is meets


def test_no_high_risk_victim_means_no_rate_and_no_verdict():
    rate = rules.Rate(supported=0, referred=0, total=0, target=95)
    assert rate.percent is None
    assert rate.meets_target is None


# --- Operation Encompass -----------------------------------------------------------------------


def test_saturday_and_sunday_are_not_school_days():
    assert rules.is_school_day(local(2026, 11, 27).date())  # Friday
    assert not rules.is_school_day(local(2026, 11, 28).date())  # Saturday
    assert not rules.is_school_day(local(2026, 11, 29).date())  # Sunday


@override_settings(DAPOLICE_BANK_HOLIDAY_REGION="SCT")
def test_bank_holidays_are_the_configured_regions():
    # 2 January is a bank holiday in Scotland, not in England and Wales (2026: a Friday).
    assert not rules.is_school_day(local(2026, 1, 2).date())
    with override_settings(DAPOLICE_BANK_HOLIDAY_REGION="ENG"):
        assert rules.is_school_day(local(2026, 1, 2).date())


# --- Safe contact ------------------------------------------------------------------------------


def test_half_a_safe_window_is_no_window():
    at = local(2026, 12, 1, 3, 0)
    assert rules.within_safe_times(at, safe_from=time(9, 0), safe_until=None)
    assert rules.within_safe_times(at, safe_from=None, safe_until=time(5, 0))


def test_the_safe_window_includes_its_start_and_not_its_end():
    window = {"safe_from": time(9, 0), "safe_until": time(15, 0)}
    assert rules.within_safe_times(local(2026, 12, 1, 9, 0), **window)
    assert not rules.within_safe_times(local(2026, 12, 1, 15, 0), **window)
    assert not rules.within_safe_times(local(2026, 12, 1, 8, 59), **window)
    # In local time: 09:30 BST is 08:30 UTC.
    assert rules.within_safe_times(datetime(2026, 6, 1, 8, 30, tzinfo=UTC), **window)


def test_a_safe_window_over_midnight_at_its_edges():
    night = {"safe_from": time(22, 0), "safe_until": time(2, 0)}
    assert rules.within_safe_times(local(2026, 12, 1, 22, 0), **night)
    assert rules.within_safe_times(local(2026, 12, 2, 1, 59), **night)
    assert not rules.within_safe_times(local(2026, 12, 2, 2, 0), **night)
    assert not rules.within_safe_times(local(2026, 12, 1, 21, 59), **night)
    assert not rules.within_safe_times(local(2026, 12, 1, 12, 0), **night)


def test_a_safe_window_that_ends_when_it_starts_is_never_safe():
    """From a time until the same time is an empty window: contact is never safe, the side that
    errs towards the victim (the contact plan does not refuse such a window today)."""
    same = {"safe_from": time(10, 0), "safe_until": time(10, 0)}
    for hour in (0, 9, 10, 11, 23):
        assert not rules.within_safe_times(local(2026, 12, 1, hour, 0), **same)

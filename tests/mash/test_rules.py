"""The MASH's pure rules: the reproducible sample, queue entry, MASH hours (with the BST
changes), the clocks, referral due times, Operation Encompass due times, safe times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from mash import rules
from mash.choices import EntryReason, ReferralKind

LONDON = ZoneInfo("Europe/London")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


# --- The sample -----------------------------------------------------------------------------


def test_sample_rate_is_ten_percent_within_one_and_a_half_points_over_10000_assessments():
    drawn = sum(rules.in_sample(assessment_id) for assessment_id in range(1, 10_001))
    assert 850 <= drawn <= 1150, drawn


def test_the_same_assessment_always_gets_the_same_answer():
    first = [rules.in_sample(i) for i in range(1, 2001)]
    second = [rules.in_sample(i) for i in range(1, 2001)]
    assert first == second
    assert rules.sample_draw(42) == rules.sample_draw(42)


def test_the_draw_depends_on_the_key_so_nobody_without_it_can_predict_it():
    a = [rules.in_sample(i, key="key-one") for i in range(1, 501)]
    b = [rules.in_sample(i, key="key-two") for i in range(1, 501)]
    assert a != b
    assert 0 <= rules.sample_draw(7, key="key-one") < 1


@pytest.mark.parametrize("percent", [0, 25, 100])
def test_the_rate_is_configuration(percent):
    with override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=percent):
        drawn = sum(rules.in_sample(i) for i in range(1, 4001))
    assert abs(drawn / 4000 - percent / 100) <= 0.03


def test_entry_reasons():
    assert rules.entry_reason(assessment_id=1, level="high", children_present=False) == "high"
    assert rules.entry_reason(assessment_id=1, level="medium", children_present=False) == "medium"
    assert (
        rules.entry_reason(assessment_id=1, level="standard", children_present=True)
        == EntryReason.CHILDREN
    )
    sampled = next(i for i in range(1, 1000) if rules.in_sample(i))
    unsampled = next(i for i in range(1, 1000) if not rules.in_sample(i))
    assert rules.entry_reason(assessment_id=sampled, level="standard", children_present=False) == (
        EntryReason.SAMPLE
    )
    assert (
        rules.entry_reason(assessment_id=unsampled, level="standard", children_present=False)
        is None
    )


def test_each_item_says_why_it_is_there():
    assert rules.reason_label("high", None) == "High"
    assert rules.reason_label("medium", None) == "Medium"
    assert rules.reason_label("sample", 10.0) == "Standard — in the 10% sample"
    assert rules.reason_label("sample", 12.5) == "Standard — in the 12.5% sample"


# --- MASH hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (local(2026, 11, 30, 21, 59), True),
        (local(2026, 11, 30, 22, 0), False),
        (local(2026, 12, 1, 7, 59), False),
        (local(2026, 12, 1, 8, 0), True),
        (local(2026, 12, 1, 3, 0), False),
    ],
)
def test_mash_hours_edges_in_winter(moment, inside):
    assert rules.in_mash_hours(moment) is inside
    assert rules.in_mash_hours(moment.astimezone(UTC)) is inside


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        # 29 March 2026: the clocks go forward at 01:00 UTC. In BST 21:59 local is 20:59 UTC.
        (datetime(2026, 3, 29, 20, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 21, 0, tzinfo=UTC), False),  # 22:00 BST
        (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), False),  # 07:59 BST
        (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), True),  # 08:00 BST
        # The day before the change (GMT): 07:00 UTC is 07:00 local, still out of hours.
        (datetime(2026, 3, 28, 7, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 28, 21, 59, tzinfo=UTC), True),
        # 25 October 2026: back to GMT at 01:00 UTC.
        (datetime(2026, 10, 25, 21, 59, tzinfo=UTC), True),
        (datetime(2026, 10, 25, 22, 0, tzinfo=UTC), False),
        (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), False),  # 22:00 BST the day before
    ],
)
def test_mash_hours_follow_the_bst_changes(utc, inside):
    assert rules.in_mash_hours(utc) is inside


@override_settings(DAPOLICE_MASH_DAY_START="07:00", DAPOLICE_MASH_DAY_END="23:30")
def test_mash_hours_are_configuration():
    assert rules.in_mash_hours(local(2026, 12, 1, 7, 0))
    assert rules.in_mash_hours(local(2026, 12, 1, 23, 29))
    assert not rules.in_mash_hours(local(2026, 12, 1, 23, 30))


def test_high_risk_out_of_hours_goes_to_the_duty_sergeant():
    night = local(2026, 12, 1, 22, 0)
    assert rules.goes_to_duty_sergeant(level="high", arrived_at=night)
    assert not rules.goes_to_duty_sergeant(level="medium", arrived_at=night)
    assert not rules.goes_to_duty_sergeant(level="high", arrived_at=local(2026, 12, 1, 21, 59))


def test_clocks_high_one_hour_to_start_and_every_item_24_hours():
    at = local(2026, 12, 1, 10, 0)
    high = rules.clocks(level="high", arrived_at=at)
    assert high.start_due_at == at + timedelta(hours=1)
    assert high.due_at == at + timedelta(hours=24)
    medium = rules.clocks(level="medium", arrived_at=at)
    assert medium.start_due_at is None
    assert medium.due_at == at + timedelta(hours=24)
    with override_settings(DAPOLICE_MASH_HIGH_START_MINUTES=30):
        assert rules.clocks(level="high", arrived_at=at).start_due_at == at + timedelta(minutes=30)


# --- Referrals ------------------------------------------------------------------------------


def test_sanctuary_survey_is_due_within_48_hours_whatever_is_asked():
    made = local(2026, 12, 1, 10, 0)
    limit = made + timedelta(hours=48)
    assert rules.referral_due(kind=ReferralKind.SANCTUARY, made_at=made) == limit
    later = made + timedelta(days=10)
    assert rules.referral_due(kind=ReferralKind.SANCTUARY, made_at=made, asked=later) == limit
    sooner = made + timedelta(hours=6)
    assert rules.referral_due(kind=ReferralKind.SANCTUARY, made_at=made, asked=sooner) == sooner


def test_other_referrals_are_due_when_asked_or_after_the_usual_days():
    made = local(2026, 12, 1, 10, 0)
    assert rules.referral_due(kind=ReferralKind.IDVA, made_at=made) == made + timedelta(days=5)
    asked = made + timedelta(days=2)
    assert rules.referral_due(kind=ReferralKind.HOUSING, made_at=made, asked=asked) == asked


def test_idva_rate_against_the_target():
    assert rules.Rate(supported=19, referred=20, total=20, target=95).meets_target is True
    short = rules.Rate(supported=18, referred=19, total=20, target=95)
    assert short.percent == 90.0
    assert short.meets_target is False
    assert rules.Rate(supported=0, referred=0, total=0, target=95).percent is None


# --- Operation Encompass --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("incident", "due"),
    [
        # A weekday night: before school starts that morning.
        (local(2026, 12, 1, 2, 0), local(2026, 12, 1, 8, 30)),
        # During the school day: the next morning.
        (local(2026, 12, 1, 9, 0), local(2026, 12, 2, 8, 30)),
        (local(2026, 12, 1, 8, 30), local(2026, 12, 2, 8, 30)),
        (local(2026, 12, 1, 8, 29), local(2026, 12, 1, 8, 30)),
        # Friday evening and the weekend: Monday morning.
        (local(2026, 11, 27, 18, 0), local(2026, 11, 30, 8, 30)),
        (local(2026, 11, 28, 12, 0), local(2026, 11, 30, 8, 30)),
        (local(2026, 11, 29, 23, 59), local(2026, 11, 30, 8, 30)),
        # Friday 28 August 2026, then the late-summer bank holiday on Monday 31 August.
        (local(2026, 8, 28, 19, 0), local(2026, 9, 1, 8, 30)),
        # Christmas: Thursday 24 December evening; 25, 26 (Sat), 27 (Sun), 28 (Boxing Day
        # observed) are not school days.
        (local(2026, 12, 24, 20, 0), local(2026, 12, 29, 8, 30)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
        (local(2026, 4, 2, 22, 0), local(2026, 4, 7, 8, 30)),
    ],
)
def test_encompass_notice_is_due_before_the_next_school_day(incident, due):
    assert rules.encompass_due(incident) == due


def test_encompass_due_time_is_configuration_and_local_time():
    with override_settings(DAPOLICE_SCHOOL_DAY_START="08:00"):
        assert rules.encompass_due(local(2026, 12, 1, 2, 0)) == local(2026, 12, 1, 8, 0)
    # In BST 08:30 local is 07:30 UTC.
    due = rules.encompass_due(datetime(2026, 6, 9, 1, 0, tzinfo=UTC))
    assert due.astimezone(UTC) == datetime(2026, 6, 9, 7, 30, tzinfo=UTC)


def test_bank_holidays_come_from_the_holidays_library():
    assert not rules.is_school_day(local(2026, 5, 4).date())  # early May bank holiday
    assert rules.is_school_day(local(2026, 5, 5).date())
    assert not rules.is_school_day(local(2027, 3, 29).date())  # Easter Monday 2027


# --- Safe times -----------------------------------------------------------------------------


def test_safe_times_window():
    at = local(2026, 12, 1, 10, 0)
    assert rules.within_safe_times(at, safe_from=None, safe_until=None)
    assert rules.within_safe_times(at, safe_from=time(9, 0), safe_until=time(15, 0))
    assert not rules.within_safe_times(at, safe_from=time(12, 0), safe_until=time(15, 0))
    # A window over midnight (a night-shift worker).
    assert rules.within_safe_times(
        local(2026, 12, 1, 23, 0), safe_from=time(22, 0), safe_until=time(2, 0)
    )

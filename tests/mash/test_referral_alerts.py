"""Referral deadlines end to end (issue 9, "Referrals"): the sanctuary survey not done within 48
hours and the Operation Encompass notice not sent by the start of the next school day are
``Deadline`` rows set in the transaction that opens them, fired once by the sweep, cancelled
when done. Frozen clock; weekends and bank holidays of the configured region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_sweep
from mash import services
from mash.choices import ENCOMPASS_DEADLINE, REFERRAL_DEADLINE
from mash.models import EncompassNotice

TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SEC = timedelta(seconds=1)


def raised(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind))


def test_sanctuary_survey_accepted_but_not_done_alerts_once_at_48_hours(case, mash_officer):
    with time_machine.travel(TUESDAY, tick=False) as clock:
        c = case("high")
        referral = services.referral_make(actor=mash_officer, case=c, kind="sanctuary")
        clock.move_to(TUESDAY + 2 * HOUR)
        services.referral_respond(actor=mash_officer, referral=referral, status="accepted")
        clock.move_to(TUESDAY + 48 * HOUR - SEC)
        deadlines_sweep()
        assert raised(REFERRAL_DEADLINE) == []
        clock.move_to(TUESDAY + 48 * HOUR)
        deadlines_sweep()
        clock.move_to(TUESDAY + 72 * HOUR)
        deadlines_sweep()
    [alert] = raised(REFERRAL_DEADLINE)
    assert alert.subject_id == str(referral.pk)
    assert "sanctuary survey" in alert.title


def test_sanctuary_survey_done_in_time_raises_nothing(case, mash_officer):
    with time_machine.travel(TUESDAY, tick=False) as clock:
        referral = services.referral_make(actor=mash_officer, case=case("high"), kind="sanctuary")
        clock.move_to(TUESDAY + 47 * HOUR)
        services.referral_respond(
            actor=mash_officer, referral=referral, status="completed", note="Survey done"
        )
        clock.move_to(TUESDAY + 96 * HOUR)
        deadlines_sweep()
    assert raised(REFERRAL_DEADLINE) == []
    row = Deadline.objects.get(kind=REFERRAL_DEADLINE, subject_id=str(referral.pk))
    assert row.cancelled_at == TUESDAY + 47 * HOUR


def test_encompass_over_christmas_alerts_on_the_first_school_day_not_the_holiday(case):
    # Thursday 24 December 2026, 20:00; 25 (Fri), 26-27 (weekend) and Monday 28 (Boxing Day
    # observed) are not school days: due Tuesday 29 December 08:30 (GMT: 08:30 UTC).
    christmas_eve = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)
    due = datetime(2026, 12, 29, 8, 30, tzinfo=UTC)
    with time_machine.travel(christmas_eve + HOUR, tick=False) as clock:
        c = case("medium", children=True, received_at=christmas_eve)
        notice = EncompassNotice.objects.get(case=c)
        assert notice.due_at == due
        assert Deadline.objects.get(kind=ENCOMPASS_DEADLINE).due_at == due
        clock.move_to(datetime(2026, 12, 28, 8, 30, tzinfo=UTC))
        deadlines_sweep()
        assert raised(ENCOMPASS_DEADLINE) == []
        clock.move_to(due - SEC)
        deadlines_sweep()
        assert raised(ENCOMPASS_DEADLINE) == []
        clock.move_to(due)
        deadlines_sweep()
        deadlines_sweep()
    assert len(raised(ENCOMPASS_DEADLINE)) == 1


def test_encompass_notice_sent_on_the_bank_holiday_raises_nothing(case, mash_officer):
    friday = datetime(2026, 8, 28, 18, 0, tzinfo=UTC)  # 19:00 BST; Monday 31 August a holiday
    with time_machine.travel(friday + HOUR, tick=False) as clock:
        c = case("high", children=True, received_at=friday)
        notice = EncompassNotice.objects.get(case=c)
        clock.move_to(datetime(2026, 8, 31, 12, 0, tzinfo=UTC))
        services.notice_send(
            actor=mash_officer,
            notice=notice,
            child_name="Sam",
            school="Park School",
            present=True,
            welfare_check=False,
        )
        clock.move_to(datetime(2026, 9, 2, 9, 0, tzinfo=UTC))
        deadlines_sweep()
    assert raised(ENCOMPASS_DEADLINE) == []

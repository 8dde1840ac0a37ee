"""Entering the queue (through risk's real signal), the clocks as Deadline rows, out-of-hours
routing to the duty sergeant, and claiming (including two concurrent claims)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings

from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_fire_due
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from mash import rules, services
from mash.choices import (
    COMPLETE_DEADLINE,
    ENCOMPASS_DEADLINE,
    OUT_OF_HOURS_DEADLINE,
    START_DEADLINE,
    CaseStatus,
    Duty,
    EntryReason,
    Team,
)
from mash.models import EncompassNotice, MashCase, OwnershipPeriod

#: A Tuesday in winter (GMT): 10:00 local is MASH hours.
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _deadlines(case):
    return dict(
        Deadline.objects.filter(subject_type="mash.mashcase", subject_id=str(case.pk)).values_list(
            "kind", "due_at"
        )
    )


# --- Entry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "reason"), [("high", "high"), ("medium", "medium")])
def test_every_reviewed_high_and_medium_dash_enters_the_queue(case, level, reason):
    with time_machine.travel(DAY, tick=False):
        c = case(level)
    assert c.reason == reason
    assert c.level == c.dash_level == level
    assert c.status == CaseStatus.WAITING
    assert c.team == Team.MASH
    assert c.arrived_at == DAY


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=0)
def test_a_standard_dash_outside_the_sample_does_not_enter_and_the_decision_is_audited(review):
    assessment = review("standard")
    assert not MashCase.objects.filter(assessment=assessment).exists()
    event = AuditEvent.objects.get(action="mash.entry.decided", subject_id=str(assessment.pk))
    assert event.changes["queued"] == [None, ""]
    assert event.changes["sample_draw"][1] == round(rules.sample_draw(assessment.pk), 6)
    assert event.changes["sample_percent"] == [None, 0.0]


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=100)
def test_a_sampled_standard_dash_enters_and_says_it_is_in_the_sample(case):
    c = case("standard")
    assert c.reason == EntryReason.SAMPLE
    assert c.sample_percent == 100
    assert rules.reason_label(c.reason, c.sample_percent) == "Standard — in the 100% sample"


def test_the_sample_decision_is_the_keyed_hash_of_the_assessment(review):
    assessment = review("standard")
    queued = MashCase.objects.filter(assessment=assessment).exists()
    assert queued is rules.in_sample(assessment.pk)


@override_settings(DAPOLICE_MASH_SAMPLE_PERCENT=0)
def test_a_standard_dash_with_children_enters_for_encompass(case):
    with time_machine.travel(DAY, tick=False):
        c = case("standard", children=True)
    assert c.reason == EntryReason.CHILDREN
    notice = EncompassNotice.objects.get(case=c)
    assert notice.due_at == rules.encompass_due(c.incident.received_at)
    assert Deadline.objects.filter(kind=ENCOMPASS_DEADLINE, subject_id=str(notice.pk)).exists()


def test_entry_is_idempotent(case, system):
    c = case("medium")
    again = services.case_open_from_review(
        actor=system, assessment_id=c.assessment_id, level="medium", children_present=False
    )
    assert again.pk == c.pk
    assert MashCase.objects.count() == 1


def test_a_returned_dash_does_not_enter(
    log_incident, call_taker, officer, supervisor, django_capture_on_commit_callbacks
):
    from incidents import services as incident_services
    from risk import services as risk_services
    from tests.risk.conftest import complete_input

    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(), officer=officer
    )
    a = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(actor=officer, assessment=a, data=complete_input(15))
    with django_capture_on_commit_callbacks(execute=True):
        risk_services.assessment_review(
            actor=supervisor, assessment=a, decision="return", reason="Photos missing"
        )
    assert not MashCase.objects.exists()


# --- Clocks ---------------------------------------------------------------------------------


def test_high_risk_has_a_start_clock_and_every_item_a_24_hour_clock(case):
    with time_machine.travel(DAY, tick=False):
        high = case("high")
        medium = case("medium")
    assert _deadlines(high) == {
        START_DEADLINE: DAY + timedelta(hours=1),
        COMPLETE_DEADLINE: DAY + timedelta(hours=24),
    }
    assert _deadlines(medium) == {COMPLETE_DEADLINE: DAY + timedelta(hours=24)}


def test_high_risk_not_started_within_the_hour_alerts_the_mash_team_lead(case, make_user, rota):
    lead = make_user("mash")
    rota(lead, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=2), DAY + timedelta(hours=8))
    with time_machine.travel(DAY, tick=False):
        c = case("high")
    with time_machine.travel(DAY + timedelta(minutes=59), tick=False):
        assert deadlines_fire_due() == 0
    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        assert deadlines_fire_due() == 1
        assert deadlines_fire_due() == 0  # fires once
    alert = Alert.objects.get(kind=START_DEADLINE)
    assert alert.recipient_id == lead.pk
    assert c.incident.reference in alert.title
    assert str(c.victim) not in alert.title


def test_without_a_team_lead_on_the_rota_every_mash_officer_is_told(case):
    with time_machine.travel(DAY, tick=False):
        case("high")
    with time_machine.travel(DAY + timedelta(hours=2), tick=False):
        deadlines_fire_due()
    alert = Alert.objects.get(kind=START_DEADLINE)
    assert alert.recipient_id is None
    assert alert.recipient_role == "mash"


def test_claiming_stops_the_start_clock_and_assessing_stops_the_24_hour_clock(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        c = case("high")
        services.case_claim(actor=mash_officer, case=c)
    with time_machine.travel(DAY + timedelta(hours=3), tick=False):
        assert deadlines_fire_due() == 0
        services.case_assess(actor=mash_officer, case=c, final_level="high", notes="Agreed.")
    with time_machine.travel(DAY + timedelta(days=2), tick=False):
        assert deadlines_fire_due() == 0
    assert not Alert.objects.exists()


def test_any_item_past_24_hours_alerts_the_team_lead(case, make_user, rota, mash_officer):
    lead = make_user("mash")
    rota(lead, Duty.MASH_TEAM_LEAD, DAY + timedelta(hours=20), DAY + timedelta(hours=30))
    with time_machine.travel(DAY, tick=False):
        c = case("medium")
        services.case_claim(actor=mash_officer, case=c)  # started, but not finished
    with time_machine.travel(DAY + timedelta(hours=24), tick=False):
        assert deadlines_fire_due() == 1
    alert = Alert.objects.get(kind=COMPLETE_DEADLINE)
    assert alert.recipient_id == lead.pk  # the lead on duty when it fired


# --- Out of hours ---------------------------------------------------------------------------


def _at_local(hour, minute, day=datetime(2026, 12, 1, tzinfo=UTC)):
    return day.replace(hour=hour, minute=minute)  # GMT: local = UTC in December


@pytest.mark.parametrize(
    ("hour", "minute", "to_sergeant"),
    [(21, 59, False), (22, 0, True), (7, 59, True), (8, 0, False)],
)
def test_high_risk_out_of_mash_hours_goes_to_the_duty_sergeant_edges(
    case, make_user, rota, hour, minute, to_sergeant
):
    sergeant = make_user("investigator")
    at = _at_local(hour, minute)
    rota(sergeant, Duty.DETECTIVE_SERGEANT, at - timedelta(hours=6), at + timedelta(hours=6))
    with time_machine.travel(at, tick=False):
        c = case("high")
        deadlines_fire_due()
    assert (c.team == Team.DUTY_DS) is to_sergeant
    assert (c.duty_officer_id == sergeant.pk) is to_sergeant
    alerts = Alert.objects.filter(kind=OUT_OF_HOURS_DEADLINE)
    if to_sergeant:
        assert c.offer_to_id == sergeant.pk
        assert list(alerts.values_list("recipient_id", flat=True)) == [sergeant.pk]
    else:
        assert c.offer_to_team == Team.MASH
        assert not alerts.exists()


@pytest.mark.parametrize(
    ("utc", "to_sergeant"),
    [
        # After the clocks go forward (BST): 21:59 and 22:00 local are 20:59 and 21:00 UTC.
        (datetime(2026, 3, 30, 20, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 30, 21, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 31, 7, 0, tzinfo=UTC), False),  # 08:00 BST
        (datetime(2026, 3, 28, 7, 0, tzinfo=UTC), True),  # 07:00 GMT, the day before
    ],
)
def test_out_of_hours_routing_across_the_bst_change(case, utc, to_sergeant):
    with time_machine.travel(utc, tick=False):
        c = case("high")
    assert (c.team == Team.DUTY_DS) is to_sergeant


def test_medium_risk_out_of_hours_stays_with_the_mash(case):
    with time_machine.travel(_at_local(23, 0), tick=False):
        c = case("medium")
    assert c.team == Team.MASH
    assert c.offer_to_team == Team.MASH


def test_out_of_hours_with_nobody_on_the_rota_tells_the_control_room(case):
    with time_machine.travel(_at_local(23, 0), tick=False):
        c = case("high")
        deadlines_fire_due()
    assert c.duty_officer is None
    assert c.offer_to_team == Team.DUTY_DS
    alert = Alert.objects.get(kind=OUT_OF_HOURS_DEADLINE)
    assert alert.recipient_role == "control_supervisor"
    assert "no detective sergeant on the duty rota" in alert.title


def test_the_duty_sergeant_is_told_when_the_start_clock_passes_too(case, make_user, rota):
    sergeant = make_user("supervisor")
    at = _at_local(23, 0)
    rota(sergeant, Duty.DETECTIVE_SERGEANT, at - timedelta(hours=1), at + timedelta(hours=9))
    with time_machine.travel(at, tick=False):
        case("high")
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        deadlines_fire_due()
    assert Alert.objects.get(kind=START_DEADLINE).recipient_id == sergeant.pk


# --- Claiming -------------------------------------------------------------------------------


def test_next_case_takes_the_highest_risk_then_the_oldest(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        old_medium = case("medium")
    with time_machine.travel(DAY + timedelta(minutes=5), tick=False):
        new_high = case("high")
    with time_machine.travel(DAY + timedelta(minutes=10), tick=False):
        newer_high = case("high")
        order = [services.case_claim_next(actor=mash_officer).pk for _ in range(3)]
        with pytest.raises(DomainError, match="Nothing is waiting"):
            services.case_claim_next(actor=mash_officer)
    assert order == [new_high.pk, newer_high.pk, old_medium.pk]


def test_claiming_an_item_someone_else_claimed_says_who(case, mash_officer, mash_officer2):
    c = case("medium")
    services.case_claim(actor=mash_officer, case=c)
    with pytest.raises(Conflict, match=str(mash_officer)):
        services.case_claim(actor=mash_officer2, case=c)
    assert services.case_claim(actor=mash_officer, case=c).claimed_by_id == mash_officer.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_next_case_claims_never_get_the_same_item(case, mash_officer, mash_officer2):
    """Two real transactions on two connections. The first claims and holds its transaction
    open; the second skips the row the first holds (SKIP LOCKED), locks the next one, and then
    waits for the audit chain's lock (the chain serialises audited commits) until the first
    commits. So the second was mid-claim while the first held its row: never the same item."""
    first, second = case("high"), case("high")
    got: dict[str, int] = {}
    errors: list[BaseException] = []
    holding = threading.Event()
    release = threading.Event()

    def worker(name: str, user, hold: bool) -> None:
        try:
            with transaction.atomic():
                got[name] = services.case_claim_next(actor=user).pk
                if hold:
                    holding.set()
                    release.wait(timeout=20)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    def second_is_waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return bool(cursor.fetchone()[0])

    a = threading.Thread(target=worker, args=("a", mash_officer, True))
    a.start()
    assert holding.wait(timeout=20)
    b = threading.Thread(target=worker, args=("b", mash_officer2, False))
    b.start()
    for _ in range(400):
        if second_is_waiting() or not b.is_alive():
            break
        threading.Event().wait(0.05)
    release.set()
    a.join(timeout=20)
    b.join(timeout=20)
    assert not errors, errors
    assert {got["a"], got["b"]} == {first.pk, second.pk}
    claimed = dict(MashCase.objects.values_list("pk", "claimed_by_id"))
    assert claimed == {got["a"]: mash_officer.pk, got["b"]: mash_officer2.pk}


# --- The first owner ------------------------------------------------------------------------


def test_the_attending_officer_owns_it_with_the_handover_offered_to_the_mash(case, officer):
    c = case("medium")
    assert c.owner_id == officer.pk
    assert c.offer_to_team == Team.MASH
    assert c.offer_by_id == officer.pk
    period = OwnershipPeriod.objects.get(case=c)
    assert (period.owner_id, period.ended_at, period.how) == (officer.pk, None, "opened")

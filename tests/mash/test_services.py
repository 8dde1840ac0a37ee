"""The secondary assessment, the plan's optimistic locking, information, referrals (MARAC
signal and risk's provider), Operation Encompass, the SPOC and contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from dapolice.accounts.models import Agency
from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_fire_due
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from mash import selectors, services, signals
from mash.choices import ENCOMPASS_DEADLINE, REFERRAL_DEADLINE, CaseStatus, ReferralStatus
from mash.inputs import ActionInput, ContactPlanInput
from mash.models import Contact, ContactPlan, EncompassNotice, MashCase
from risk import signals as risk_signals

DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


# --- Secondary assessment -------------------------------------------------------------------


def test_raising_the_level_needs_a_reason_and_goes_on_the_incident(case, mash_officer):
    c = case("medium")
    with pytest.raises(DomainError, match="reason"):
        services.case_assess(actor=mash_officer, case=c, final_level="high", notes="Found more")
    c = services.case_assess(
        actor=mash_officer,
        case=c,
        final_level="high",
        reason="Health: strangulation disclosed at A&E last month",
        notes="Escalating; children's services involved.",
    )
    assert (c.status, c.final_level, c.level, c.priority) == (
        CaseStatus.ASSESSED,
        "high",
        "high",
        3,
    )
    assert c.claimed_by_id == mash_officer.pk  # claimed by assessing
    c.incident.refresh_from_db()
    assert c.incident.risk_level == "high"
    assert AuditEvent.objects.filter(
        action="incidents.incident.risk_level_set", subject_id=str(c.incident_id)
    ).exists()


def test_agreeing_the_dash_level_needs_no_reason(case, mash_officer):
    c = services.case_assess(
        actor=mash_officer, case=case("medium"), final_level="medium", notes="Agreed."
    )
    assert c.level_reason == ""
    with pytest.raises(Conflict):
        services.case_assess(actor=mash_officer, case=c, final_level="high", reason="x", notes="y")


def test_someone_elses_claimed_case_cannot_be_assessed(case, mash_officer, mash_officer2):
    c = case()
    services.case_claim(actor=mash_officer, case=c)
    with pytest.raises(Conflict, match=str(mash_officer)):
        services.case_assess(actor=mash_officer2, case=c, final_level="medium", notes="x")


def test_information_entries_are_dated_and_not_from_the_future(case, mash_officer):
    c = case()
    entry = services.information_add(
        actor=mash_officer, case=c, source="health", received_on=date(2026, 11, 1), summary="A&E"
    )
    assert entry.agency_id is None
    with pytest.raises(DomainError):
        services.information_add(
            actor=mash_officer,
            case=c,
            source="health",
            received_on=timezone.localdate() + timedelta(days=2),
            summary="x",
        )


# --- The plan: optimistic locking -----------------------------------------------------------


def _action(text="Refer to IDVA", due=date(2026, 12, 3)):
    return ActionInput(description=text, owner_name="Jo Marsh", owner_agency="idva", due_on=due)


def test_plan_saves_with_actions_and_moves_the_version(case, mash_officer):
    c = case()
    c = services.plan_save(
        actor=mash_officer, case=c, version=0, summary="Plan", actions=[_action()]
    )
    assert c.plan_version == 1
    assert list(c.actions.values_list("description", "owner_name", "due_on")) == [
        ("Refer to IDVA", "Jo Marsh", date(2026, 12, 3))
    ]


def test_the_second_saver_is_told_who_saved_first_and_nothing_of_theirs_is_written(
    case, mash_officer, mash_officer2
):
    c = case()
    services.plan_save(actor=mash_officer, case=c, version=0, summary="First", actions=[_action()])
    with pytest.raises(Conflict, match=str(mash_officer)):
        services.plan_save(
            actor=mash_officer2, case=c, version=0, summary="Second", actions=[_action("Other")]
        )
    c.refresh_from_db()
    assert (c.plan_summary, c.plan_version) == ("First", 1)
    assert list(c.actions.values_list("description", flat=True)) == ["Refer to IDVA"]


def test_an_action_needs_an_owner_and_a_due_date(case, mash_officer):
    with pytest.raises(DomainError) as exc:
        services.plan_save(
            actor=mash_officer,
            case=case(),
            version=0,
            summary="",
            actions=[
                ActionInput(description="Alarm", owner_name="", owner_agency="police", due_on=None)
            ],
        )
    assert exc.value.field == "actions-0-owner_name"


# --- Referrals ------------------------------------------------------------------------------


def test_sanctuary_survey_is_due_in_48_hours_and_alerts_when_not_done(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        c = case("high")
        services.case_claim(actor=mash_officer, case=c)
        r = services.referral_make(actor=mash_officer, case=c, kind="sanctuary")
    assert r.due_at == DAY + timedelta(hours=48)
    assert Deadline.objects.get(kind=REFERRAL_DEADLINE, subject_id=str(r.pk)).due_at == r.due_at
    with time_machine.travel(DAY + timedelta(hours=48), tick=False):
        deadlines_fire_due()
    alert = Alert.objects.get(kind=REFERRAL_DEADLINE)
    assert alert.recipient_id == mash_officer.pk
    assert "sanctuary survey" in alert.title


def test_a_completed_referral_stops_its_clock(case, mash_officer, make_user):
    idva = Agency.objects.create(name="IDVA service", code="idva-x", kind="idva")
    partner = make_user("partner", agency=idva)
    c = case("high")
    r = services.referral_make(actor=mash_officer, case=c, kind="idva", agency=idva)
    services.referral_respond(actor=partner, referral=r, status="accepted")
    r = services.referral_respond(actor=partner, referral=r, status="completed", note="Engaged")
    assert r.status == ReferralStatus.COMPLETED
    assert Deadline.objects.get(kind=REFERRAL_DEADLINE, subject_id=str(r.pk)).cancelled_at
    with pytest.raises(Conflict):
        services.referral_respond(actor=partner, referral=r, status="declined", note="x")


def test_declining_needs_a_reason(case, mash_officer):
    r = services.referral_make(actor=mash_officer, case=case(), kind="housing")
    with pytest.raises(DomainError):
        services.referral_respond(actor=mash_officer, referral=r, status="declined")


def test_one_open_referral_of_a_kind_per_case(case, mash_officer):
    c = case()
    services.referral_make(actor=mash_officer, case=c, kind="health")
    with pytest.raises(Conflict):
        services.referral_make(actor=mash_officer, case=c, kind="health")


def test_the_agency_must_take_that_kind_of_referral(case, mash_officer, agency_housing):
    with pytest.raises(DomainError):
        services.referral_make(actor=mash_officer, case=case(), kind="idva", agency=agency_housing)


def test_marac_referral_sends_the_signal_on_commit_and_answers_risks_repeat_marac(
    case, mash_officer, django_capture_on_commit_callbacks
):
    c = case("high")
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    signals.marac_referral_made.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = services.referral_make(actor=mash_officer, case=c, kind="marac")
    finally:
        signals.marac_referral_made.disconnect(receiver)
    assert heard == [
        {
            "signal": signals.marac_referral_made,
            "referral_id": r.pk,
            "case_id": c.pk,
            "assessment_id": c.assessment_id,
            "incident_id": c.incident_id,
            "victim_id": c.victim_id,
            "made_at": r.made_at,
            "made_by_id": mash_officer.pk,
        }
    ]
    # risk's "repeat MARAC" asks the registered provider.
    assert risk_signals.last_marac_referral(c.victim_id, r.made_at + timedelta(days=1)) == r.made_at
    assert risk_signals.last_marac_referral(c.victim_id, r.made_at - timedelta(days=1)) is None


def test_idva_rate_counts_high_risk_victims_supported(case, mash_officer, make_user):
    idva = Agency.objects.create(name="IDVA service", code="idva-y", kind="idva")
    partner = make_user("partner", agency=idva)
    supported, referred, _none = case("high"), case("high"), case("high")
    case("medium")  # not high: not counted
    r1 = services.referral_make(actor=mash_officer, case=supported, kind="idva", agency=idva)
    services.referral_respond(actor=partner, referral=r1, status="accepted")
    services.referral_make(actor=mash_officer, case=referred, kind="idva", agency=idva)
    rate = selectors.idva_rate()
    assert (rate.supported, rate.referred, rate.total, rate.target) == (1, 2, 3, 95)
    assert rate.percent == pytest.approx(33.3)
    assert rate.meets_target is False


# --- Operation Encompass --------------------------------------------------------------------


def test_encompass_notice_over_a_weekend_is_due_monday_and_alerts_if_not_sent(
    case, log_incident, mash_officer
):
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    with time_machine.travel(friday_evening + timedelta(hours=2), tick=False):
        c = case("medium", children=True, received_at=friday_evening)
    notice = EncompassNotice.objects.get(case=c)
    monday = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert notice.due_at == monday
    with time_machine.travel(monday - timedelta(minutes=1), tick=False):
        deadlines_fire_due()
    assert not Alert.objects.filter(kind=ENCOMPASS_DEADLINE).exists()
    with time_machine.travel(monday, tick=False):
        deadlines_fire_due()
    assert Alert.objects.filter(kind=ENCOMPASS_DEADLINE).count() == 1


def test_encompass_over_a_bank_holiday_weekend(case):
    friday = datetime(2026, 8, 28, 18, 0, tzinfo=UTC)  # 19:00 BST; Monday 31 August is a holiday
    with time_machine.travel(friday + timedelta(hours=1), tick=False):
        c = case("high", children=True, received_at=friday)
    assert EncompassNotice.objects.get(case=c).due_at == datetime(2026, 9, 1, 7, 30, tzinfo=UTC)


def test_sending_the_notice_records_the_minimum_and_stops_the_clock(case, mash_officer):
    c = case("medium", children=True)
    notice = EncompassNotice.objects.get(case=c)
    with pytest.raises(DomainError):
        services.notice_send(
            actor=mash_officer, notice=notice, child_name="Sam", school="", present=True,
            welfare_check=False,
        )  # fmt: skip
    sent = services.notice_send(
        actor=mash_officer, notice=notice, child_name="Sam", school="Park Primary", present=True,
        welfare_check=True,
    )  # fmt: skip
    assert (sent.status, sent.sent_by_id) == ("sent", mash_officer.pk)
    assert Deadline.objects.get(kind=ENCOMPASS_DEADLINE, subject_id=str(notice.pk)).cancelled_at
    with pytest.raises(Conflict, match=str(mash_officer)):
        services.notice_send(
            actor=mash_officer, notice=notice, child_name="Sam", school="Park", present=True,
            welfare_check=True,
        )  # fmt: skip


# --- SPOC and contacts ----------------------------------------------------------------------


def test_contact_plan_names_the_spoc_and_keeps_the_code_word_out_of_the_audit(case, mash_officer):
    c = case()
    plan = services.contact_plan_save(
        actor=mash_officer,
        person=c.victim,
        data=ContactPlanInput(
            spoc_id=mash_officer.pk, safe_phone="07700 900123", no_voicemail=True,
            code_word="bluebell", safe_from=time(9, 0), safe_until=time(15, 0),
        ),
    )  # fmt: skip
    assert plan.spoc_id == mash_officer.pk
    event = AuditEvent.objects.get(action="mash.contact_plan.saved")
    assert event.changes["code_word"] == [False, True]
    assert "bluebell" not in str(event.changes)


def test_no_voicemail_is_respected(case, mash_officer, officer):
    c = case()
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(no_voicemail=True)
    )
    with pytest.raises(DomainError, match="no voicemail"):
        services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="voicemail")
    services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="no_answer")
    assert Contact.objects.count() == 1


def test_recent_contacts_by_others_are_shown_and_a_new_one_while_typing_is_refused(
    case, mash_officer, officer
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        screen = selectors.contact_screen(user=mash_officer, person=c.victim)
        assert screen.recent_by_others == []
        seen = screen.latest_id
        other = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke"
        )
        with pytest.raises(Conflict, match=str(officer)):
            services.contact_log(
                actor=mash_officer, person=c.victim, channel="phone", outcome="spoke",
                seen_up_to=seen,
            )  # fmt: skip
        screen = selectors.contact_screen(user=mash_officer, person=c.victim)
        assert screen.recent_by_others == [other]
        services.contact_log(
            actor=mash_officer, person=c.victim, channel="text", outcome="message_sent",
            seen_up_to=screen.latest_id,
        )  # fmt: skip
    # Older than 48 hours: no longer a warning.
    with time_machine.travel(DAY + timedelta(hours=48, minutes=1), tick=False):
        assert selectors.contact_screen(user=mash_officer, person=c.victim).recent_by_others == []
    with (
        override_settings(DAPOLICE_MASH_RECENT_CONTACT_HOURS=72),
        time_machine.travel(DAY + timedelta(hours=60), tick=False),
    ):
        assert selectors.contact_screen(user=mash_officer, person=c.victim).recent_by_others == [
            other
        ]


def test_safe_contact_rule_for_notifications(case, mash_officer):
    c = case()
    victim = ("incidents.person", str(c.victim_id))
    assert selectors.safe_contact_for(*victim, "email", DAY) is None  # no plan: no message
    services.contact_plan_save(
        actor=mash_officer,
        person=c.victim,
        data=ContactPlanInput(
            safe_email="safe@example.org", safe_phone="07700900123",
            safe_from=time(9, 0), safe_until=time(15, 0),
        ),
    )  # fmt: skip
    assert selectors.safe_contact_for(*victim, "email", DAY).address == "safe@example.org"
    assert selectors.safe_contact_for(*victim, "text", DAY).address == "07700900123"
    evening = DAY.replace(hour=19)
    assert selectors.safe_contact_for(*victim, "email", evening) is None
    assert selectors.safe_contact_for("accounts.user", victim[1], "email", DAY) is None


def test_a_safe_window_that_starts_when_it_ends_is_refused_and_nothing_is_saved(case, mash_officer):
    c = case()
    with pytest.raises(DomainError) as raised:
        services.contact_plan_save(
            actor=mash_officer,
            person=c.victim,
            data=ContactPlanInput(
                safe_phone="07700900123", safe_from=time(9, 0), safe_until=time(9, 0)
            ),
        )
    assert raised.value.field == "safe_until"
    assert not ContactPlan.objects.filter(person=c.victim).exists()


def test_every_case_is_one_row_per_assessment(case):
    case()
    case()
    assert MashCase.objects.count() == 2

"""``mash.selectors`` read by read: who sees what, the order, what is audited, the alerts'
titles, links and recipients (pinned here at the selector, not through a page;
``make mutate MODULE=mash/selectors.py`` runs against these and the service tests)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.http import Http404
from django.test import override_settings

from dapolice.accounts.models import Agency
from dapolice.alerts.registry import AlertSpec
from dapolice.audit.models import AuditEvent
from incidents.choices import CUSTODY_REASSESS_DEADLINE, CUSTODY_TELL_VICTIM_DEADLINE
from incidents.models import IncidentPerson
from mash import selectors, services
from mash.choices import Duty
from mash.inputs import ActionInput, ContactPlanInput
from mash.models import EncompassNotice, Referral

#: A Tuesday in winter (GMT): 10:00 local is MASH hours, and local time is UTC.
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _reads(action, user):
    return AuditEvent.objects.filter(action=action, actor=user)


# --- The duty rota ----------------------------------------------------------------------------


def test_on_duty_is_the_latest_starting_shift_covering_the_moment(make_user, rota):
    early, late = make_user("mash"), make_user("mash")
    rota(early, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=4), DAY + timedelta(hours=4))
    rota(late, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=1), DAY + timedelta(hours=1))
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY) == late.pk
    # A shift's end is not part of it; its start is.
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY + timedelta(hours=1)) == early.pk
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=4)) == early.pk
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY + timedelta(hours=4)) is None
    assert selectors.on_duty(Duty.DETECTIVE_SERGEANT, DAY) is None


def test_two_shifts_starting_together_the_later_entered_wins(make_user, rota):
    first, second = make_user("mash"), make_user("mash")
    rota(first, Duty.MASH_TEAM_LEAD, DAY, DAY + timedelta(hours=4))
    rota(second, Duty.MASH_TEAM_LEAD, DAY, DAY + timedelta(hours=2))
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY) == second.pk


# --- The queue ------------------------------------------------------------------------------


def test_a_queue_row_shows_the_clock_in_force_and_why_it_is_there(case, mash_officer):
    with time_machine.travel(DAY, tick=False):
        high, medium = case("high"), case("medium")
    at = DAY + timedelta(hours=1)
    row = selectors.row_for(high, at)
    assert (row.waited, row.deadline, row.overdue, row.why) == (
        timedelta(hours=1),
        DAY + timedelta(hours=1),
        False,  # due at this very moment: not yet overdue
        "High",
    )
    assert selectors.row_for(high, at + timedelta(seconds=1)).overdue is True
    row = selectors.row_for(medium, at)
    assert (row.deadline, row.overdue, row.why) == (DAY + timedelta(hours=24), False, "Medium")
    services.case_claim(actor=mash_officer, case=high)
    high.refresh_from_db()
    assert selectors.row_for(high, at).deadline == DAY + timedelta(hours=24)
    services.case_assess(actor=mash_officer, case=high, final_level="high", notes="Done")
    high.refresh_from_db()
    row = selectors.row_for(high, DAY + timedelta(days=3))
    assert (row.deadline, row.overdue) == (None, False)


def test_the_queue_is_risk_then_age_open_only_and_audited(case, mash_officer, make_user):
    with time_machine.travel(DAY, tick=False):
        old_medium = case("medium")
    with time_machine.travel(DAY + timedelta(minutes=5), tick=False):
        high = case("high")
        done = case("high")
    with time_machine.travel(DAY + timedelta(minutes=10), tick=False):
        newer_high = case("high")
    services.case_assess(actor=mash_officer, case=done, final_level="high", notes="Done")
    services.case_claim(actor=mash_officer, case=newer_high)
    now = DAY + timedelta(hours=2)
    queue = selectors.case_queue(user=mash_officer, now=now)
    assert [r.case.pk for r in queue.rows] == [high.pk, newer_high.pk, old_medium.pk]
    assert queue.rows[0].waited == timedelta(hours=1, minutes=55)
    assert queue.waiting == 2
    event = _reads("mash.case.queue_viewed", mash_officer).get()
    assert event.object_ids == [str(high.pk), str(newer_high.pk), str(old_medium.pk)]
    assert event.changes == {"filters": [None, ["status"]]}
    assert event.subject_type == "mash.mashcase"
    # Another status chosen: that status only; the filters named (not "page" or blanks).
    queue = selectors.case_queue(
        user=mash_officer, data={"status": "assessed", "page": "1", "level": ""}, now=now
    )
    assert [r.case.pk for r in queue.rows] == [done.pk]
    last = _reads("mash.case.queue_viewed", mash_officer).order_by("pk").last()
    assert last.changes == {"filters": [None, ["status"]]}
    # Someone who sees no case sees an empty queue and no waiting count.
    analyst = make_user("analyst")
    empty = selectors.case_queue(user=analyst, now=now)
    assert (empty.rows, empty.waiting) == ([], 0)


def test_the_waiting_count_is_of_cases_the_user_may_see(case, officer, make_user):
    mine = case("medium")
    other = make_user("attending_officer")
    queue = selectors.case_queue(user=officer)
    assert [r.case.pk for r in queue.rows] == [mine.pk]
    assert queue.waiting == 1
    assert selectors.case_queue(user=other).waiting == 0


def test_next_waiting_is_unclaimed_visible_cases_in_claiming_order(case, mash_officer, officer):
    with time_machine.travel(DAY, tick=False):
        medium = case("medium")
        first_high = case("high")
        second_high = case("high")
    services.case_claim(actor=mash_officer, case=first_high)
    assert list(selectors.next_waiting(mash_officer)) == [second_high, medium]


# --- One case ---------------------------------------------------------------------------------


def test_a_case_is_read_only_by_who_may_see_it_and_the_read_is_audited(
    case, mash_officer, make_user
):
    c = case()
    case()  # another case: the one asked for is the one read
    assert selectors.case_get_for_user(user=mash_officer, pk=c.pk) == c
    event = _reads("mash.case.read", mash_officer).get()
    assert (event.subject_type, event.subject_id) == ("mash.mashcase", str(c.pk))
    selectors.case_get_for_user(user=mash_officer, pk=c.pk, audit=False)
    assert _reads("mash.case.read", mash_officer).count() == 1
    for role in ("analyst", "sysadmin", "call_taker", "attending_officer"):
        with pytest.raises(Http404):
            selectors.case_get_for_user(user=make_user(role), pk=c.pk)


def _fill_case(c, mash_officer, agency_health):
    services.ownership_accept(actor=mash_officer, case=c)
    services.information_add(
        actor=mash_officer, case=c, source="police", received_on=DAY.date(), summary="Later"
    )
    services.information_add(
        actor=mash_officer,
        case=c,
        source="health",
        received_on=DAY.date() - timedelta(days=3),
        summary="Earlier",
    )
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )


def test_the_case_page_reads_everything_in_order(case, mash_officer, make_user, agency_health):
    with time_machine.travel(DAY, tick=False):
        c = case("high", children=True)
    with time_machine.travel(DAY + timedelta(minutes=10), tick=False):
        _fill_case(c, mash_officer, agency_health)
    detail = selectors.case_detail(user=mash_officer, case=c, now=DAY + timedelta(hours=1))
    r = Referral.objects.get(case=c)
    assert [p.owner_id for p in detail.ledger] == [c.assessment.author_id, mash_officer.pk]
    assert [e.summary for e in detail.information] == ["Earlier", "Later"]
    assert detail.referrals == [r]
    assert detail.notices == list(EncompassNotice.objects.filter(case=c))
    assert detail.plan.spoc_id == mash_officer.pk
    assert detail.row.deadline == DAY + timedelta(hours=1)
    assert (detail.idva.total, detail.idva.supported) == (1, 0)
    assert detail.case == c


def test_the_plan_version_of_a_new_case_is_zero(case, mash_officer):
    c = case()
    assert selectors.plan_version(c) == 0
    services.plan_save(actor=mash_officer, case=c, version=0, summary="S", actions=[])
    assert selectors.plan_version(c) == 1
    assert selectors.plan_actions(c) == []


def test_a_partner_adds_information_only_to_a_case_referred_to_their_agency(
    case, mash_officer, make_user, agency_health, agency_housing
):
    referred, other = case(), case()
    services.referral_make(actor=mash_officer, case=referred, kind="health", agency=agency_health)
    partner = make_user("partner", agency=agency_health)
    housing = make_user("partner", agency=agency_housing)
    assert selectors.case_for_information(user=partner, pk=referred.pk) == referred
    event = _reads("mash.case.read", partner).get()
    assert event.subject_id == str(referred.pk)
    for user, pk in ((partner, other.pk), (housing, referred.pk)):
        with pytest.raises(Http404):
            selectors.case_for_information(user=user, pk=pk)
    assert selectors.case_for_information(user=mash_officer, pk=other.pk) == other
    with pytest.raises(Http404):
        selectors.case_for_information(user=make_user("analyst"), pk=other.pk)


def test_a_partner_reads_only_their_own_information(case, mash_officer, make_user, agency_health):
    c = case()
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    partner = make_user("partner", agency=agency_health)
    ours = services.information_add(
        actor=partner, case=c, source="health", received_on=DAY.date() - timedelta(days=9),
        summary="GP",
    )  # fmt: skip
    theirs = services.information_add(
        actor=mash_officer, case=c, source="police", received_on=DAY.date() - timedelta(days=9),
        summary="PNC",
    )  # fmt: skip
    assert selectors.information_for(user=partner, case=c) == [ours]
    assert selectors.information_for(user=mash_officer, case=c) == [ours, theirs]


def test_a_notice_is_found_only_through_its_own_case(case):
    a, b = case(children=True), case(children=True)
    notice = EncompassNotice.objects.get(case=a)
    assert selectors.notice_of(case=a, pk=notice.pk) == notice
    with pytest.raises(Http404):
        selectors.notice_of(case=b, pk=notice.pk)


# --- Referrals --------------------------------------------------------------------------------


def test_the_referral_list_is_open_first_then_soonest_due_and_audited(
    case, mash_officer, make_user, agency_health
):
    c1, c2 = case(), case()
    with time_machine.travel(DAY, tick=False):
        later = services.referral_make(
            actor=mash_officer, case=c1, kind="housing", due_at=DAY + timedelta(days=5)
        )
        sooner = services.referral_make(
            actor=mash_officer, case=c2, kind="housing", due_at=DAY + timedelta(days=2)
        )
        done = services.referral_make(
            actor=mash_officer, case=c1, kind="health", agency=agency_health,
            due_at=DAY + timedelta(days=1),
        )  # fmt: skip
    services.referral_respond(actor=mash_officer, referral=done, status="completed")
    page = selectors.referral_list(user=mash_officer)
    # "completed" sorts after "made": the open ones first.
    assert list(page.object_list) == [sooner, later, done]
    event = _reads("mash.referral.listed", mash_officer).get()
    assert event.object_ids == [str(sooner.pk), str(later.pk), str(done.pk)]
    assert event.subject_type == "mash.referral"
    partner = make_user("partner", agency=agency_health)
    assert list(selectors.referral_list(user=partner).object_list) == [done]
    assert selectors.referral_get_for_user(user=partner, pk=done.pk) == done
    read = _reads("mash.referral.read", partner).get()
    assert (read.subject_type, read.subject_id) == ("mash.referral", str(done.pk))
    with pytest.raises(Http404):
        selectors.referral_get_for_user(user=partner, pk=sooner.pk)


def test_the_idva_rate_counts_high_risk_victims_of_the_window(
    case, mash_officer, make_user, settings
):
    settings.DAPOLICE_MASH_IDVA_WINDOW_DAYS = 30
    idva = Agency.objects.create(name="IDVA", code="idva-s", kind="idva")
    with time_machine.travel(DAY - timedelta(days=30), tick=False):
        edge = case("high")  # arrived exactly 30 days ago: in the window
    with time_machine.travel(DAY - timedelta(days=30, seconds=1), tick=False):
        case("high")  # a second earlier: out
    with time_machine.travel(DAY, tick=False):
        raised = case("medium")
        services.case_assess(
            actor=mash_officer, case=raised, final_level="high", reason="More found", notes="x"
        )
        declined = case("high")
    with time_machine.travel(DAY + timedelta(seconds=1), tick=False):
        case("high")  # after "now": not counted
    r = services.referral_make(actor=mash_officer, case=edge, kind="idva", agency=idva)
    services.referral_respond(actor=mash_officer, referral=r, status="completed")
    d = services.referral_make(actor=mash_officer, case=declined, kind="idva", agency=idva)
    services.referral_respond(actor=mash_officer, referral=d, status="declined", note="No")
    services.referral_make(actor=mash_officer, case=raised, kind="housing")  # not an IDVA one
    rate = selectors.idva_rate(now=DAY)
    assert (rate.supported, rate.referred, rate.total) == (1, 1, 3)
    settings.DAPOLICE_MASH_IDVA_TARGET_PERCENT = 30
    assert selectors.idva_rate(now=DAY).target == 30


def test_the_last_marac_referral_is_the_latest_at_or_before_the_moment(case, mash_officer):
    first = case("high")
    with time_machine.travel(DAY, tick=False):
        r1 = services.referral_make(actor=mash_officer, case=first, kind="marac")
        services.referral_make(actor=mash_officer, case=first, kind="idva")
    services.referral_respond(actor=mash_officer, referral=r1, status="completed")
    second = case("high", victim=first.victim)
    with time_machine.travel(DAY + timedelta(days=10), tick=False):
        services.referral_make(actor=mash_officer, case=second, kind="marac")
    victim = first.victim_id
    assert selectors.last_marac_referral(victim, DAY) == DAY
    assert selectors.last_marac_referral(victim, DAY + timedelta(days=9)) == DAY
    assert selectors.last_marac_referral(victim, DAY + timedelta(days=11)) == DAY + timedelta(
        days=10
    )
    assert selectors.last_marac_referral(victim, DAY - timedelta(seconds=1)) is None
    assert selectors.last_marac_referral(case("high").victim_id, DAY + timedelta(days=11)) is None


# --- Contacts ---------------------------------------------------------------------------------


def test_the_contact_screen_is_read_by_who_may_and_audited(
    case, mash_officer, make_user, agency_health
):
    c = case()
    case()  # another victim: the one asked for is the one read
    person = selectors.contact_person_get_for_user(user=mash_officer, pk=c.victim_id)
    assert person == c.victim
    read = _reads("mash.contacts.read", mash_officer).get()
    assert (read.subject_type, read.subject_id) == ("incidents.person", str(c.victim_id))
    partner = make_user("partner", agency=agency_health)
    with pytest.raises(Http404):
        selectors.contact_person_get_for_user(user=partner, pk=c.victim_id)
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    assert selectors.contact_person_get_for_user(user=partner, pk=c.victim_id) == c.victim
    with pytest.raises(Http404):
        selectors.contact_person_get_for_user(user=make_user("analyst"), pk=c.victim_id)


@override_settings(DAPOLICE_MASH_RECENT_CONTACT_HOURS=48)
def test_the_contact_screen_lists_newest_first_and_warns_of_others_recent_ones(
    case, mash_officer, officer
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        old = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=48, seconds=1),
        )  # fmt: skip
        edge = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=48),
        )  # fmt: skip
        same_time = services.contact_log(
            actor=officer, person=c.victim, channel="text", outcome="message_sent",
            at=DAY - timedelta(hours=48),
        )  # fmt: skip
        mine = services.contact_log(
            actor=mash_officer, person=c.victim, channel="phone", outcome="spoke"
        )
        screen = selectors.contact_screen(user=mash_officer, person=c.victim, now=DAY)
    assert screen.contacts == [mine, same_time, edge, old]
    assert screen.recent_by_others == [same_time, edge]
    assert screen.latest_id == max(x.pk for x in (old, edge, same_time, mine))
    assert (screen.plan, screen.within_safe_times, screen.hours) == (None, True, 48)
    assert screen.person == c.victim
    event = _reads("mash.contact.listed", mash_officer).get()
    assert event.object_ids == [str(x.pk) for x in (mine, same_time, edge, old)]
    assert event.subject_type == "mash.contact"
    short = selectors.contact_screen(user=mash_officer, person=c.victim, now=DAY, limit=2)
    assert short.contacts == [mine, same_time]
    assert short.latest_id == mine.pk
    empty = selectors.contact_screen(user=mash_officer, person=case().victim, now=DAY)
    assert (empty.contacts, empty.latest_id) == ([], 0)


def test_the_contact_screen_says_whether_now_is_within_the_safe_times(case, mash_officer):
    c = case()
    services.contact_plan_save(
        actor=mash_officer,
        person=c.victim,
        data=ContactPlanInput(spoc_id=mash_officer.pk, safe_from=time(9), safe_until=time(11)),
    )
    inside = selectors.contact_screen(user=mash_officer, person=c.victim, now=DAY)
    assert inside.within_safe_times is True
    assert inside.plan.spoc == mash_officer
    outside = selectors.contact_screen(user=mash_officer, person=c.victim, now=DAY.replace(hour=12))
    assert outside.within_safe_times is False
    assert selectors.contact_plan_of(c.victim_id).pk == inside.plan.pk


def test_contacts_by_others_since_are_newer_recent_and_not_the_users(case, mash_officer, officer):
    c = case()
    with time_machine.travel(DAY, tick=False):
        seen = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke"
        )
        older = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=2),
        )  # fmt: skip
        newer = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=1),
        )  # fmt: skip
        stale = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=49),
        )  # fmt: skip
        services.contact_log(actor=mash_officer, person=c.victim, channel="text", outcome="spoke")
    found = selectors.contacts_by_others_since(
        person_id=c.victim_id, user=mash_officer, after_id=seen.pk, now=DAY
    )
    assert found == [newer, older]
    assert stale not in found
    by_others = selectors.contacts_by_others_since(
        person_id=c.victim_id, user=officer, after_id=0, now=DAY
    )
    assert [x.made_by_id for x in by_others] == [mash_officer.pk]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("email", "safe@example.org"),
        ("text", "07700900123"),
        ("phone", "07700900123"),
        ("sms", "07700900123"),
        ("letter", None),
    ],
)
def test_safe_contact_goes_only_to_the_safe_address_for_the_channel(
    case, mash_officer, channel, expected
):
    c = case()
    services.contact_plan_save(
        actor=mash_officer,
        person=c.victim,
        data=ContactPlanInput(safe_email="safe@example.org", safe_phone="07700900123"),
    )
    found = selectors.safe_contact_for("incidents.person", str(c.victim_id), channel, DAY)
    assert (found.address if found else None) == expected


def test_no_safe_number_or_address_means_no_message(case, mash_officer):
    c = case()
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(no_voicemail=True)
    )
    for channel in ("email", "text", "phone", "sms"):
        assert (
            selectors.safe_contact_for("incidents.person", str(c.victim_id), channel, DAY) is None
        )


# --- Alerts -----------------------------------------------------------------------------------


def test_the_team_lead_on_the_rota_or_every_mash_officer(make_user, rota):
    lead = make_user("mash")
    rota(lead, Duty.MASH_TEAM_LEAD, DAY, DAY + timedelta(hours=8))
    assert selectors.team_lead_spec(title="T", link="/l", at=DAY, severity="urgent") == AlertSpec(
        title="T", link="/l", recipient_id=lead.pk, severity="urgent"
    )
    assert selectors.team_lead_spec(
        title="T", link="/l", at=DAY - timedelta(seconds=1), severity="info"
    ) == AlertSpec(title="T", link="/l", recipient_role="mash", severity="info")


def test_out_of_hours_alert_only_while_waiting(case, make_user, rota, mash_officer):
    night = DAY.replace(hour=23)
    sergeant = make_user("investigator")
    rota(sergeant, Duty.DETECTIVE_SERGEANT, night, night + timedelta(hours=8))
    with time_machine.travel(night, tick=False):
        c = case("high")
    ref = c.incident.reference
    assert selectors.out_of_hours_alerts(case_id=c.pk) == [
        AlertSpec(
            title=f"High-risk case {ref} arrived out of MASH hours: yours",
            link=f"/mash/cases/{c.pk}/",
            recipient_id=sergeant.pk,
            severity="urgent",
        )
    ]
    services.case_claim(actor=sergeant, case=c)
    assert selectors.out_of_hours_alerts(case_id=c.pk) == []
    assert selectors.out_of_hours_alerts(case_id=999999) == []


def test_start_overdue_goes_to_the_lead_in_hours_and_the_sergeant_out_of_hours(
    case, make_user, rota, mash_officer, settings
):
    settings.DAPOLICE_MASH_HIGH_START_MINUTES = 45
    lead = make_user("mash")
    rota(lead, Duty.MASH_TEAM_LEAD, DAY, DAY + timedelta(hours=8))
    with time_machine.travel(DAY, tick=False):
        c = case("high")
    title = f"High-risk MASH case {c.incident.reference} not started within 45 minutes"
    assert selectors.start_overdue_alerts(case_id=c.pk, now=DAY + timedelta(hours=1)) == [
        AlertSpec(title=title, link=f"/mash/cases/{c.pk}/", recipient_id=lead.pk, severity="urgent")
    ]
    with time_machine.travel(DAY.replace(hour=23), tick=False):
        night = case("high")  # nobody on the sergeants' rota: the control room
    [spec] = selectors.start_overdue_alerts(case_id=night.pk, now=DAY + timedelta(hours=1))
    assert spec.recipient_role == "control_supervisor"
    assert spec.title.endswith(": no detective sergeant on the duty rota")
    services.case_claim(actor=mash_officer, case=c)
    assert selectors.start_overdue_alerts(case_id=c.pk, now=DAY) == []
    assert selectors.start_overdue_alerts(case_id=999999, now=DAY) == []


def test_complete_overdue_while_open_to_the_lead(case, mash_officer, settings):
    settings.DAPOLICE_MASH_COMPLETE_HOURS = 12
    c = case("medium")
    services.case_claim(actor=mash_officer, case=c)
    assert selectors.complete_overdue_alerts(case_id=c.pk, now=DAY) == [
        AlertSpec(
            title=(
                f"MASH case {c.incident.reference} without a secondary assessment after 12 hours"
            ),
            link=f"/mash/cases/{c.pk}/",
            recipient_role="mash",
            severity="warning",
        )
    ]
    services.case_assess(actor=mash_officer, case=c, final_level="medium", notes="Done")
    assert selectors.complete_overdue_alerts(case_id=c.pk, now=DAY) == []
    assert selectors.complete_overdue_alerts(case_id=999999, now=DAY) == []


def test_an_overdue_referral_tells_its_maker_and_the_agency(case, mash_officer, agency_health):
    c = case()
    r = services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    title = f"Health referral on {c.incident.reference} is past its due time"
    assert selectors.referral_overdue_alerts(referral_id=r.pk, now=DAY) == [
        AlertSpec(title=title, link=f"/mash/cases/{c.pk}/", recipient_id=mash_officer.pk),
        AlertSpec(
            title=title,
            link=f"/mash/referrals/{r.pk}/",
            recipient_role="partner",
            recipient_agency_id=agency_health.pk,
        ),
    ]
    services.referral_respond(actor=mash_officer, referral=r, status="accepted")
    assert len(selectors.referral_overdue_alerts(referral_id=r.pk, now=DAY)) == 2
    services.referral_respond(actor=mash_officer, referral=r, status="completed")
    assert selectors.referral_overdue_alerts(referral_id=r.pk, now=DAY) == []
    sanctuary = services.referral_make(actor=mash_officer, case=c, kind="sanctuary")
    [only] = selectors.referral_overdue_alerts(referral_id=sanctuary.pk, now=DAY)
    assert only.recipient_id == mash_officer.pk
    assert selectors.referral_overdue_alerts(referral_id=999999, now=DAY) == []


def test_an_unsent_encompass_notice_alerts_the_lead_urgently(case, mash_officer):
    c = case(children=True)
    notice = EncompassNotice.objects.get(case=c)
    assert selectors.encompass_overdue_alerts(notice_id=notice.pk, now=DAY) == [
        AlertSpec(
            title=(
                f"Operation Encompass notice for {c.incident.reference} not sent before the "
                "school day"
            ),
            link=f"/mash/cases/{c.pk}/",
            recipient_role="mash",
            severity="urgent",
        )
    ]
    services.notice_send(
        actor=mash_officer, notice=notice, child_name="Sam", school="Park", present=True,
        welfare_check=False,
    )  # fmt: skip
    assert selectors.encompass_overdue_alerts(notice_id=notice.pk, now=DAY) == []
    assert selectors.encompass_overdue_alerts(notice_id=999999, now=DAY) == []


def test_user_get_is_an_active_user_or_404(make_user):
    make_user("mash")  # another active user: the one asked for is the one found
    user = make_user("mash")
    assert selectors.user_get(user.pk) == user
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        selectors.user_get(user.pk)


def test_follow_up_alerts_go_to_the_active_spoc_or_the_mash(
    case, mash_officer, make_user, settings
):
    settings.DAPOLICE_SILENT_VICTIM_MONTHS = 4
    c = case()
    pid = c.victim_id
    link = f"/mash/victims/{pid}/contacts/"
    assert selectors.reassessment_alerts(person_id=pid) == [
        AlertSpec(
            title=f"Victim {pid}: medium-risk re-assessment due (no SPOC named)",
            link=link,
            recipient_role="mash",
        )
    ]
    spoc = make_user("mash")
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=spoc.pk)
    )
    assert selectors.silent_victim_alerts(person_id=pid) == [
        AlertSpec(
            title=(f"Victim {pid}: repeat victim not heard from for 4 months: welfare follow-up"),
            link=link,
            recipient_id=spoc.pk,
        )
    ]
    spoc.is_active = False
    spoc.save(update_fields=["is_active"])
    [spec] = selectors.reassessment_alerts(person_id=pid)
    assert (spec.recipient_id, spec.recipient_role) == (None, "mash")


@override_settings(DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS=2, DAPOLICE_SILENT_VICTIM_MONTHS=3)
def test_silent_victims_are_due_months_after_the_later_of_incident_and_spoken_contact(
    log_incident, mash_officer
):
    from incidents.models import Person

    def victim_of(incident):
        return Person.objects.get(involvements__incident=incident, involvements__role="victim")

    travel = time_machine.travel(DAY + timedelta(hours=1), tick=False)
    travel.start()
    a = victim_of(log_incident(received_at=DAY - timedelta(days=40)))
    log_incident(victim=a, received_at=DAY - timedelta(days=20))
    b = victim_of(log_incident(received_at=DAY - timedelta(days=30)))
    log_incident(victim=b, received_at=DAY - timedelta(days=30))
    once = victim_of(log_incident(received_at=DAY))
    travel.stop()
    with time_machine.travel(DAY, tick=False):
        services.contact_log(
            actor=mash_officer, person=b, channel="phone", outcome="spoke",
            at=DAY - timedelta(days=5),
        )  # fmt: skip
        services.contact_log(
            actor=mash_officer, person=a, channel="phone", outcome="no_answer",
            at=DAY - timedelta(days=1),
        )  # fmt: skip
    due = selectors.silent_victims_due()
    assert due == sorted(
        [
            (a.pk, datetime(2027, 2, 11, 10, 0, tzinfo=UTC)),  # last incident + 3 months
            (b.pk, datetime(2027, 2, 26, 10, 0, tzinfo=UTC)),  # spoken to + 3 months
        ]
    )
    assert once.pk not in dict(due)


# --- Custody --------------------------------------------------------------------------------


@pytest.fixture
def custody(case, officer):
    """``custody(kind) -> (event, case)``: a suspect's bail or custody change on a new case's
    incident, recorded by the attending officer."""
    from incidents import services as incident_services

    def do(kind="bail_granted"):
        c = case(suspect={"given_name": "Sam", "family_name": "Suspectson"})
        suspect = IncidentPerson.objects.get(incident=c.incident, role="suspect").person
        with time_machine.travel(DAY, tick=False):
            event = incident_services.custody_event_record(
                actor=officer, incident=c.incident, suspect=suspect, kind=kind
            )
        return event, c

    return do


def test_custody_reassessment_alert_to_the_spoc_and_the_recording_officer(
    custody, officer, mash_officer
):
    event, c = custody()
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    from django.utils import timezone

    by = timezone.localtime(event.tell_victim_by).strftime("%d %b %H:%M")
    title = (
        f"{c.incident.reference}: {event.get_kind_display()}: re-assess the victim's risk; "
        f"tell the victim by {by}"
    )
    link = f"/mash/victims/{c.victim_id}/contacts/"
    assert selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE) == [
        AlertSpec(title=title, link=link, recipient_id=mash_officer.pk, severity="warning"),
        AlertSpec(title=title, link=link, recipient_id=officer.pk, severity="warning"),
    ]
    tell = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_TELL_VICTIM_DEADLINE)
    assert [s.title for s in tell] == [
        f"{c.incident.reference}: {event.get_kind_display()}: the victim has not been told "
        "(Victims' Code)"
    ] * 2
    assert {s.severity for s in tell} == {"urgent"}
    assert selectors.custody_alerts(event_id=999999, kind=CUSTODY_REASSESS_DEADLINE) == []


def test_custody_alert_once_the_victim_is_told_and_without_anyone_to_tell(
    custody, officer, mash_officer
):
    from incidents import services as incident_services

    event, c = custody()
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    [spec] = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE)
    assert (spec.recipient_id, spec.recipient_role, spec.severity) == (None, "mash", "warning")
    officer.is_active = True
    officer.save(update_fields=["is_active"])
    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        incident_services.custody_victim_informed(actor=officer, event=event)
    assert selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_TELL_VICTIM_DEADLINE) == []
    # The re-assessment is still due once the victim is told.
    assert selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE)


def test_a_custody_alert_with_the_spoc_as_the_recording_officer_is_sent_once(
    custody, officer, mash_officer
):
    event, c = custody()
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=officer.pk)
    )
    specs = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE)
    assert [s.recipient_id for s in specs] == [officer.pk]


def test_a_sergeant_reads_all_information_only_of_the_case_they_are_on_duty_for(
    case, make_user, rota, mash_officer
):
    """A detective sergeant works the out-of-hours case they were on duty for; a case merely
    offered to them shows only what they wrote."""
    night = DAY.replace(hour=23)
    sergeant = make_user("investigator")
    rota(sergeant, Duty.DETECTIVE_SERGEANT, night, night + timedelta(hours=8))
    with time_machine.travel(night, tick=False):
        theirs = case("high")
    with time_machine.travel(DAY + timedelta(days=1), tick=False):
        offered = services.ownership_accept(actor=mash_officer, case=case("medium"))
        services.ownership_offer(actor=mash_officer, case=offered, to=sergeant)
        for c in (theirs, offered):
            services.information_add(
                actor=mash_officer, case=c, source="police", received_on=DAY.date(), summary="PNC"
            )
    assert [e.summary for e in selectors.information_for(user=sergeant, case=theirs)] == ["PNC"]
    assert selectors.information_for(user=sergeant, case=offered) == []


def test_the_case_page_runs_no_query_per_row(case, mash_officer, agency_health, make_user):
    """Every person the page names (owners, who recorded, who made or answered a referral,
    who sent a notice, the SPOC) comes with the rows: no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(DAY, tick=False):
        c = case("high", children=True)
    with time_machine.travel(DAY + timedelta(minutes=10), tick=False):
        _fill_case(c, mash_officer, agency_health)
        partner = make_user("partner", agency=agency_health)
        services.referral_respond(
            actor=partner, referral=Referral.objects.get(case=c), status="accepted"
        )
        services.information_add(
            actor=partner, case=c, source="health", received_on=DAY.date(), summary="GP"
        )
        services.notice_send(
            actor=mash_officer, notice=EncompassNotice.objects.get(case=c), child_name="Sam",
            school="Park", present=True, welfare_check=False,
        )  # fmt: skip
        services.plan_save(
            actor=mash_officer,
            case=c,
            version=0,
            summary="S",
            actions=[
                ActionInput(
                    description="Alarm",
                    owner_name="PC Reed",
                    owner_agency="police",
                    due_on=DAY.date(),
                )  # fmt: skip
            ],
        )
    c = selectors.case_get_for_user(user=mash_officer, pk=c.pk, audit=False)
    detail = selectors.case_detail(user=mash_officer, case=c, now=DAY + timedelta(hours=1))
    assert [a.description for a in detail.actions] == ["Alarm"]
    with CaptureQueriesContext(connection) as queries:
        named = [
            *(str(p.owner) for p in detail.ledger),
            *(str(p.offered_by) for p in detail.ledger if p.offered_by_id),
            *(str(e.recorded_by) for e in detail.information),
            *(str(e.agency) for e in detail.information if e.agency_id),
            *(str(r.agency) for r in detail.referrals),
            *(str(r.made_by) for r in detail.referrals),
            *(str(r.responded_by) for r in detail.referrals),
            *(str(n.sent_by) for n in detail.notices),
            str(detail.plan.spoc),
        ]
        entries = selectors.information_for(user=mash_officer, case=c)
        named += [str(e.recorded_by) for e in entries]
        named += [str(e.agency) for e in entries if e.agency_id]
        named.append(str(selectors.contact_plan_of(c.victim_id).spoc))
    assert str(mash_officer) in named
    assert str(agency_health) in named
    # information_for and contact_plan_of: one query each, the names come with the rows.
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]


def test_the_referral_list_runs_no_query_per_row(case, mash_officer, agency_health):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        services.referral_make(actor=mash_officer, case=case(), kind="health", agency=agency_health)
    page = selectors.referral_list(user=mash_officer)
    with CaptureQueriesContext(connection) as queries:
        shown = [
            (r.case.incident.reference, str(r.case.victim), str(r.agency), str(r.made_by))
            for r in page.object_list
        ]
    assert len(shown) == 2
    assert queries.captured_queries == []
    referral = page.object_list[0]
    one = selectors.referral_get_for_user(user=mash_officer, pk=referral.pk)
    with CaptureQueriesContext(connection) as queries:
        shown = (
            one.case.incident.reference, str(one.case.victim), str(one.case.victim.address),
            str(one.agency), str(one.made_by),
        )  # fmt: skip
    assert queries.captured_queries == []


def test_custody_alerts_name_only_this_victims_active_spoc(
    custody, officer, mash_officer, make_user
):
    other_event, other_case = custody()
    services.contact_plan_save(
        actor=mash_officer, person=other_case.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    event, c = custody()
    # This victim's SPOC has left: only the recording officer is told.
    spoc = make_user("mash")
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=spoc.pk)
    )
    spoc.is_active = False
    spoc.save(update_fields=["is_active"])
    specs = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE)
    assert [(s.recipient_id, s.link) for s in specs] == [
        (officer.pk, f"/mash/victims/{c.victim_id}/contacts/")
    ]


def test_a_custody_alert_on_an_incident_without_a_victim_links_to_the_incident(custody, officer):
    event, c = custody()
    IncidentPerson.objects.filter(incident=c.incident, role="victim").delete()
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    title = f"{c.incident.reference}: {event.get_kind_display()}: the victim has not been told"
    assert selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_TELL_VICTIM_DEADLINE) == [
        AlertSpec(
            title=f"{title} (Victims' Code)",
            link=f"/incidents/{c.incident_id}/",
            recipient_role="mash",
            severity="urgent",
        )
    ]
    officer.is_active = True
    officer.save(update_fields=["is_active"])
    [spec] = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_TELL_VICTIM_DEADLINE)
    assert (spec.recipient_id, spec.link) == (officer.pk, f"/incidents/{c.incident_id}/")


def test_next_waiting_is_only_of_cases_the_user_may_see(case, officer, make_user):
    mine = case("medium")
    assert list(selectors.next_waiting(officer)) == [mine]
    assert list(selectors.next_waiting(make_user("attending_officer"))) == []


def test_contacts_by_others_since_are_of_this_victim_only(case, mash_officer, officer):
    c, other = case(), case()
    with time_machine.travel(DAY, tick=False):
        services.contact_log(actor=officer, person=other.victim, channel="phone", outcome="spoke")
    assert (
        selectors.contacts_by_others_since(
            person_id=c.victim_id, user=mash_officer, after_id=0, now=DAY
        )
        == []
    )


def test_the_idva_rate_counts_each_victim_once_and_only_victims_of_the_window(
    case, mash_officer, settings
):
    """Two high-risk cases of one victim, both referred to an IDVA, are one victim referred and
    supported; an IDVA referral of a victim whose high-risk case is outside the window is not
    counted at all."""
    settings.DAPOLICE_MASH_IDVA_WINDOW_DAYS = 30
    idva = Agency.objects.create(name="IDVA", code="idva-once", kind="idva")
    with time_machine.travel(DAY - timedelta(days=40), tick=False):
        old = case("high")
    with time_machine.travel(DAY, tick=False):
        first = case("high")
        second = case("high", victim=first.victim)
    r = services.referral_make(actor=mash_officer, case=old, kind="idva", agency=idva)
    services.referral_respond(actor=mash_officer, referral=r, status="completed")
    r = services.referral_make(actor=mash_officer, case=first, kind="idva", agency=idva)
    services.referral_respond(actor=mash_officer, referral=r, status="completed")
    r = services.referral_make(actor=mash_officer, case=second, kind="idva", agency=idva)
    services.referral_respond(actor=mash_officer, referral=r, status="accepted")
    rate = selectors.idva_rate(now=DAY)
    assert (rate.supported, rate.referred, rate.total) == (1, 1, 1)


def test_the_contact_screen_brings_who_made_each_contact_their_agency_and_the_spoc(
    case, mash_officer, officer, make_user, agency_health
):
    """The screen names the maker and agency of every contact and the SPOC: with the rows, no
    query per contact."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = case()
    services.referral_make(actor=mash_officer, case=c, kind="health", agency=agency_health)
    services.contact_plan_save(
        actor=mash_officer, person=c.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    partner = make_user("partner", agency=agency_health)
    with time_machine.travel(DAY, tick=False):
        for who in (officer, partner, mash_officer, partner):
            services.contact_log(actor=who, person=c.victim, channel="phone", outcome="spoke")
    screen = selectors.contact_screen(
        user=mash_officer, person=c.victim, now=DAY + timedelta(hours=1)
    )
    with CaptureQueriesContext(connection) as queries:
        named = [(str(x.made_by), str(x.agency) if x.agency_id else "") for x in screen.contacts]
        spoc = str(screen.plan.spoc)
    assert queries.captured_queries == []
    assert spoc == str(mash_officer)
    # All four at one moment: the latest logged first.
    health = str(agency_health)
    assert named == [
        (str(partner), health), (str(mash_officer), ""), (str(partner), health), (str(officer), "")
    ]  # fmt: skip


def test_the_referral_list_and_the_queue_open_on_their_first_page(case, mash_officer, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    with time_machine.travel(DAY, tick=False):
        first, second = case("high"), case("medium")
        sooner = services.referral_make(
            actor=mash_officer, case=first, kind="housing", due_at=DAY + timedelta(days=2)
        )
        services.referral_make(
            actor=mash_officer, case=second, kind="housing", due_at=DAY + timedelta(days=5)
        )
    page = selectors.referral_list(user=mash_officer)
    assert (page.number, list(page.object_list)) == (1, [sooner])
    queue = selectors.case_queue(user=mash_officer, now=DAY)
    assert (queue.page.number, [r.case for r in queue.rows]) == (1, [first])


def test_the_queue_shows_the_page_asked_for_with_its_filter(case, mash_officer, monkeypatch):
    from mash.filters import MashCaseFilter

    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    with time_machine.travel(DAY, tick=False):
        case("high")
        medium = case("medium")
    queue = selectors.case_queue(user=mash_officer, data={"level": ""}, page=2, now=DAY)
    assert (queue.page.number, [r.case for r in queue.rows]) == (2, [medium])
    assert isinstance(queue.filter, MashCaseFilter)
    assert queue.filter.data["status"] == "open"  # no status chosen: the open items


def test_the_contact_screen_orders_by_when_the_contact_was_not_when_it_was_logged(
    case, mash_officer, officer
):
    c = case()
    with time_machine.travel(DAY, tick=False):
        logged_first = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=1),
        )  # fmt: skip
        backdated = services.contact_log(
            actor=officer, person=c.victim, channel="phone", outcome="spoke",
            at=DAY - timedelta(hours=2),
        )  # fmt: skip
    screen = selectors.contact_screen(user=mash_officer, person=c.victim, now=DAY)
    assert screen.contacts == [logged_first, backdated]


def test_the_case_page_has_the_dash_with_the_case(case, mash_officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = case()
    read = selectors.case_get_for_user(user=mash_officer, pk=c.pk, audit=False)
    with CaptureQueriesContext(connection) as queries:
        shown = (read.assessment.level, read.incident.reference, str(read.victim), str(read.owner))
    assert shown[0] == "medium"
    assert queries.captured_queries == []


def test_a_custody_alert_reaches_the_victim_by_their_person_id(case, officer, mash_officer):
    """The link and the SPOC are the victim's (a person), not their row on the incident."""
    from incidents import services as incident_services

    victim = case().victim
    for _ in range(3):  # a returning victim: the incident's rows run ahead of the people
        c = case(victim=victim, suspect={"given_name": "Sam", "family_name": "Suspectson"})
        row = IncidentPerson.objects.get(incident=c.incident, role="victim")
        if row.pk != victim.pk:
            break
    assert row.pk != victim.pk
    services.contact_plan_save(
        actor=mash_officer, person=victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    suspect = IncidentPerson.objects.get(incident=c.incident, role="suspect").person
    with time_machine.travel(DAY, tick=False):
        event = incident_services.custody_event_record(
            actor=officer, incident=c.incident, suspect=suspect, kind="bail_granted"
        )
    specs = selectors.custody_alerts(event_id=event.pk, kind=CUSTODY_REASSESS_DEADLINE)
    link = f"/mash/victims/{victim.pk}/contacts/"
    assert [(s.recipient_id, s.link) for s in specs] == [
        (mash_officer.pk, link),
        (officer.pk, link),
    ]


def test_next_waiting_takes_the_first_made_of_two_equal_cases(case, mash_officer):
    """Same risk, same arrival: the lower id first, even when the other row was written to
    last (PostgreSQL would otherwise return the rows as it finds them)."""
    from mash.models import MashCase

    with time_machine.travel(DAY, tick=False):
        first, second = case("high"), case("high")
    # Moved and moved back: the first case's row (and its queue index entry) is now the newer.
    MashCase.objects.filter(pk=first.pk).update(arrived_at=DAY + timedelta(seconds=1))
    MashCase.objects.filter(pk=first.pk).update(arrived_at=DAY)
    assert list(selectors.next_waiting(mash_officer)) == [first, second]


def test_on_duty_is_the_later_start_even_when_entered_first(make_user, rota):
    late, early = make_user("mash"), make_user("mash")
    rota(late, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=1), DAY + timedelta(hours=1))
    rota(early, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=4), DAY + timedelta(hours=4))
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY) == late.pk


def test_no_sergeant_on_the_rota_the_control_room_is_told_urgently(case):
    with time_machine.travel(DAY.replace(hour=23), tick=False):
        night = case("high")
    ref = night.incident.reference
    assert selectors.out_of_hours_alerts(case_id=night.pk) == [
        AlertSpec(
            title=(
                f"High-risk case {ref} arrived out of MASH hours: yours: "
                "no detective sergeant on the duty rota"
            ),
            link=f"/mash/cases/{night.pk}/",
            recipient_role="control_supervisor",
            severity="urgent",
        )
    ]


def test_a_follow_up_alert_names_this_victims_spoc_not_anothers(case, mash_officer, make_user):
    other, c = case(), case()
    services.contact_plan_save(
        actor=mash_officer, person=other.victim, data=ContactPlanInput(spoc_id=make_user("mash").pk)
    )
    [spec] = selectors.reassessment_alerts(person_id=c.victim_id)
    assert (spec.recipient_id, spec.recipient_role) == (None, "mash")


def test_next_waiting_is_the_longest_waiting_not_the_first_made(case, mash_officer):
    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        later = case("medium")
    with time_machine.travel(DAY, tick=False):
        earlier = case("medium")  # made second, arrived first
    assert list(selectors.next_waiting(mash_officer)) == [earlier, later]


def test_the_referral_list_of_equal_referrals_is_in_id_order(case, mash_officer):
    """Same status, same due time: the lower id first, even when its row was written last
    (a page must neither repeat nor skip one)."""
    with time_machine.travel(DAY, tick=False):
        first = services.referral_make(
            actor=mash_officer, case=case(), kind="housing", due_at=DAY + timedelta(days=2)
        )
        second = services.referral_make(
            actor=mash_officer, case=case(), kind="housing", due_at=DAY + timedelta(days=2)
        )
    Referral.objects.filter(pk=first.pk).update(due_at=DAY + timedelta(days=3))
    Referral.objects.filter(pk=first.pk).update(due_at=DAY + timedelta(days=2))
    assert list(selectors.referral_list(user=mash_officer).object_list) == [first, second]


def test_the_referral_list_shows_the_page_asked_for(case, mash_officer, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    with time_machine.travel(DAY, tick=False):
        services.referral_make(
            actor=mash_officer, case=case(), kind="housing", due_at=DAY + timedelta(days=2)
        )
        later = services.referral_make(
            actor=mash_officer, case=case(), kind="housing", due_at=DAY + timedelta(days=5)
        )
    page = selectors.referral_list(user=mash_officer, page=2)
    assert (page.number, list(page.object_list)) == (2, [later])


def test_a_referral_read_brings_the_victims_address_and_a_notice_its_sender(
    case, mash_officer, officer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = case(
        victim={"given_name": "Vic", "family_name": "Timson", "lives_at_location": True},
        children=True,
    )
    assert c.victim.address_id is not None
    r = services.referral_make(actor=mash_officer, case=c, kind="housing")
    notice = EncompassNotice.objects.filter(case=c).first()
    services.notice_send(
        actor=mash_officer, notice=notice, child_name="Sam", school="Park", present=True,
        welfare_check=False,
    )  # fmt: skip
    with time_machine.travel(DAY, tick=False):
        services.contact_log(actor=officer, person=c.victim, channel="phone", outcome="spoke")
    one = selectors.referral_get_for_user(user=mash_officer, pk=r.pk)
    sent = selectors.notice_of(case=c, pk=notice.pk)
    [recent] = selectors.contacts_by_others_since(
        person_id=c.victim_id, user=mash_officer, after_id=0, now=DAY
    )
    with CaptureQueriesContext(connection) as queries:
        shown = (str(one.case.victim.address), str(sent.sent_by), str(recent.made_by))
    assert queries.captured_queries == []
    assert shown[1:] == (str(mash_officer), str(officer))


def test_the_queue_is_by_arrival_then_id(case, mash_officer):
    """Arrival, not creation order; equal arrivals by id even when the lower id's row was
    written last."""
    from mash.models import MashCase

    with time_machine.travel(DAY + timedelta(hours=1), tick=False):
        later = case("medium")
    with time_machine.travel(DAY, tick=False):
        first, second = case("medium"), case("medium")  # made after, arrived before
    MashCase.objects.filter(pk=first.pk).update(arrived_at=DAY + timedelta(seconds=1))
    MashCase.objects.filter(pk=first.pk).update(arrived_at=DAY)
    queue = selectors.case_queue(user=mash_officer, now=DAY + timedelta(hours=2))
    assert [r.case for r in queue.rows] == [first, second, later]


def test_a_sampled_case_says_the_percent_it_was_drawn_at(case, settings):
    settings.DAPOLICE_MASH_SAMPLE_PERCENT = 100
    c = case("standard")
    settings.DAPOLICE_MASH_SAMPLE_PERCENT = 10  # changed since: the case keeps its own
    assert selectors.row_for(c, c.arrived_at).why == "Standard — in the 100% sample"


def test_a_case_read_brings_its_claimer_sergeant_and_offer_with_it(
    case, mash_officer, make_user, rota
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    night = DAY.replace(hour=23)
    sergeant = make_user("investigator")
    rota(sergeant, Duty.DETECTIVE_SERGEANT, night, night + timedelta(hours=8))
    with time_machine.travel(night, tick=False):
        c = case("high")
    services.case_claim(actor=sergeant, case=c)
    read = selectors.case_get_for_user(user=mash_officer, pk=c.pk, audit=False)
    with CaptureQueriesContext(connection) as queries:
        shown = (str(read.claimed_by), str(read.duty_officer), str(read.offer_to))
    assert queries.captured_queries == []
    assert shown == (str(sergeant),) * 3


def test_the_last_marac_referral_is_not_a_later_referral_of_another_kind(case, mash_officer):
    c = case("high")
    with time_machine.travel(DAY, tick=False):
        services.referral_make(actor=mash_officer, case=c, kind="marac")
    with time_machine.travel(DAY + timedelta(days=5), tick=False):
        services.referral_make(actor=mash_officer, case=c, kind="idva")
    assert selectors.last_marac_referral(c.victim_id, DAY + timedelta(days=6)) == DAY

"""The MARAC's selectors on their own (``marac/selectors.py``): what each returns, in what order,
to whom, and what it audits. The services and pages call them (``test_services.py``,
``test_views.py``); these tests pin each read directly, so a mutant of one is caught here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from dapolice.audit.models import AuditEvent
from incidents.models import Person
from marac import selectors, services
from marac.choices import CaseStatus, Criterion, RiskOutcome
from marac.models import MaracCase

pytestmark = pytest.mark.django_db


# --- Meetings ------------------------------------------------------------------------------------


def test_meetings_are_listed_latest_first_with_their_cases_a_partner_sees_those_invited(
    listed, meeting, coordinator, housing_user, health_user, agency_housing
):
    case = listed()  # on a meeting in 14 days, both agencies invited
    later = meeting(days=28, invited=[agency_housing])
    mine = selectors.meeting_list(user=coordinator)
    assert [m.pk for m in mine] == [later.pk, case.meeting_id]
    assert [m.case_count for m in mine] == [0, 1]  # type: ignore[attr-defined]
    assert [m.pk for m in selectors.meeting_list(user=housing_user)] == [later.pk, case.meeting_id]
    assert [m.pk for m in selectors.meeting_list(user=health_user)] == [case.meeting_id]


def test_one_meeting_is_found_only_by_those_who_may_see_it(
    meeting, coordinator, housing_user, health_user, agency_housing
):
    m = meeting(invited=[agency_housing])
    assert selectors.meeting_get_for_user(user=coordinator, pk=m.pk) == m
    assert selectors.meeting_get_for_user(user=housing_user, pk=m.pk) == m
    with pytest.raises(Http404):
        selectors.meeting_get_for_user(user=health_user, pk=m.pk)


def test_upcoming_meetings_are_the_scheduled_ones_not_yet_held_soonest_first(
    meeting, coordinator, agency_housing
):
    later, sooner = meeting(days=28), meeting(days=14)
    held = meeting(days=7)
    with time_machine.travel(held.held_at, tick=False):
        services.meeting_record_held(actor=coordinator, meeting=held, attended=[agency_housing])
    assert [m.pk for m in selectors.meetings_upcoming()] == [sooner.pk, later.pk]
    # A meeting at the very moment asked about is still upcoming; one a second before is not.
    assert [m.pk for m in selectors.meetings_upcoming(now=sooner.held_at)] == [sooner.pk, later.pk]
    after = sooner.held_at + timedelta(seconds=1)
    assert [m.pk for m in selectors.meetings_upcoming(now=after)] == [later.pk]


def test_referrals_waiting_are_counted_up_to_the_cutoff_without_a_meeting(listed, refer):
    on_a_meeting = listed()
    waiting = refer()
    assert on_a_meeting.meeting_id is not None
    assert selectors.waiting_count(cutoff_at=waiting.referred_at) == 1
    assert selectors.waiting_count(cutoff_at=waiting.referred_at - timedelta(seconds=1)) == 0


# --- Cases ---------------------------------------------------------------------------------------


def test_the_last_case_of_a_victim_is_the_latest_referred_by_then(refer, victim):
    person = victim()
    first = refer(person)
    second = refer(person)
    MaracCase.objects.filter(pk=first.pk).update(referred_at=second.referred_at)  # a tie
    assert selectors.last_case_of(person.pk, before=second.referred_at) == second  # the later pk
    MaracCase.objects.filter(pk=second.pk).update(
        referred_at=second.referred_at + timedelta(days=1)
    )
    assert selectors.last_case_of(person.pk, before=second.referred_at) == first
    assert (
        selectors.last_case_of(person.pk, before=second.referred_at - timedelta(seconds=1)) is None
    )


def test_criteria_are_shown_by_label_and_an_unknown_code_is_dropped():
    assert selectors.criteria_labels(["visible_high", "no_such_code"]) == [
        str(Criterion("visible_high").label)
    ]
    assert selectors.criteria_labels([]) == []


def test_the_case_list_shows_open_cases_unless_a_status_is_chosen_newest_first(
    refer, listed, add_action, agency_housing, coordinator
):
    closed = listed()
    action = add_action(closed, agency_housing)
    services.action_report(actor=coordinator, action=action, kind="done", note="Done.")
    services.case_close(actor=coordinator, case=closed, level_after="medium", outcome="reduced")
    older, newer = refer(), refer()
    now = timezone.now()
    for case, hours in ((closed, 3), (older, 2), (newer, 1)):
        MaracCase.objects.filter(pk=case.pk).update(referred_at=now - timedelta(hours=hours))

    def shown(status: str = "") -> list[int]:
        return [c.pk for c in selectors.case_list(user=coordinator, status=status)]

    assert shown() == [newer.pk, older.pk]
    assert shown("all") == [newer.pk, older.pk, closed.pk]
    assert shown(CaseStatus.CLOSED) == [closed.pk]
    assert shown(CaseStatus.REFERRED) == [newer.pk, older.pk]
    assert shown("not-a-status") == [newer.pk, older.pk]
    rows = AuditEvent.objects.filter(action="marac.case.listed").order_by("pk")
    assert [r.changes["filters"][1] for r in rows] == [
        [],
        ["all"],
        ["closed"],
        ["referred"],
        ["not-a-status"],
    ]
    assert rows[0].object_ids == [str(newer.pk), str(older.pk)]


# --- Actions -------------------------------------------------------------------------------------


def test_an_actions_reports_are_listed_in_the_order_made(
    listed, add_action, agency_housing, housing_user
):
    action = add_action(listed(), agency_housing)
    assert selectors.action_reports(action) == []
    services.action_report(actor=housing_user, action=action, kind="update", note="Booked")
    services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
    reports = selectors.action_reports(action)
    assert [(r.note, r.agency) for r in reports] == [
        ("Booked", agency_housing),
        ("Fitted", agency_housing),
    ]


def test_the_tracker_filter_lists_agencies_holding_actions_by_name(
    listed, add_action, agency_housing, agency_health
):
    from dapolice.accounts.models import Agency

    assert selectors.action_agencies() == []
    case = listed()
    add_action(case, agency_housing)
    add_action(case, agency_health)
    add_action(case, agency_health)
    Agency.objects.create(name="Another Trust", code="other", kind="health")  # no action
    assert selectors.action_agencies() == [agency_health, agency_housing]


# --- Whom a partner or the coordinator may refer -------------------------------------------------


def test_referable_victims_are_the_mash_cases_for_the_coordinator_and_a_partners_referrals(
    mash_case, mash_officer, coordinator, health_user, housing_user, agency_health, make_user
):
    from dapolice.accounts.choices import Role
    from mash import services as mash_services

    zoe = mash_case("high", victim={"given_name": "Zoe", "family_name": "Adams"})
    amy = mash_case("medium", victim={"given_name": "Amy", "family_name": "Baker"})
    mash_services.referral_make(actor=mash_officer, case=zoe, kind="health", agency=agency_health)
    zoe_v, amy_v = zoe.victim, amy.victim
    everyone = selectors.referable_victims(user=coordinator)
    assert everyone == sorted([(zoe_v.pk, str(zoe_v)), (amy_v.pk, str(amy_v))], key=lambda v: v[1])
    assert str(amy_v) < str(zoe_v)  # by name, not by arrival
    row = AuditEvent.objects.filter(action="marac.victims.listed").latest("pk")
    assert sorted(row.object_ids) == sorted([str(zoe_v.pk), str(amy_v.pk)])
    # The newest MASH cases first, up to the limit.
    assert selectors.referable_victims(user=coordinator, limit=1) == [(amy_v.pk, str(amy_v))]
    assert selectors.referable_victims(user=health_user) == [(zoe_v.pk, str(zoe_v))]
    listed = AuditEvent.objects.filter(action="marac.victims.listed").count()
    assert selectors.referable_victims(user=housing_user) == []
    assert selectors.referable_victims(user=make_user(Role.CALL_TAKER)) == []
    assert AuditEvent.objects.filter(action="marac.victims.listed").count() == listed  # none shown
    assert selectors.person_for_referral(user=health_user, pk=zoe_v.pk) == zoe_v
    with pytest.raises(Http404):
        selectors.person_for_referral(user=health_user, pk=amy_v.pk)


def test_a_victim_with_two_mash_cases_is_offered_once(mash_case, coordinator, victim):
    person = victim()
    first = mash_case("high", victim=person)
    mash_case("medium", victim=person)
    assert selectors.referable_victims(user=coordinator) == [(person.pk, str(first.victim))]


# --- The quarterly return's rows -----------------------------------------------------------------


def _return(**kw: Any) -> selectors.QuarterlyReturn:
    figures: dict[str, Any] = dict(
        year=2026, quarter=1, cases_discussed=10, repeat_cases=3, repeat_rate=30, referrals=7,
        referrals_by_agency=[("Demo Health Trust", 2), ("Demo Housing", 5)], children=12,
        male=1, aged_16_17=2, lgbt=3, bme=4, disability=5, closed=6, risk_reduced=3,
        risk_same=1, risk_increased=1, risk_unknown=1,
    )  # fmt: skip
    figures.update(kw)
    return selectors.QuarterlyReturn(**figures)


def test_the_quarterly_return_rows_are_labelled_in_the_returns_order():
    assert [(str(label), value) for label, value in _return().rows()] == [
        ("Cases discussed", 10),
        ("Repeat cases", 3),
        ("Repeat rate (%)", 30),
        ("Referrals received", 7),
        ("Referrals from Demo Health Trust", 2),
        ("Referrals from Demo Housing", 5),
        ("Children in the households", 12),
        ("Victims who are male", 1),
        ("Victims aged 16-17", 2),
        ("Victims who are LGBT", 3),
        ("Victims from minority ethnic groups", 4),
        ("Victims with a disability", 5),
        ("Cases closed", 6),
        ("Closed: the actions reduced the risk", 3),
        ("Closed: no change in the risk", 1),
        ("Closed: the risk increased", 1),
        ("Closed: change in the risk not known", 1),
    ]


def test_a_quarter_without_cases_has_no_repeat_rate_and_no_agency_rows():
    rows = dict(
        (str(label), value)
        for label, value in _return(repeat_rate=None, referrals_by_agency=[]).rows()
    )
    assert rows["Repeat rate (%)"] == ""
    assert not any(label.startswith("Referrals from") for label in rows)
    assert dict((str(k), v) for k, v in _return(repeat_rate=0).rows())["Repeat rate (%)"] == 0


# --- Alerts for an action's deadlines ---------------------------------------------------------

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_an_action_due_soon_alerts_its_agency_with_the_reference_and_due_date(
    listed, add_action, agency_housing, housing_user
):
    from datetime import date

    from dapolice.alerts.registry import AlertSpec

    with time_machine.travel(T0, tick=False):
        case = listed()
        action = add_action(case, agency_housing, due_on=date(2026, 3, 20))
    assert selectors.action_due_soon_alerts(action_id=action.pk) == [
        AlertSpec(
            title=f"MARAC action on {case.reference} is due by 20 Mar 2026",
            link=f"/marac/actions/{action.pk}/report/",
            recipient_role="partner",
            recipient_agency_id=agency_housing.pk,
            severity="warning",
        )
    ]
    overdue_title = f"MARAC action on {case.reference} is overdue (due 20 Mar 2026)"
    assert selectors.action_overdue_alerts(action_id=action.pk) == [
        AlertSpec(
            title=overdue_title,
            link=f"/marac/actions/{action.pk}/report/",
            recipient_role="partner",
            recipient_agency_id=agency_housing.pk,
            severity="urgent",
        ),
        AlertSpec(
            title=overdue_title,
            link=f"/marac/cases/{case.pk}/",
            recipient_role="marac_coordinator",
            severity="urgent",
        ),
    ]
    services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
    assert selectors.action_due_soon_alerts(action_id=action.pk) == []
    assert selectors.action_overdue_alerts(action_id=action.pk) == []
    assert selectors.action_due_soon_alerts(action_id=0) == []
    assert selectors.action_overdue_alerts(action_id=0) == []


# --- The agenda ----------------------------------------------------------------------------------


def test_the_agenda_lists_cases_in_position_with_slots_and_the_address_for_the_coordinator(
    refer, meeting, coordinator, housing_user, health_user, agency_housing, settings, log_incident
):
    from tests.incidents.helpers import victim_of

    settings.DAPOLICE_MARAC_MINUTES_PER_CASE = 20
    incident = log_incident()
    first, second = refer(victim_of(incident)), refer(criteria=["visible_high"])
    m = meeting(invited=[agency_housing])
    services.agenda_build(actor=coordinator, meeting=m)
    # Positions as built; a case without one (listed by hand) takes its place in the order.
    MaracCase.objects.filter(pk=second.pk).update(agenda_position=None)
    home = incident.location  # the first victim lives where it happened; the second: not known
    Person.objects.filter(pk=first.victim_id).update(address=home)
    rows = selectors.agenda(user=coordinator, meeting=m)
    assert [(r.case.pk, r.position) for r in rows] == [(first.pk, 1), (second.pk, 2)]
    assert [r.slot for r in rows] == [m.held_at, m.held_at + timedelta(minutes=20)]
    assert rows[1].criteria == [str(Criterion("visible_high").label)]
    assert [r.address for r in rows] == [str(home), ""]
    assert str(home)
    row = AuditEvent.objects.filter(action="marac.agenda.viewed").latest("pk")
    assert (row.actor, row.subject_type) == (coordinator, "marac.maraccase")
    assert row.object_ids == [str(first.pk), str(second.pk)]
    partner = selectors.agenda(user=housing_user, meeting=m, action="marac.agenda.exported")
    assert [(r.case.pk, r.address) for r in partner] == [(first.pk, ""), (second.pk, "")]
    exported = AuditEvent.objects.get(action="marac.agenda.exported")
    assert (exported.actor, exported.object_ids) == (housing_user, [str(first.pk), str(second.pk)])
    assert selectors.agenda(user=health_user, meeting=m) == []  # not invited, did not refer


def test_the_agenda_keeps_the_position_set_over_the_order_of_listing(refer, meeting, coordinator):
    first, second = refer(), refer()
    m = meeting()
    services.agenda_build(actor=coordinator, meeting=m)
    MaracCase.objects.filter(pk=first.pk).update(agenda_position=3)
    rows = selectors.agenda(user=coordinator, meeting=m)
    assert [(r.case.pk, r.position) for r in rows] == [(second.pk, 2), (first.pk, 3)]


def test_viewing_the_quarterly_return_is_audited_as_an_export_naming_the_quarter(coordinator):
    figures = selectors.quarterly_return(user=coordinator, year=2026, quarter=3)
    assert (figures.year, figures.quarter, figures.cases_discussed, figures.repeat_rate) == (
        2026,
        3,
        0,
        None,
    )
    row = AuditEvent.objects.get(action="marac.return.viewed")
    assert (row.actor, row.kind, row.subject_type, row.subject_id) == (
        coordinator,
        "access",
        "marac.maraccase",
        "",
    )
    assert row.changes == {"quarter": [None, "2026-Q3"]}


# --- Alerts about a case (system reads: references and ids only) ---------------------------------


def _coordinator_alert(case: MaracCase, title: str, severity: str = "warning") -> object:
    from dapolice.alerts.registry import AlertSpec

    return AlertSpec(
        title=title,
        link=f"/marac/cases/{case.pk}/",
        recipient_role="marac_coordinator",
        severity=severity,
    )


@pytest.fixture
def discussed(listed, add_action, agency_housing, coordinator):
    """A case discussed at its meeting, its one action reported done."""

    def make() -> MaracCase:
        case = listed()
        action = add_action(case, agency_housing)
        services.action_report(actor=coordinator, action=action, kind="done", note="Done.")
        case.refresh_from_db()
        assert case.status == CaseStatus.DISCUSSED
        return case

    return make


def test_case_alerts_name_the_reference_and_go_to_whom_they_should(
    discussed, coordinator, make_user
):
    from django.urls import reverse

    from dapolice.accounts.choices import Role
    from dapolice.alerts.registry import AlertSpec

    case = discussed()
    ref = case.reference
    assert selectors.repeat_alerts(case_id=case.pk) == [
        _coordinator_alert(case, f"Repeat MARAC: a new incident for the victim of {ref}", "urgent")
    ]
    assert selectors.reassess_chase_alerts(case_id=case.pk) == [
        _coordinator_alert(
            case, f"{ref}: the re-assessment asked for after the actions has not come"
        )
    ]
    asked = (
        f"{ref}: the MARAC's actions are reported back; re-assess victim {case.victim_id}'s risk"
        " (DASH)"
    )
    link = reverse("risk:history", args=[case.victim_id])  # no DASH: nowhere to start one
    assert selectors.reassess_request_alerts(case_id=case.pk) == [
        AlertSpec(title=f"{asked} (no officer or SPOC named)", link=link, recipient_role="mash")
    ]
    officer = make_user(Role.ATTENDING_OFFICER)
    MaracCase.objects.filter(pk=case.pk).update(
        reassessment_requested_at=timezone.now(),
        reassessment_requested_by=coordinator,
        reassessment_requested_from=officer,
    )
    assert selectors.reassess_request_alerts(case_id=case.pk) == [
        AlertSpec(title=asked, link=link, recipient_id=officer.pk)
    ]
    assert selectors.reassessed_alerts(case_id=case.pk) == []  # no DASH linked yet
    for missing in (
        selectors.repeat_alerts,
        selectors.reassess_chase_alerts,
        selectors.reassess_request_alerts,
        selectors.reassessed_alerts,
    ):
        assert missing(case_id=0) == []


def test_a_closed_case_alerts_nobody(discussed, coordinator):
    case = discussed()
    services.case_close(actor=coordinator, case=case, level_after="medium", outcome="unknown")
    assert selectors.repeat_alerts(case_id=case.pk) == []
    assert selectors.reassess_chase_alerts(case_id=case.pk) == []
    assert selectors.reassess_request_alerts(case_id=case.pk) == []
    assert selectors.reassessed_alerts(case_id=case.pk) == []


def test_a_linked_reassessment_tells_the_coordinator_only_while_the_case_is_discussed(
    discussed, listed, review, coordinator
):
    case = discussed()
    dash = review("medium", victim=case.victim)
    MaracCase.objects.filter(pk=case.pk).update(reassessment=dash)
    assert selectors.reassessed_alerts(case_id=case.pk) == [
        _coordinator_alert(
            case,
            f"{case.reference}: the victim's risk was re-assessed after the actions:"
            " close the case",
        )
    ]
    assert selectors.reassess_request_alerts(case_id=case.pk) == []  # already re-assessed
    on_the_list = listed()  # not yet discussed
    MaracCase.objects.filter(pk=on_the_list.pk).update(reassessment=dash)
    assert selectors.reassessed_alerts(case_id=on_the_list.pk) == []


def test_levels_are_shown_by_label_and_an_unknown_one_says_so():
    detail = selectors.CaseDetail(
        case=None,  # type: ignore[arg-type]
        criteria=[],
        research=[],
        actions=[],
        unreported=0,
        coordinator=True,
        level_before="high",
        level_after="",
        levels_say="reduced",
    )
    assert (detail.level_before_label, detail.level_after_label) == ("High", "Not known")
    assert detail.levels_say_label == str(RiskOutcome("reduced").label)
    assert (
        selectors.CaseDetail(
            case=None,  # type: ignore[arg-type]
            criteria=[],
            research=[],
            actions=[],
            unreported=0,
            coordinator=False,
        ).levels_say_label
        == ""
    )


def test_a_case_closed_with_no_change_in_the_risk_counts_as_the_same(discussed, coordinator):
    case = discussed()
    services.case_close(actor=coordinator, case=case, level_after="high", outcome="same")
    today = timezone.localdate()
    figures = selectors.quarterly_return(
        user=coordinator, year=today.year, quarter=(today.month - 1) // 3 + 1
    )
    assert (figures.closed, figures.risk_same, figures.risk_reduced, figures.risk_unknown) == (
        1,
        1,
        0,
        0,
    )


# --- Who is asked to re-assess, and the case page's actions -----------------------------------


def test_the_reassessor_is_the_author_of_the_victims_latest_reviewed_dash(
    refer, victim, review, make_user
):
    from risk.models import Assessment

    person = victim()
    case = refer(person)
    first = review("high", victim=person)
    second = review("medium", victim=person)
    review("medium")  # another victim's, reviewed last: not theirs
    assert selectors.reassessor_of(case) == selectors.Reassessor(
        user_id=second.author_id, incident_id=second.incident_id
    )
    # By review time, not by creation; a tie goes to the later one.
    Assessment.objects.filter(pk=second.pk).update(
        reviewed_at=first.reviewed_at - timedelta(hours=1)
    )
    assert selectors.reassessor_of(case).incident_id == first.incident_id
    Assessment.objects.filter(pk=second.pk).update(reviewed_at=first.reviewed_at)
    assert selectors.reassessor_of(case).incident_id == second.incident_id
    # An author who has left: nobody named (the MASH), still at the DASH's incident.
    type(make_user()).objects.filter(pk=second.author_id).update(is_active=False)
    assert selectors.reassessor_of(case) == selectors.Reassessor(
        user_id=None, incident_id=second.incident_id
    )


def test_the_case_page_shows_each_actions_reports(listed, add_action, agency_housing, coordinator):
    case = listed()
    action = add_action(case, agency_housing)
    services.action_report(actor=coordinator, action=action, kind="update", note="Booked")
    detail = selectors.case_detail(user=coordinator, case=case)
    assert [[r.note for r in row.reports] for row in detail.actions] == [["Booked"]]


# --- Pinned by the mutation run (marac-selectors, 30 November) ----------------------------------


def test_meetings_are_listed_by_when_they_are_held_not_when_scheduled(meeting, coordinator):
    later = meeting(days=28)  # scheduled first
    sooner = meeting(days=14)
    assert [m.pk for m in selectors.meeting_list(user=coordinator)] == [later.pk, sooner.pk]
    assert later.pk < sooner.pk


def test_meetings_held_at_the_same_time_are_listed_newest_first(meeting, coordinator):
    from marac.models import Meeting

    first, second = meeting(days=14), meeting(days=21)
    Meeting.objects.filter(pk=second.pk).update(held_at=first.held_at, cutoff_at=first.cutoff_at)
    # Stored first, read first: only the pk puts the second ahead.
    assert [m.pk for m in selectors.meeting_list(user=coordinator)] == [second.pk, first.pk]


def test_the_meeting_list_reads_the_agencies_invited_in_one_query(
    meeting, coordinator, agency_housing, django_assert_num_queries
):
    meeting(), meeting(days=21), meeting(days=28, invited=[agency_housing])
    with django_assert_num_queries(2):  # the meetings, then every meeting's agencies
        meetings = selectors.meeting_list(user=coordinator)
        invited = [sorted(a.code for a in m.invited.all()) for m in meetings]
    assert invited == [["housing"], ["health", "housing"], ["health", "housing"]]


def test_one_meeting_comes_with_its_agencies_invited_and_attended(
    meeting, coordinator, agency_housing, agency_health, django_assert_num_queries
):
    m = meeting(invited=[agency_housing, agency_health])
    with time_machine.travel(m.held_at, tick=False):
        services.meeting_record_held(actor=coordinator, meeting=m, attended=[agency_health])
    with django_assert_num_queries(3):  # the meeting, its invited, its attended
        found = selectors.meeting_get_for_user(user=coordinator, pk=m.pk)
        invited = sorted(a.code for a in found.invited.all())
        attended = [a.code for a in found.attended.all()]
    assert (invited, attended) == (["health", "housing"], ["health"])


def test_the_agenda_is_the_meetings_own_cases(refer, meeting, coordinator, settings):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 1
    first, second = meeting(days=14), meeting(days=21)
    a = refer()
    services.agenda_build(actor=coordinator, meeting=first)
    b = refer()
    services.agenda_build(actor=coordinator, meeting=second)
    assert [r.case.pk for r in selectors.agenda(user=coordinator, meeting=first)] == [a.pk]
    assert [r.case.pk for r in selectors.agenda(user=coordinator, meeting=second)] == [b.pk]


def test_cases_at_the_same_agenda_position_are_in_the_order_referred(refer, meeting, coordinator):
    first, second = refer(), refer()
    m = meeting()
    services.agenda_build(actor=coordinator, meeting=m)
    MaracCase.objects.filter(pk=second.pk).update(agenda_position=1)
    MaracCase.objects.filter(pk=first.pk).update(agenda_position=1)  # rewritten last
    rows = selectors.agenda(user=coordinator, meeting=m)
    assert [r.case.pk for r in rows] == [first.pk, second.pk]


def test_an_actions_reports_come_with_who_made_them_in_one_query(
    listed, add_action, agency_housing, housing_user, django_assert_num_queries
):
    action = add_action(listed(), agency_housing)
    services.action_report(actor=housing_user, action=action, kind="update", note="Booked")
    services.action_report(actor=housing_user, action=action, kind="update", note="Again")
    with django_assert_num_queries(1):
        seen = [(r.by.username, r.agency.code) for r in selectors.action_reports(action)]
    assert seen == [(housing_user.username, "housing")] * 2


def test_one_action_is_found_by_the_coordinator_and_its_agency_and_the_read_audited(
    refer,
    meeting,
    add_action,
    coordinator,
    housing_user,
    health_user,
    agency_housing,
    agency_health,
    django_assert_num_queries,
):
    # Referred by housing, on a meeting both agencies are invited to: a partner's visibility
    # matches twice (invited, and referred), the action is still found once.
    case = refer(actor=housing_user)
    m = meeting(invited=[agency_housing, agency_health])
    services.agenda_build(actor=coordinator, meeting=m)
    case.refresh_from_db()
    housing, health = add_action(case, agency_housing), add_action(case, agency_health)
    found = selectors.action_get_for_user(user=coordinator, pk=housing.pk)
    with django_assert_num_queries(0):
        loaded = (found.case.reference, found.case.victim.pk, found.case.meeting.pk)
        assert found.agency.code == "housing"
    assert loaded == (case.reference, case.victim_id, m.pk)
    assert selectors.action_get_for_user(user=housing_user, pk=housing.pk) == housing
    assert selectors.action_get_for_user(user=health_user, pk=health.pk) == health
    with pytest.raises(Http404):
        selectors.action_get_for_user(user=health_user, pk=housing.pk)  # another agency's
    rows = AuditEvent.objects.filter(action="marac.action.read").order_by("pk")
    assert [(r.actor, r.subject_type, r.subject_id) for r in rows] == [
        (coordinator, "marac.action", str(housing.pk)),
        (housing_user, "marac.action", str(housing.pk)),
        (health_user, "marac.action", str(health.pk)),
    ]


def test_an_agencys_action_on_a_case_it_may_not_see_is_not_found(
    refer, meeting, add_action, coordinator, housing_user, agency_housing, agency_health
):
    case = refer()
    services.agenda_build(actor=coordinator, meeting=meeting(invited=[agency_health]))
    case.refresh_from_db()
    action = add_action(case, agency_housing)  # housing's, on a meeting it is not invited to
    with pytest.raises(Http404):
        selectors.action_get_for_user(user=housing_user, pk=action.pk)
    assert not AuditEvent.objects.filter(action="marac.action.read").exists()


def test_without_a_dash_the_spoc_is_asked_at_the_cases_incident_and_a_spoc_who_left_is_not(
    refer, log_incident, mash_officer, make_user
):
    from mash import services as mash_services
    from mash.inputs import ContactPlanInput
    from tests.incidents.helpers import victim_of

    incident = log_incident()
    case = refer(victim_of(incident), incident=incident)
    other = refer()  # another victim, no plan
    mash_services.contact_plan_save(
        actor=mash_officer, person=case.victim, data=ContactPlanInput(spoc_id=mash_officer.pk)
    )
    assert selectors.reassessor_of(case) == selectors.Reassessor(
        user_id=mash_officer.pk, incident_id=incident.pk
    )
    assert selectors.reassessor_of(other) == selectors.Reassessor(user_id=None, incident_id=None)
    type(mash_officer).objects.filter(pk=mash_officer.pk).update(is_active=False)
    assert selectors.reassessor_of(case) == selectors.Reassessor(
        user_id=None, incident_id=incident.pk
    )


def test_a_case_discussed_at_a_meeting_before_the_quarter_is_not_counted_in_it(
    refer, coordinator, add_action, agency_housing
):
    with time_machine.travel(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), tick=False):
        (m,) = services.meeting_schedule(
            actor=coordinator, first_at=datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
        )  # 23:00 on 31 March in London: the last hour of Q1
        case = refer()
        services.agenda_build(actor=coordinator, meeting=m)
        case.refresh_from_db()
        add_action(case, agency_housing)
    q1 = selectors.quarterly_return(user=coordinator, year=2026, quarter=1)
    q2 = selectors.quarterly_return(user=coordinator, year=2026, quarter=2)
    assert (q1.cases_discussed, q2.cases_discussed) == (1, 0)


def test_the_tracker_for_one_agency_shows_its_actions_and_its_rate_only(
    listed, add_action, agency_housing, agency_health, coordinator
):
    case = listed()
    housing = add_action(case, agency_housing)
    health = add_action(case, agency_health)
    services.action_report(actor=coordinator, action=health, kind="done", note="Seen.")
    health_only = add_action(case, agency_health)
    t = selectors.tracker(user=coordinator, agency_id=agency_health.pk)
    assert [r.action.pk for r in t.rows] == [health_only.pk]
    assert [(r.agency.code, r.done, r.total) for r in t.rates] == [("health", 1, 2)]
    everyone = selectors.tracker(user=coordinator)
    assert {r.action.pk for r in everyone.rows} == {housing.pk, health_only.pk}


def test_past_200_open_actions_the_tracker_keeps_those_due_soonest(
    listed, add_action, agency_housing, coordinator
):
    from marac.models import Action

    case = listed()
    template = add_action(case, agency_housing)
    today = timezone.localdate()
    Action.objects.bulk_create(
        [
            Action(
                case=case,
                agency=agency_housing,
                description="Check in",
                done_means="Checked",
                due_on=today + timedelta(days=20),
                created_by=coordinator,
            )
            for _ in range(200)
        ]
    )
    soonest = add_action(case, agency_housing, due_on=today + timedelta(days=1))  # made last
    rows = selectors.tracker(user=coordinator).rows
    assert len(rows) == 200
    assert [r.action.pk for r in rows[:2]] == [soonest.pk, template.pk]


def test_the_trackers_rows_come_with_their_agency_case_and_victim(
    listed, add_action, agency_housing, agency_health, coordinator, django_assert_num_queries
):
    case = listed()
    add_action(case, agency_housing)
    add_action(case, agency_health)
    rows = selectors.tracker(user=coordinator).rows
    with django_assert_num_queries(0):
        seen = sorted((r.action.agency.code, r.action.case.reference) for r in rows)
        victims = {r.action.case.victim.pk for r in rows}
    assert seen == [("health", case.reference), ("housing", case.reference)]
    assert victims == {case.victim_id}


def test_viewing_the_tracker_is_audited_with_the_actions_shown(
    listed, add_action, agency_housing, housing_user
):
    case = listed()
    first, second = add_action(case, agency_housing), add_action(case, agency_housing)
    rows = selectors.tracker(user=housing_user).rows
    row = AuditEvent.objects.get(action="marac.tracker.viewed")
    assert (row.actor, row.subject_type) == (housing_user, "marac.action")
    assert row.object_ids == [str(r.action.pk) for r in rows]
    assert sorted(row.object_ids) == sorted([str(first.pk), str(second.pk)])


def test_the_trackers_rates_add_up_every_action_of_an_agency_once(
    refer, meeting, add_action, coordinator, housing_user, agency_housing, agency_health
):
    # Referred by housing, on a meeting both agencies are invited to: housing's visibility
    # matches each action twice (invited, and referred); each still counts once.
    case = refer(actor=housing_user)
    services.agenda_build(
        actor=coordinator, meeting=meeting(invited=[agency_housing, agency_health])
    )
    case.refresh_from_db()
    today = timezone.localdate()
    actions = [
        add_action(case, agency_housing, due_on=today + timedelta(days=d)) for d in range(1, 7)
    ]
    for done in actions[:2]:
        services.action_report(actor=housing_user, action=done, kind="done", note="Done.")
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        (rate,) = selectors.tracker(user=housing_user).rates
    # Done: due in 1 and 2 days; open: due in 3, 4 and 5 (now overdue) and in 6 (due today).
    assert (rate.agency, rate.total, rate.done, rate.open, rate.overdue) == (
        agency_housing,
        6,
        2,
        4,
        3,
    )


def test_the_case_list_pages_by_referral_time_then_newest_pk_from_page_one(refer, coordinator):
    first = refer()
    now = timezone.now()
    MaracCase.objects.bulk_create(
        [
            MaracCase(
                victim_id=first.victim_id,
                source="coordinator",
                referred_by=coordinator,
                referred_at=now - timedelta(days=1),  # all at one time: the pk decides
                criteria=["visible_high"],
            )
            for _ in range(49)
        ]
    )
    later_made_earlier = refer(referred_at=now - timedelta(days=2))
    page = selectors.case_list(user=coordinator)
    assert page.number == 1
    shown = [c.pk for c in page.object_list]
    assert shown[0] == first.pk  # referred last
    assert shown[1:] == sorted(shown[1:], reverse=True)  # equal times: the newest pk first
    assert later_made_earlier.pk not in shown
    second = selectors.case_list(user=coordinator, page=2)
    assert [c.pk for c in second.object_list] == [later_made_earlier.pk]
    row = AuditEvent.objects.filter(action="marac.case.listed").order_by("pk").first()
    assert row.changes["filters"] == [None, []]


# --- Pinned by the mutation run of 30 November, second pass ------------------------------------


def test_one_meeting_is_found_by_its_id_among_several(meeting, coordinator):
    first, second = meeting(days=14), meeting(days=21)
    assert selectors.meeting_get_for_user(user=coordinator, pk=first.pk) == first
    assert selectors.meeting_get_for_user(user=coordinator, pk=second.pk) == second


def test_one_meeting_is_read_with_its_agencies_and_nothing_is_read_after(
    meeting, coordinator, agency_housing, agency_health, django_assert_num_queries
):
    m = meeting(invited=[agency_housing, agency_health])
    with time_machine.travel(m.held_at, tick=False):
        services.meeting_record_held(actor=coordinator, meeting=m, attended=[agency_health])
    with django_assert_num_queries(3):  # the meeting, its invited, its attended
        found = selectors.meeting_get_for_user(user=coordinator, pk=m.pk)
    with django_assert_num_queries(0):
        invited = sorted(a.code for a in found.invited.all())
        attended = [a.code for a in found.attended.all()]
    assert (invited, attended) == (["health", "housing"], ["health"])


def test_the_victims_to_refer_are_read_with_their_names_in_one_query(
    mash_case, coordinator, django_assert_num_queries
):
    for given in ("Zoe", "Amy", "Kim"):
        mash_case("medium", victim={"given_name": given, "family_name": "Adams"})
    # The coordinator's roles, the MASH cases with their victims, the audit row (one statement:
    # ``audit_append`` after the head this test's own writes left).
    with django_assert_num_queries(3):
        victims = selectors.referable_victims(user=coordinator)
    assert [name for _, name in victims] == sorted(name for _, name in victims)
    assert len(victims) == 3


def test_the_victims_to_refer_come_from_the_200_newest_mash_cases_by_default(
    mash_case, coordinator
):
    import copy

    from mash.models import MashCase, OwnershipPeriod
    from risk.models import Assessment

    oldest = mash_case("medium", victim={"given_name": "Olive", "family_name": "Old"})
    newer = mash_case("medium", victim={"given_name": "Nina", "family_name": "New"})
    assert MashCase.objects.filter(pk=oldest.pk).update(
        arrived_at=newer.arrived_at - timedelta(days=1)
    )
    # 199 more cases of the newer victim (a DASH each, reviewed, like the first), arrived later.
    dash = Assessment.objects.get(pk=newer.assessment_id)
    dash.pk = None
    dashes = Assessment.objects.bulk_create([copy.copy(dash) for _ in range(199)])
    template = MashCase.objects.get(pk=newer.pk)
    template.pk = None
    cases = []
    for i, d in enumerate(dashes, start=1):
        case = copy.copy(template)
        case.assessment_id, case.arrived_at = d.pk, newer.arrived_at + timedelta(minutes=i)
        cases.append(case)
    cases = MashCase.objects.bulk_create(cases)
    OwnershipPeriod.objects.bulk_create(
        OwnershipPeriod(case=c, owner_id=c.owner_id, started_at=c.arrived_at, how="opened")
        for c in cases
    )
    assert MashCase.objects.count() == 201
    assert selectors.referable_victims(user=coordinator) == [(newer.victim_id, str(newer.victim))]
    both = selectors.referable_victims(user=coordinator, limit=201)
    assert [pk for pk, _ in both] == [newer.victim_id, oldest.victim_id]  # "New" before "Old"


def test_the_case_page_shows_the_research_each_user_may_see_and_audits_it(
    listed, coordinator, housing_user, health_user
):
    case = listed()  # on a meeting not yet held: a partner sees only their own agency's
    today = timezone.localdate()
    mine = services.research_add(actor=housing_user, case=case, known_on=today, summary="Known.")
    theirs = services.research_add(actor=health_user, case=case, known_on=today, summary="Seen.")
    police = services.research_add(actor=coordinator, case=case, known_on=today, summary="PNC.")
    everything = selectors.case_detail(user=coordinator, case=case)
    assert [r.pk for r in everything.research] == [mine.pk, theirs.pk, police.pk]
    row = AuditEvent.objects.get(action="marac.research.listed")
    assert (row.actor, row.subject_type) == (coordinator, "marac.research")
    assert row.object_ids == [str(mine.pk), str(theirs.pk), str(police.pk)]
    assert [r.pk for r in selectors.case_detail(user=housing_user, case=case).research] == [mine.pk]


def test_the_case_page_reads_research_actions_and_reports_with_whom_they_name(
    listed,
    add_action,
    agency_housing,
    agency_health,
    coordinator,
    housing_user,
    health_user,
    django_assert_num_queries,
):
    case = listed()
    today = timezone.localdate()
    for user in (housing_user, health_user):
        services.research_add(actor=user, case=case, known_on=today, summary="Known.")
    for agency, user in ((agency_housing, housing_user), (agency_health, health_user)):
        action = add_action(case, agency)
        services.action_report(actor=user, action=action, kind="update", note="Booked")
    detail = selectors.case_detail(user=coordinator, case=case)
    with django_assert_num_queries(0):  # every name on the page was read with its row
        research = [(r.agency.code, r.recorded_by.username) for r in detail.research]
        actions = [row.action.agency.code for row in detail.actions]
        reports = [(r.by.username, r.agency.code) for row in detail.actions for r in row.reports]
    assert research == [("housing", housing_user.username), ("health", health_user.username)]
    assert actions == ["housing", "health"]
    assert reports == [(housing_user.username, "housing"), (health_user.username, "health")]


def test_the_case_page_lists_its_own_actions_soonest_due_first(
    listed, add_action, agency_housing, coordinator
):
    case, other = listed(), listed()
    today = timezone.localdate()
    later = add_action(case, agency_housing, due_on=today + timedelta(days=20))
    sooner = add_action(case, agency_housing, due_on=today + timedelta(days=5))  # added last
    add_action(other, agency_housing, due_on=today + timedelta(days=1))  # another case's
    detail = selectors.case_detail(user=coordinator, case=case)
    assert [row.action.pk for row in detail.actions] == [sooner.pk, later.pk]
    assert detail.unreported == 2


def test_the_case_page_counts_the_actions_not_reported_on_and_audits_those_shown(
    listed, add_action, agency_housing, agency_health, coordinator, housing_user
):
    case = listed(criteria=["visible_high"])
    reported = add_action(case, agency_housing)
    waiting = add_action(case, agency_health)
    services.action_report(actor=housing_user, action=reported, kind="update", note="Booked")
    detail = selectors.case_detail(user=coordinator, case=case)
    assert (detail.case, detail.criteria) == (case, [str(Criterion("visible_high").label)])
    assert (detail.unreported, detail.coordinator) == (1, True)
    row = AuditEvent.objects.get(action="marac.action.listed")
    assert (row.actor, row.subject_type) == (coordinator, "marac.action")
    assert row.object_ids == [str(reported.pk), str(waiting.pk)]
    partner = selectors.case_detail(user=housing_user, case=case)
    assert ([r.action.pk for r in partner.actions], partner.coordinator) == ([reported.pk], False)


def test_a_partner_is_told_only_of_their_own_agencys_actions_not_reported_on(
    listed, add_action, agency_housing, agency_health, housing_user, health_user
):
    """The count of actions not reported back on is of the actions the user may see: a partner
    never learns from it how many actions another agency holds on the case."""
    case = listed()
    reported, waiting = add_action(case, agency_housing), add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=reported, kind="update", note="Booked")
    add_action(case, agency_health), add_action(case, agency_health)
    housing = selectors.case_detail(user=housing_user, case=case)
    assert ([r.action.pk for r in housing.actions], housing.unreported) == (
        [reported.pk, waiting.pk],
        1,
    )
    assert selectors.case_detail(user=health_user, case=case).unreported == 2


def test_the_coordinator_is_told_of_every_agencys_actions_not_reported_on(
    listed, add_action, agency_housing, agency_health, coordinator, housing_user
):
    case = listed()
    reported = add_action(case, agency_housing)
    add_action(case, agency_housing), add_action(case, agency_health)
    services.action_report(actor=housing_user, action=reported, kind="update", note="Booked")
    add_action(listed(), agency_health)  # another case's
    assert selectors.case_detail(user=coordinator, case=case).unreported == 2


def test_the_last_case_of_a_victim_is_by_referral_time_not_by_when_it_was_stored(refer, victim):
    person = victim()
    first, second = refer(person), refer(person)
    MaracCase.objects.filter(pk=second.pk).update(referred_at=first.referred_at - timedelta(days=1))
    assert selectors.last_case_of(person.pk, before=timezone.now()) == first


def test_the_last_marac_referral_is_the_victims_own_up_to_the_time_asked(refer, victim):
    person = victim()
    mine = refer(person)
    refer()  # another victim's, referred later
    assert selectors.last_marac_referral(person.pk, timezone.now()) == mine.referred_at
    before = mine.referred_at - timedelta(seconds=1)
    assert selectors.last_marac_referral(person.pk, before) is None


def _dash_tie(first: Any, second: Any) -> None:
    """``second`` reviewed at the same moment as ``first``: stored after it, only the pk puts
    it first."""
    from risk.models import Assessment

    Assessment.objects.filter(pk=second.pk).update(reviewed_at=first.reviewed_at)


def test_the_reassessment_is_the_victims_latest_dash_reviewed_since_the_meeting(
    listed, victim, review
):
    from marac.models import Meeting
    from risk.models import Assessment

    person = victim()
    case = listed(person=person)
    held = timezone.now() - timedelta(days=1)
    Meeting.objects.filter(pk=case.meeting_id).update(
        held_at=held, cutoff_at=held - timedelta(days=7)
    )
    case.refresh_from_db()
    first = review("high", victim=person)
    second = review("medium", victim=person)
    review("standard")  # another victim's, reviewed last
    assert selectors.reassessment_after(case) == second
    Assessment.objects.filter(pk=second.pk).update(
        reviewed_at=first.reviewed_at - timedelta(hours=1)
    )
    assert selectors.reassessment_after(case) == first  # by review time, not by creation
    _dash_tie(first, second)
    assert selectors.reassessment_after(case) == second


def test_the_level_before_the_meeting_is_the_victims_latest_dash_reviewed_before_it(
    listed, victim, review
):
    from risk.models import Assessment

    person = victim()
    case = listed(person=person)  # no incident: the referral carried no level
    assert case.level_before == ""
    first = review("high", victim=person)
    second = review("medium", victim=person)
    review("standard")  # another victim's, reviewed last
    assert selectors.level_before_meeting(case) == "medium"
    Assessment.objects.filter(pk=second.pk).update(
        reviewed_at=first.reviewed_at - timedelta(hours=1)
    )
    assert selectors.level_before_meeting(case) == "high"
    _dash_tie(first, second)
    assert selectors.level_before_meeting(case) == "medium"
    # The level the referral carried wins over any DASH.
    MaracCase.objects.filter(pk=case.pk).update(level_before="standard")
    case.refresh_from_db()
    assert selectors.level_before_meeting(case) == "standard"


def test_a_dash_not_yet_reviewed_does_not_name_the_reassessor(
    refer, victim, review, log_incident, call_taker, officer
):
    from incidents import services as incident_services
    from risk import services as risk_services

    person = victim()
    case = refer(person)
    reviewed = review("high", victim=person)
    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(victim=person), officer=officer
    )
    incident = incident_services.incident_record_arrival(actor=officer, incident=incident)
    risk_services.assessment_start(actor=officer, incident=incident)  # a draft, newer
    assert selectors.reassessor_of(case) == selectors.Reassessor(
        user_id=reviewed.author_id, incident_id=reviewed.incident_id
    )


def test_one_case_is_read_with_what_its_page_names_by_its_id_and_the_read_audited(
    refer, meeting, coordinator, housing_user, log_incident, django_assert_num_queries
):
    from tests.incidents.helpers import victim_of

    incident = log_incident()
    Person.objects.filter(pk=victim_of(incident).pk).update(address=incident.location)
    case = refer(victim_of(incident), incident=incident, actor=housing_user)
    other = refer()
    services.agenda_build(actor=coordinator, meeting=meeting())
    found = selectors.case_get_for_user(user=coordinator, pk=case.pk)
    with django_assert_num_queries(0):
        named = (
            found.victim.address.pk,
            found.incident.pk,
            found.referring_agency.code,
            found.meeting.pk,
            found.referred_by.pk,
        )
    assert named[:3] == (incident.location_id, incident.pk, "housing")
    assert named[4] == housing_user.pk
    assert selectors.case_get_for_user(user=coordinator, pk=other.pk) == other
    rows = AuditEvent.objects.filter(action="marac.case.read").order_by("pk")
    assert [(r.actor, r.subject_id) for r in rows] == [
        (coordinator, str(case.pk)),
        (coordinator, str(other.pk)),
    ]


def test_an_action_done_is_neither_due_soon_nor_overdue_on_the_case_page(
    listed, add_action, agency_housing, coordinator, housing_user, settings
):
    from marac.models import Action

    settings.DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS = 3
    case = listed()
    today = timezone.localdate()
    done = add_action(case, agency_housing, due_on=today + timedelta(days=2))
    soon = add_action(case, agency_housing, due_on=today + timedelta(days=2))
    late = add_action(case, agency_housing, due_on=today + timedelta(days=2))
    Action.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=1))  # now past
    services.action_report(actor=housing_user, action=done, kind="done", note="Fitted")
    rows = selectors.case_detail(user=coordinator, case=case).actions
    flags = {row.action.pk: (row.overdue, row.due_soon) for row in rows}
    assert flags == {late.pk: (True, False), done.pk: (False, False), soon.pk: (False, True)}


def test_an_action_done_after_its_due_date_is_not_overdue_on_the_case_page(
    listed, add_action, agency_housing, coordinator, housing_user
):
    from marac.models import Action

    case = listed()
    today = timezone.localdate()
    action = add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
    Action.objects.filter(pk=action.pk).update(due_on=today - timedelta(days=3))  # done late
    (row,) = selectors.case_detail(user=coordinator, case=case).actions
    assert (row.action.pk, row.overdue, row.due_soon) == (action.pk, False, False)

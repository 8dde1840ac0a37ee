"""The MARAC services and rules: referrals (from the MASH through the signal, from partners,
repeat MARAC with its window edges), meetings and the agenda, the action plan, report-back,
closing, action clocks and the quarterly return on a fixture with known answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from marac import rules, selectors, services
from marac.choices import (
    ACTION_DUE_SOON_DEADLINE,
    ACTION_OVERDUE_DEADLINE,
    REPEAT_DEADLINE,
    CaseStatus,
    Source,
)
from marac.inputs import Household
from marac.models import MaracCase
from mash import services as mash_services
from risk import signals as risk_signals
from tests.races import after_first

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# --- Referrals -----------------------------------------------------------------------------------


def test_a_mash_marac_referral_lands_on_the_list_through_the_signal(
    mash_case, mash_officer, django_capture_on_commit_callbacks
):
    c = mash_case("high")
    with django_capture_on_commit_callbacks(execute=True):
        r = mash_services.referral_make(actor=mash_officer, case=c, kind="marac")
    case = MaracCase.objects.get(mash_referral=r)
    assert (case.victim_id, case.incident_id, case.source) == (c.victim_id, c.incident_id, "mash")
    assert case.status == CaseStatus.REFERRED
    assert case.referred_at == r.made_at
    assert "visible_high" in case.criteria
    assert case.level_before == "high"
    # Twice is harmless: one case per MASH referral.
    assert services.case_from_mash_referral(actor=mash_officer, referral_id=r.pk) == case
    assert MaracCase.objects.filter(mash_referral=r).count() == 1


def test_a_partner_refers_directly_for_their_agency(refer, housing_user, agency_housing):
    case = refer(actor=housing_user)
    assert case.source == Source.PARTNER
    assert case.referring_agency == agency_housing
    assert AuditEvent.objects.filter(action="marac.case.referred", subject_id=str(case.pk)).exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"criteria": []}, "criteria"),
        ({"criteria": ["made_up"]}, "criteria"),
        ({"reason": "  "}, "reason"),
        ({"household": Household(children_count=-1)}, "children_count"),
    ],
)
def test_a_referral_needs_criteria_a_reason_and_sane_figures(refer, kw, field):
    with pytest.raises(DomainError) as exc:
        refer(**kw)
    assert exc.value.field == field


def test_risks_repeat_marac_asks_the_marac_list(refer, victim):
    person = victim()
    with time_machine.travel(T0, tick=False):
        case = refer(person)
    assert risk_signals.last_marac_referral(person.pk, T0 + timedelta(days=1)) == case.referred_at
    assert risk_signals.last_marac_referral(person.pk, T0 - timedelta(seconds=1)) is None


# --- Repeat MARAC: the window edges --------------------------------------------------------------


def test_repeat_rule_edges():
    last = T0
    twelve = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert rules.is_repeat(incident_at=twelve, last_referral_at=last) is True
    assert (
        rules.is_repeat(incident_at=twelve + timedelta(seconds=1), last_referral_at=last) is False
    )
    assert rules.is_repeat(incident_at=last, last_referral_at=last) is True
    assert rules.is_repeat(incident_at=last - timedelta(seconds=1), last_referral_at=last) is False
    assert rules.is_repeat(incident_at=last, last_referral_at=None) is False
    # Configurable: 6 months.
    assert rules.is_repeat(incident_at=twelve, last_referral_at=last, months=6) is False


def test_repeat_window_follows_the_setting(settings):
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 6
    assert rules.repeat_until(T0) == datetime(2026, 9, 2, 10, 0, tzinfo=UTC)


def _close(case, coordinator, add_action, agency):
    action = add_action(case, agency)
    services.action_report(actor=coordinator, action=action, kind="done", note="Done.")
    return services.case_close(
        actor=coordinator, case=case, level_after="medium", outcome="reduced"
    )


@pytest.mark.parametrize(
    ("after", "repeat"),
    [(timedelta(0), True), (timedelta(seconds=1), False)],
    ids=["exactly-12-months", "a-second-later"],
)
def test_a_new_incident_within_12_months_of_the_last_referral_opens_a_repeat_referral(
    listed, coordinator, add_action, agency_housing, log_incident, system, after, repeat
):
    with time_machine.travel(T0, tick=False):
        first = listed()
        _close(first, coordinator, add_action, agency_housing)
    at = datetime(2027, 3, 2, 10, 0, tzinfo=UTC) + after
    with time_machine.travel(at, tick=False):
        incident = log_incident(victim=first.victim)
        made = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    if not repeat:
        assert made == []
        assert MaracCase.objects.filter(victim=first.victim).count() == 1
        return
    (case,) = made
    assert (case.source, case.is_repeat, case.previous_id) == ("repeat", True, first.pk)
    assert case.criteria == ["repeat_marac"]
    assert case.incident_id == incident.pk
    # The coordinator is told: a deadline due at once.
    assert Deadline.objects.filter(kind=REPEAT_DEADLINE, subject_id=str(case.pk)).exists()
    specs = selectors.repeat_alerts(case_id=case.pk)
    assert [s.recipient_role for s in specs] == ["marac_coordinator"]


def test_a_new_incident_while_the_case_is_open_flags_it(refer, log_incident, system):
    with time_machine.travel(T0, tick=False):
        case = refer()
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        incident = log_incident(victim=case.victim)
        (flagged,) = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    assert flagged.pk == case.pk
    assert flagged.repeat_flagged_at == T0 + timedelta(days=30)
    assert MaracCase.objects.filter(victim=case.victim).count() == 1
    assert Deadline.objects.filter(kind=REPEAT_DEADLINE, subject_id=str(case.pk)).exists()


def test_a_victim_never_referred_gets_nothing(log_incident, system):
    incident = log_incident()
    assert services.case_repeat_from_incident(actor=system, incident_id=incident.pk) == []


def test_a_second_referral_within_the_window_is_marked_repeat(refer, victim):
    person = victim()
    with time_machine.travel(T0, tick=False):
        first = refer(person)
    with time_machine.travel(T0 + timedelta(days=200), tick=False):
        second = refer(person)
    assert (second.is_repeat, second.previous_id) == (True, first.pk)
    assert "repeat_marac" in second.criteria


# --- Meetings and the agenda ---------------------------------------------------------------------


def test_meetings_are_scheduled_fortnightly_with_a_cutoff(coordinator, agency_housing):
    with time_machine.travel(T0, tick=False):
        first = T0 + timedelta(days=3)
        meetings = services.meeting_schedule(
            actor=coordinator, first_at=first, count=3, invited=[agency_housing]
        )
    local = [timezone.localtime(m.held_at) for m in meetings]
    # The same wall-clock time every fortnight, across the clocks going forward (29 March).
    assert [(t.date().isoformat(), t.hour) for t in local] == [
        ("2026-03-05", 10), ("2026-03-19", 10), ("2026-04-02", 10),
    ]  # fmt: skip
    assert meetings[2].held_at == datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    assert all(m.cutoff_at == m.held_at - timedelta(days=7) for m in meetings)
    assert list(meetings[0].invited.all()) == [agency_housing]


def test_a_meeting_in_the_past_is_refused(coordinator):
    with pytest.raises(DomainError):
        services.meeting_schedule(actor=coordinator, first_at=timezone.now() - timedelta(hours=1))


def test_the_agenda_lists_referrals_made_by_the_cutoff_oldest_first(refer, coordinator, settings):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 2
    with time_machine.travel(T0, tick=False):
        meeting = services.meeting_schedule(actor=coordinator, first_at=T0 + timedelta(days=10))[0]
    cutoff = meeting.cutoff_at  # T0 + 3 days
    cases = {}
    for name, at in [
        ("b", cutoff - timedelta(hours=1)),
        ("a", cutoff - timedelta(days=1)),
        ("edge", cutoff),
        ("late", cutoff + timedelta(seconds=1)),
    ]:
        with time_machine.travel(at, tick=False):
            cases[name] = refer()
    with time_machine.travel(cutoff + timedelta(hours=2), tick=False):
        added = services.agenda_build(actor=coordinator, meeting=meeting)
    assert [c.pk for c in added] == [cases["a"].pk, cases["b"].pk]  # limit 2: "edge" waits
    assert [c.agenda_position for c in added] == [1, 2]
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 3
    with time_machine.travel(cutoff + timedelta(hours=3), tick=False):
        more = services.agenda_build(actor=coordinator, meeting=meeting)
    assert [c.pk for c in more] == [cases["edge"].pk]  # at the cut-off exactly: in
    assert more[0].agenda_position == 3
    cases["late"].refresh_from_db()
    assert cases["late"].status == CaseStatus.REFERRED  # after the cut-off: the next meeting


def test_slots_follow_the_minutes_per_case():
    assert rules.slot(T0, 3, minutes=15) == T0 + timedelta(minutes=30)


def test_a_held_meeting_records_who_attended_and_closes_its_agenda(
    listed, coordinator, agency_housing, agency_health
):
    case = listed()
    meeting = case.meeting
    with time_machine.travel(meeting.held_at, tick=False):
        services.meeting_record_held(actor=coordinator, meeting=meeting, attended=[agency_housing])
        with pytest.raises(Conflict):
            services.agenda_build(actor=coordinator, meeting=meeting)
    assert list(meeting.attended.all()) == [agency_housing]


def test_only_invited_agencies_can_have_attended(meeting, coordinator, agency_housing):
    from dapolice.accounts.models import Agency

    m = meeting(invited=[agency_housing])
    other = Agency.objects.create(name="Probation", code="prob", kind="probation")
    with time_machine.travel(m.held_at, tick=False), pytest.raises(DomainError):
        services.meeting_record_held(actor=coordinator, meeting=m, attended=[other])


# --- Action plan, report-back, closing -----------------------------------------------------------


def test_actions_have_an_agency_an_owner_a_due_date_and_what_done_means(
    listed, add_action, agency_housing
):
    case = listed()
    action = add_action(case, agency_housing, owner_name="J. Smith")
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCUSSED
    assert (action.agency, action.owner_name, action.status) == (agency_housing, "J. Smith", "open")
    assert action.done_means


def test_an_action_without_what_done_means_is_refused(listed, add_action, agency_housing):
    with pytest.raises(DomainError) as exc:
        add_action(listed(), agency_housing, done_means=" ")
    assert exc.value.field == "done_means"


def test_an_action_is_only_agreed_for_a_listed_case(refer, add_action, agency_housing):
    with pytest.raises(Conflict):
        add_action(refer(), agency_housing)


def test_report_back_update_then_done(listed, add_action, agency_housing, housing_user):
    action = add_action(listed(), agency_housing)
    services.action_report(actor=housing_user, action=action, kind="update", note="Booked")
    action.refresh_from_db()
    assert (action.status, action.last_report) == ("open", "Booked")
    assert action.reported_at is not None
    services.action_report(actor=housing_user, action=action, kind="done", note="Locks fitted")
    action.refresh_from_db()
    assert action.status == "done"
    assert [r.kind for r in action.reports.all()] == ["update", "done"]
    assert action.reports.last().agency == agency_housing
    # Done: no clock left to fire.
    pending = Deadline.objects.filter(
        subject_type="marac.action",
        subject_id=str(action.pk),
        fired_at__isnull=True,
        cancelled_at__isnull=True,
    )
    assert not pending.exists()
    with pytest.raises(Conflict):
        services.action_report(actor=housing_user, action=action, kind="done", note="again")


def test_report_back_needs_a_note(listed, add_action, agency_housing, housing_user):
    action = add_action(listed(), agency_housing)
    with pytest.raises(DomainError) as exc:
        services.action_report(actor=housing_user, action=action, kind="done", note="")
    assert exc.value.field == "note"


def test_a_case_cannot_be_closed_while_any_action_is_unreported(
    listed, add_action, agency_housing, agency_health, coordinator, housing_user
):
    case = listed()
    housing = add_action(case, agency_housing)
    add_action(case, agency_health)
    services.action_report(actor=housing_user, action=housing, kind="done", note="Fitted")
    with pytest.raises(DomainError) as exc:
        services.case_close(actor=coordinator, case=case, level_after="medium", outcome="reduced")
    assert exc.value.code == "unreported_actions"
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCUSSED


def test_a_case_closes_once_every_action_is_reported_with_the_reassessed_risk(
    listed, add_action, agency_housing, coordinator, housing_user
):
    case = listed()
    action = add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=action, kind="update", note="Refused")
    closed = services.case_close(
        actor=coordinator, case=case, level_after="medium", outcome="reduced", note="Moved"
    )
    assert (closed.status, closed.level_after, closed.outcome) == ("closed", "medium", "reduced")
    with pytest.raises(Conflict):
        services.case_close(actor=coordinator, case=case, level_after="medium", outcome="reduced")


def test_a_case_not_yet_discussed_cannot_be_closed(refer, coordinator):
    with pytest.raises(DomainError):
        services.case_close(actor=coordinator, case=refer(), level_after="high", outcome="same")


# --- Due soon and overdue ------------------------------------------------------------------------


def test_overdue_from_the_first_moment_after_the_due_day_local_time():
    due = date(2026, 7, 10)  # BST
    midnight = datetime(2026, 7, 10, 23, 0, tzinfo=UTC)  # 00:00 on the 11th in London
    assert rules.overdue_at(due) == midnight
    assert rules.is_overdue(due_on=due, done=False, now=midnight - timedelta(seconds=1)) is False
    assert rules.is_overdue(due_on=due, done=False, now=midnight) is True
    assert rules.is_overdue(due_on=due, done=True, now=midnight) is False
    soon = datetime(2026, 7, 7, 23, 0, tzinfo=UTC)  # 2 days before, 00:00 London
    assert rules.is_due_soon(due_on=due, done=False, now=soon - timedelta(seconds=1)) is False
    assert rules.is_due_soon(due_on=due, done=False, now=soon) is True
    assert rules.is_due_soon(due_on=due, done=False, now=midnight) is False


def test_action_deadlines_are_set_from_the_one_place(listed, add_action, agency_housing):
    action = add_action(listed(), agency_housing)
    expected = dict(services.action_deadlines_for(action))
    assert expected == {
        ACTION_DUE_SOON_DEADLINE: rules.due_soon_at(action.due_on),
        ACTION_OVERDUE_DEADLINE: rules.overdue_at(action.due_on),
    }
    rows = dict(
        Deadline.objects.filter(
            subject_id=str(action.pk), kind__startswith="marac.action"
        ).values_list("kind", "due_at")
    )
    assert rows == expected


def test_overdue_alerts_go_to_the_agency_and_the_coordinator(listed, add_action, agency_housing):
    action = add_action(listed(), agency_housing)
    specs = selectors.action_overdue_alerts(action_id=action.pk)
    assert {(s.recipient_role, s.recipient_agency_id) for s in specs} == {
        ("partner", agency_housing.pk),
        ("marac_coordinator", None),
    }
    assert [
        s.recipient_agency_id for s in selectors.action_due_soon_alerts(action_id=action.pk)
    ] == [agency_housing.pk]


def test_the_tracker_puts_overdue_first_with_completion_rates(
    listed, add_action, agency_housing, agency_health, coordinator, housing_user
):
    case = listed()
    today = timezone.localdate()
    late = add_action(case, agency_health, due_on=today)
    later = add_action(case, agency_housing, due_on=today + timedelta(days=1))
    done = add_action(case, agency_housing, due_on=today + timedelta(days=5))
    services.action_report(actor=housing_user, action=done, kind="done", note="ok")
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1)):
        t = selectors.tracker(user=coordinator)
    assert [r.action.pk for r in t.rows][:1] == [late.pk]
    assert t.rows[0].overdue is True
    assert {r.action.pk for r in t.rows} == {late.pk, later.pk}
    rates = {r.agency.code: (r.done, r.total, r.percent) for r in t.rates}
    assert rates == {"housing": (1, 2, 50), "health": (0, 1, 0)}


# --- The quarterly return ------------------------------------------------------------------------


def test_the_quarterly_return_on_known_figures(
    refer, victim, coordinator, add_action, agency_housing, housing_user
):
    # Q2 2026: a meeting on 10 June; three cases discussed there (one a repeat), one referral
    # by housing; one referral in Q2 not discussed; one case discussed in Q3 (not counted).
    june = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)
    person = victim()
    with time_machine.travel(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), tick=False):
        refer(person)  # Q1: the previous referral of the repeat victim
    with time_machine.travel(datetime(2026, 5, 20, 9, 0, tzinfo=UTC), tick=False):
        meeting = services.meeting_schedule(
            actor=coordinator, first_at=june, invited=[agency_housing]
        )[0]
        a = refer(person, household=Household(children_count=2, victim_male=True))
        b = refer(household=Household(children_count=1, victim_16_17=True, victim_lgbt=True))
        c = refer(actor=housing_user, household=Household(victim_bme=True, victim_disability=True))
    with time_machine.travel(datetime(2026, 6, 5, 9, 0, tzinfo=UTC), tick=False):
        services.agenda_build(actor=coordinator, meeting=meeting)
        refer()  # after the cut-off: waits, referred in Q2, not discussed
        for case in (a, b, c):
            case.refresh_from_db()
            add_action(case, agency_housing)
    ret = selectors.quarterly_return(user=coordinator, year=2026, quarter=2)
    assert (ret.cases_discussed, ret.repeat_cases, ret.repeat_rate) == (3, 1, 33)
    assert ret.referrals == 4
    assert dict(ret.referrals_by_agency) == {
        "Demo Housing": 1,
        "Police (MASH and coordinator)": 3,
    }
    assert (ret.children, ret.male, ret.aged_16_17, ret.lgbt, ret.bme, ret.disability) == (
        3, 1, 1, 1, 1, 1,
    )  # fmt: skip
    assert (ret.closed, ret.risk_reduced, ret.risk_same, ret.risk_increased) == (0, 0, 0, 0)
    # Closings count in the quarter they happen: two in June, one in July.
    with time_machine.travel(datetime(2026, 6, 20, 9, 0, tzinfo=UTC), tick=False):
        for case in (a, b, c):
            action = case.actions.get()
            services.action_report(actor=housing_user, action=action, kind="done", note="Done")
        services.case_close(actor=coordinator, case=a, level_after="medium", outcome="reduced")
        services.case_close(actor=coordinator, case=b, level_after="high", outcome="unknown")
    with time_machine.travel(datetime(2026, 7, 2, 9, 0, tzinfo=UTC), tick=False):
        services.case_close(actor=coordinator, case=c, level_after="high", outcome="increased")
    ret = selectors.quarterly_return(user=coordinator, year=2026, quarter=2)
    assert (ret.closed, ret.risk_reduced, ret.risk_same, ret.risk_unknown) == (2, 1, 0, 1)
    assert dict(ret.rows())["Closed: the actions reduced the risk"] == 1
    q3 = selectors.quarterly_return(user=coordinator, year=2026, quarter=3)
    assert (q3.closed, q3.risk_increased) == (1, 1)
    q1 = selectors.quarterly_return(user=coordinator, year=2026, quarter=1)
    assert (q1.cases_discussed, q1.referrals, q1.repeat_rate) == (0, 1, None)
    assert AuditEvent.objects.filter(action="marac.return.viewed", actor=coordinator).count() == 4


def test_quarter_bounds_are_local_calendar_quarters():
    start, end = rules.quarter_bounds(2026, 2)
    assert start == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)  # 1 April 00:00 BST
    assert end == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="quarter"):
        rules.quarter_bounds(2026, 5)


def test_closing_takes_the_level_of_the_dash_reviewed_after_the_meeting(
    listed, add_action, agency_housing, coordinator, housing_user, review
):
    case = listed()
    action = add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
    with time_machine.travel(case.meeting.held_at + timedelta(hours=1)):
        assessment = review("medium", victim=case.victim)
        with pytest.raises(DomainError) as exc:
            services.case_close(actor=coordinator, case=case, level_after="high", outcome="same")
        assert exc.value.field == "level_after"
        closed = services.case_close(
            actor=coordinator, case=case, level_after="medium", outcome="reduced"
        )
    assert (closed.reassessment_id, closed.level_after) == (assessment.pk, "medium")


def test_a_dash_reviewed_before_the_meeting_is_not_the_reassessment(
    listed, add_action, agency_housing, coordinator, housing_user, review
):
    case = listed()
    review("medium", victim=case.victim)  # before the meeting
    action = add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=action, kind="done", note="Fitted")
    closed = services.case_close(
        actor=coordinator, case=case, level_after="high", outcome="increased"
    )
    assert closed.reassessment_id is None
    # It is the level before the meeting the closing compares with.
    assert (closed.level_before, closed.level_after) == ("medium", "high")


def test_an_overdue_action_alerts_its_agency_and_the_coordinator_once(
    listed, add_action, agency_housing, agency_health, housing_user
):
    from dapolice.alerts.models import Alert
    from dapolice.alerts.services import deadlines_fire_due

    case = listed()
    late = add_action(case, agency_health)
    done = add_action(case, agency_housing)
    services.action_report(actor=housing_user, action=done, kind="done", note="Fitted")
    moment = rules.overdue_at(late.due_on)
    deadlines_fire_due(now=moment - timedelta(seconds=1))  # only "due soon" so far
    soon = Alert.objects.filter(kind=ACTION_DUE_SOON_DEADLINE)
    assert [(a.recipient_role, a.recipient_agency_id) for a in soon] == [
        ("partner", agency_health.pk)
    ]
    assert not Alert.objects.filter(kind=ACTION_OVERDUE_DEADLINE).exists()
    deadlines_fire_due(now=moment)
    deadlines_fire_due(now=moment + timedelta(hours=1))  # a second scan raises nothing more
    overdue = Alert.objects.filter(kind=ACTION_OVERDUE_DEADLINE)
    assert sorted((a.recipient_role, a.recipient_agency_id or 0) for a in overdue) == [
        ("marac_coordinator", 0),
        ("partner", agency_health.pk),
    ]
    assert all(a.subject_id == str(late.pk) for a in overdue)  # nothing for the action done


def test_mash_marac_referrals_made_before_the_app_are_taken_onto_the_list(mash_case, mash_officer):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("marac.migrations.0003_backfill_mash_referrals")
    c = mash_case("high")
    # Made without its on-commit signal: as if the MARAC app did not exist yet.
    r = mash_services.referral_make(actor=mash_officer, case=c, kind="marac")
    assert not MaracCase.objects.filter(mash_referral=r).exists()
    backfill.forwards(apps, None)
    backfill.forwards(apps, None)  # a rerun adds nothing
    case = MaracCase.objects.get(mash_referral=r)
    assert (case.victim_id, case.source, case.referred_at) == (c.victim_id, "mash", r.made_at)
    assert "visible_high" in case.criteria


# --- Two takes of one MASH referral racing (found by make mutate, 30 November) ------------------


def _taken_just_after_the_lookup(actor, referral_id):
    """While the block runs, this take's look-up of a case for the MASH referral returns (none),
    then ``actor`` takes the referral onto the list, as a second take committing between this
    one's look-up and its insert would (one connection, deterministic). Yields what receives
    the other take's case."""
    return after_first(
        "SELECT",
        '"mash_referral_id"',
        action=lambda: services.case_from_mash_referral(actor=actor, referral_id=referral_id),
    )


def test_a_take_of_a_mash_referral_losing_the_race_returns_the_case_that_won(
    mash_case, mash_officer, coordinator
):
    """The one-case-per-MASH-referral constraint refuses this take's insert; the caller gets the
    case the other take made, not an error, and the case was made (and audited) once."""
    c = mash_case("high")
    # Made without its on-commit signal, so no case exists yet for the referral.
    r = mash_services.referral_make(actor=mash_officer, case=c, kind="marac")
    with _taken_just_after_the_lookup(coordinator, r.pk) as landed:
        got = services.case_from_mash_referral(actor=mash_officer, referral_id=r.pk)
    assert isinstance(landed.value, MaracCase)
    assert (got.pk, got.mash_referral_id, got.victim_id) == (landed.value.pk, r.pk, c.victim_id)
    assert (got.referred_by_id, got.source, got.status) == (
        coordinator.pk,
        "mash",
        CaseStatus.REFERRED,
    )
    assert list(MaracCase.objects.values_list("pk", flat=True)) == [got.pk]
    referred = AuditEvent.objects.filter(action="marac.case.referred")
    assert [(e.actor_id, e.subject_id) for e in referred] == [(coordinator.pk, str(got.pk))]
    # The transaction is still usable after the refused insert (it ran in a savepoint).
    assert MaracCase.objects.filter(mash_referral_id=r.pk).count() == 1

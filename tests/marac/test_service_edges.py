"""The MARAC services at their edges (``marac/services.py``), one rule at a time: each refusal's
class, message and field, what a change writes (the fields, who, when), its audit row, and the
deadlines it sets or cancels. ``test_services.py`` and ``test_reassessment.py`` tell the stories;
these pin what the stories leave loose, so a mutant of a service is caught without a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from dapolice.accounts.models import Agency
from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.models import Incident
from marac import rules, services
from marac.choices import (
    ACTION_DUE_SOON_DEADLINE,
    ACTION_OVERDUE_DEADLINE,
    REASSESS_CHASE_DEADLINE,
    REASSESS_REQUEST_DEADLINE,
    REASSESSED_DEADLINE,
    REPEAT_DEADLINE,
    CaseStatus,
    MeetingStatus,
    Source,
)
from marac.inputs import ActionInput, Household
from marac.models import Action, MaracCase, Report, Research
from mash import services as mash_services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def refused(error_class: type[DomainError], call: Any, **kw: Any) -> DomainError:
    """The refusal ``call(**kw)`` raises, of exactly ``kind`` (a ``Conflict`` is a
    ``DomainError`` too: the class tells the page 409 from 400)."""
    with pytest.raises(DomainError) as exc:
        call(**kw)
    assert type(exc.value) is error_class
    return exc.value


def audit(action: str, subject: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, subject_id=str(subject.pk)).order_by("pk"))


def deadlines(subject: Any) -> dict[str, tuple[datetime, bool]]:
    """kind -> (due at, pending) of the subject's deadlines."""
    return {
        d.kind: (d.due_at, d.cancelled_at is None and d.fired_at is None)
        for d in Deadline.objects.filter(
            subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
        )
    }


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- Referrals -----------------------------------------------------------------------------------


def test_criteria_from_outside_the_list_are_refused_with_their_message(refer):
    error = refused(DomainError, refer, criteria=["visible_high", "made_up"])
    assert (error.message, error.field) == ("Choose the criteria from the list.", "criteria")


def test_criteria_are_kept_once_each_in_the_lists_order(refer):
    case = refer(criteria=["professional_judgement", "visible_high", "professional_judgement"])
    assert case.criteria == ["visible_high", "professional_judgement"]
    case.refresh_from_db()
    assert case.criteria == ["visible_high", "professional_judgement"]


def test_a_partner_or_the_coordinator_must_give_criteria_and_a_reason(refer, housing_user):
    for actor in (None, housing_user):
        error = refused(DomainError, refer, actor=actor, criteria=[])
        assert (error.message, error.field) == (
            "Choose at least one criterion that holds.",
            "criteria",
        )
        error = refused(DomainError, refer, actor=actor, reason=" \n")
        assert (error.message, error.field) == ("Say why the victim is referred.", "reason")
    assert not MaracCase.objects.exists()


def test_a_mash_or_repeat_referral_needs_neither_criteria_nor_a_reason(refer):
    for source in (Source.MASH, Source.REPEAT):
        case = refer(source=source, criteria=[], reason="")
        assert (case.source, case.criteria, case.reason) == (source, [], "")


def test_the_source_is_the_partners_or_the_coordinators_and_only_a_partner_names_an_agency(
    refer, coordinator, housing_user, agency_housing
):
    mine = refer(actor=coordinator, reason="  Escalating.  ")
    theirs = refer(actor=housing_user)
    assert (mine.source, mine.referring_agency_id, mine.referred_by) == (
        Source.COORDINATOR,
        None,
        coordinator,
    )
    assert mine.reason == "Escalating."
    assert (theirs.source, theirs.referring_agency_id, theirs.referred_by) == (
        Source.PARTNER,
        agency_housing.pk,
        housing_user,
    )
    given = refer(actor=housing_user, source=Source.COORDINATOR)
    assert (given.source, given.referring_agency_id) == (Source.COORDINATOR, agency_housing.pk)


@pytest.mark.parametrize(("children", "ok"), [(-1, False), (0, True), (30, True), (31, False)])
def test_the_number_of_children_is_0_to_30(refer, children, ok):
    household = Household(children_count=children)
    if ok:
        assert refer(household=household).children_count == children
        return
    error = refused(DomainError, refer, household=household)
    assert (error.message, error.field) == (
        "Give the number of children (0 to 30).",
        "children_count",
    )


def test_a_referral_keeps_the_household_figures_the_incident_and_when(refer, log_incident):
    from tests.incidents.helpers import victim_of

    incident = log_incident()
    Incident.objects.filter(pk=incident.pk).update(risk_level="high")
    incident.refresh_from_db()
    household = Household(
        children_count=3,
        victim_male=True,
        victim_16_17=True,
        victim_lgbt=True,
        victim_bme=True,
        victim_disability=True,
    )
    with time_machine.travel(T0, tick=False):
        case = refer(victim_of(incident), incident=incident, household=household)
    case.refresh_from_db()
    assert (case.incident_id, case.level_before, case.referred_at) == (incident.pk, "high", T0)
    assert (
        case.children_count,
        case.victim_male,
        case.victim_16_17,
        case.victim_lgbt,
        case.victim_bme,
        case.victim_disability,
    ) == (3, True, True, True, True, True)
    assert (case.status, case.is_repeat, case.previous_id) == (CaseStatus.REFERRED, False, None)
    at = T0 - timedelta(days=3)
    assert refer(referred_at=at).referred_at == at  # as given (the MASH's referral time)
    assert refer().level_before == ""  # no incident: no level


def test_an_incident_without_a_level_gives_none_before(refer, log_incident):
    from tests.incidents.helpers import victim_of

    incident = log_incident()
    Incident.objects.filter(pk=incident.pk).update(risk_level="")
    incident.refresh_from_db()
    assert refer(victim_of(incident), incident=incident).level_before == ""


def test_the_referral_is_audited_with_what_it_recorded(refer, housing_user, agency_housing):
    with time_machine.travel(T0, tick=False):
        case = refer(actor=housing_user, household=Household(children_count=2, victim_bme=True))
    (row,) = audit("marac.case.referred", case)
    assert (row.actor, row.kind, row.subject_type) == (housing_user, "create", "marac.maraccase")
    assert set(row.changes) == set(services.CASE_FIELDS)
    assert row.changes["source"] == [None, "partner"]
    assert row.changes["referring_agency"] == [None, agency_housing.pk]
    assert row.changes["referred_at"] == [None, iso(T0)]
    assert row.changes["criteria"] == [None, ["visible_high"]]
    assert row.changes["children_count"] == [None, 2]
    assert row.changes["victim_bme"] == [None, True]
    assert row.changes["victim"] == [None, case.victim_id]


def test_a_referral_within_the_window_is_a_repeat_and_one_after_is_not(refer, victim):
    person = victim()
    with time_machine.travel(T0, tick=False):
        first = refer(person, criteria=["professional_judgement"])
    twelve = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(twelve, tick=False):
        second = refer(person, criteria=["professional_judgement"])
    # The repeat criterion joins the others in the list's order.
    assert second.criteria == ["professional_judgement", "repeat_marac"]
    assert (second.is_repeat, second.previous_id) == (True, first.pk)
    with time_machine.travel(twelve + timedelta(days=400), tick=False):
        third = refer(person, criteria=["repeat_marac", "visible_high"])
    # After the window: not a repeat, though the previous referral is still named.
    assert (third.is_repeat, third.previous_id) == (False, second.pk)
    assert third.criteria == ["visible_high", "repeat_marac"]  # as the referrer chose
    with time_machine.travel(twelve + timedelta(days=401), tick=False):
        fourth = refer(person, criteria=["repeat_marac"])
    assert (fourth.is_repeat, fourth.criteria) == (True, ["repeat_marac"])  # not twice


def test_a_referral_dated_before_the_victims_last_one_looks_further_back(refer, victim):
    person = victim()
    with time_machine.travel(T0, tick=False):
        later = refer(person)
    earlier = refer(person, referred_at=T0 - timedelta(days=1))
    assert (earlier.is_repeat, earlier.previous_id) == (False, None)
    assert later.pk != earlier.pk


def test_a_mash_referral_takes_the_met_criteria_the_notes_and_the_children(mash_case, mash_officer):
    from risk.models import Assessment

    c = mash_case("high", children=True)
    Assessment.objects.filter(pk=c.assessment_id).update(
        marac_criteria=[
            {"code": "potential_escalation", "met": True},
            {"code": "visible_high", "met": False},
            {"code": "professional_judgement"},
            {"code": "visible_high", "met": True},
        ]
    )
    with time_machine.travel(T0, tick=False):
        r = mash_services.referral_make(
            actor=mash_officer, case=c, kind="marac", notes="Escalating; children at home."
        )
    case = services.case_from_mash_referral(actor=mash_officer, referral_id=r.pk)
    assert case.criteria == ["visible_high", "potential_escalation"]
    assert (case.reason, case.children_count) == ("Escalating; children at home.", 1)
    assert (case.source, case.mash_referral_id, case.referred_at) == ("mash", r.pk, T0)
    assert (case.victim_id, case.incident_id, case.referred_by) == (
        c.victim_id,
        c.incident_id,
        mash_officer,
    )


def test_a_mash_referral_without_children_records_none(
    mash_case, mash_officer, refer, django_assert_num_queries
):
    refer()  # a coordinator's referral: no MASH referral
    c = mash_case("high")
    r = mash_services.referral_make(actor=mash_officer, case=c, kind="marac")
    case = services.case_from_mash_referral(actor=mash_officer, referral_id=r.pk)
    assert case.children_count == 0
    with django_assert_num_queries(1):  # the signal again: the case is found, nothing more
        again = services.case_from_mash_referral(actor=mash_officer, referral_id=r.pk)
    assert again.pk == case.pk
    assert len(audit("marac.case.referred", case)) == 1


# --- Repeat MARAC from a new incident ------------------------------------------------------------


def test_a_new_incident_flags_the_latest_open_case_and_audits_it(
    refer, victim, log_incident, system
):
    person = victim()
    with time_machine.travel(T0, tick=False):
        older = refer(person)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        newer = refer(person)
    at = T0 + timedelta(days=30)
    with time_machine.travel(at, tick=False):
        incident = log_incident(victim=person)
        (flagged,) = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    assert flagged.pk == newer.pk
    older.refresh_from_db()
    assert older.repeat_flagged_at is None
    (row,) = audit("marac.case.repeat_flagged", newer)
    assert (row.actor, row.kind) == (system, "change")
    assert row.changes == {"repeat_flagged_at": [None, iso(at)], "incident": [None, incident.pk]}
    assert deadlines(newer) == {REPEAT_DEADLINE: (at, True)}
    assert deadlines(older) == {}
    newer.refresh_from_db()
    assert newer.repeat_flagged_at == at


def test_a_closed_case_is_not_flagged_a_new_referral_is_opened_and_the_coordinator_told(
    listed, add_action, agency_housing, coordinator, log_incident, system, settings
):
    settings.DAPOLICE_MARAC_REPEAT_MONTHS = 12
    with time_machine.travel(T0, tick=False):
        first = listed()
        action = add_action(first, agency_housing)
        services.action_report(actor=coordinator, action=action, kind="done", note="Done.")
        services.case_close(actor=coordinator, case=first, level_after="medium", outcome="reduced")
    received = T0 + timedelta(days=40)
    now = received + timedelta(hours=5)  # logged later, backdated to when the call came
    with time_machine.travel(now, tick=False):
        incident = log_incident(victim=first.victim, received_at=received)
        (case,) = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    assert case.pk != first.pk
    assert (case.source, case.status, case.referred_by) == ("repeat", "referred", system)
    assert case.referred_at == now  # never before it is made
    assert case.reason == (
        f"New incident {incident.reference} within 12 months of the last MARAC referral."
    )
    assert deadlines(case) == {REPEAT_DEADLINE: (now, True)}
    first.refresh_from_db()
    assert first.repeat_flagged_at is None


def test_a_repeat_referral_made_ahead_of_the_incident_time_takes_the_incident_time(
    discussed_case, coordinator, log_incident, system
):
    first = discussed_case()
    services.case_close(actor=coordinator, case=first, level_after="medium", outcome="unknown")
    incident = log_incident(victim=first.victim)
    later = timezone.now() + timedelta(hours=2)  # received "later" than now (a clock skew)
    Incident.objects.filter(pk=incident.pk).update(received_at=later)
    (case,) = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    assert case.referred_at == later


def test_only_the_victims_of_the_new_incident_are_looked_at(refer, victim, log_incident, system):
    person = victim()
    with time_machine.travel(T0, tick=False):
        case = refer(person)
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        incident = log_incident(suspect=person)  # the earlier victim is the suspect now
        assert services.case_repeat_from_incident(actor=system, incident_id=incident.pk) == []
    case.refresh_from_db()
    assert case.repeat_flagged_at is None


def test_an_incident_before_the_last_referral_flags_nothing(refer, victim, log_incident, system):
    person = victim()
    with time_machine.travel(T0, tick=False):
        incident = log_incident(victim=person)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        case = refer(person)
        assert services.case_repeat_from_incident(actor=system, incident_id=incident.pk) == []
    case.refresh_from_db()
    assert case.repeat_flagged_at is None
    assert deadlines(case) == {}


# --- Meetings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (26, True), (27, False)])
def test_between_1_and_26_meetings_are_scheduled_at_a_time(coordinator, count, ok):
    with time_machine.travel(T0, tick=False):
        if ok:
            made = services.meeting_schedule(
                actor=coordinator, first_at=T0 + timedelta(days=1), count=count
            )
            assert len(made) == count
            return
        error = refused(
            DomainError,
            services.meeting_schedule,
            actor=coordinator,
            first_at=T0 + timedelta(days=1),
            count=count,
        )
    assert (error.message, error.field) == (
        "Schedule between 1 and 26 meetings at a time.",
        "count",
    )


def test_the_first_meeting_must_be_after_now(coordinator):
    with time_machine.travel(T0, tick=False):
        error = refused(DomainError, services.meeting_schedule, actor=coordinator, first_at=T0)
        assert (error.message, error.field) == (
            "The first meeting must be in the future.",
            "first_at",
        )
        (m,) = services.meeting_schedule(actor=coordinator, first_at=T0 + timedelta(seconds=1))
    assert m.held_at == T0 + timedelta(seconds=1)


def test_a_schedule_takes_its_interval_cutoff_and_venue_and_audits_each_meeting(
    coordinator, agency_housing, agency_health
):
    first = T0 + timedelta(days=20)
    with time_machine.travel(T0, tick=False):
        made = services.meeting_schedule(
            actor=coordinator,
            first_at=first,
            count=2,
            every_days=28,
            cutoff_days=3,
            venue="  Civic Centre  ",
            invited=[agency_housing, agency_health],
        )
    assert [m.held_at for m in made] == rules.schedule(first, 2, every_days=28)
    assert [m.cutoff_at for m in made] == [rules.default_cutoff(m.held_at, days=3) for m in made]
    assert made[0].cutoff_at != rules.default_cutoff(made[0].held_at)
    assert [(m.venue, m.created_by, m.status) for m in made] == [
        ("Civic Centre", coordinator, MeetingStatus.SCHEDULED)
    ] * 2
    assert all(
        {a.pk for a in m.invited.all()} == {agency_housing.pk, agency_health.pk} for m in made
    )
    for m in made:
        (row,) = audit("marac.meeting.scheduled", m)
        assert (row.actor, row.kind) == (coordinator, "create")
        assert row.changes == {
            "held_at": [None, iso(m.held_at)],
            "cutoff_at": [None, iso(m.cutoff_at)],
            "venue": [None, "Civic Centre"],
        }


def test_inviting_replaces_the_agencies_and_audits_before_and_after(
    meeting, coordinator, agency_housing, agency_health
):
    m = meeting(invited=[agency_health])
    probation = Agency.objects.create(name="Probation", code="prob", kind="probation")
    out = services.meeting_invite(
        actor=coordinator, meeting=m, agencies=[probation, agency_housing]
    )
    assert {a.pk for a in out.invited.all()} == {probation.pk, agency_housing.pk}
    (row,) = audit("marac.meeting.invited", m)
    assert (row.actor, row.kind) == (coordinator, "change")
    assert row.changes == {
        "invited": [[agency_health.pk], sorted([probation.pk, agency_housing.pk])]
    }


def test_a_meeting_is_held_from_its_cutoff_with_the_agencies_invited(
    meeting, coordinator, agency_housing, agency_health
):
    m = meeting(invited=[agency_housing, agency_health])
    with time_machine.travel(m.cutoff_at - timedelta(seconds=1), tick=False):
        error = refused(
            DomainError,
            services.meeting_record_held,
            actor=coordinator,
            meeting=m,
            attended=[agency_housing],
        )
    assert (error.message, error.field) == (
        "The meeting cannot be held before its agenda's cut-off.",
        None,
    )
    probation = Agency.objects.create(name="Probation", code="prob", kind="probation")
    with time_machine.travel(m.held_at, tick=False):
        error = refused(
            DomainError,
            services.meeting_record_held,
            actor=coordinator,
            meeting=m,
            attended=[agency_housing, probation],
        )
    assert (error.message, error.field) == ("Only agencies invited can have attended.", "attended")
    m.refresh_from_db()
    assert (m.status, list(m.attended.all())) == (MeetingStatus.SCHEDULED, [])
    with time_machine.travel(m.cutoff_at, tick=False):
        held = services.meeting_record_held(
            actor=coordinator, meeting=m, attended=[agency_health, agency_housing]
        )
    held.refresh_from_db()
    assert held.status == MeetingStatus.HELD
    assert {a.pk for a in held.attended.all()} == {agency_health.pk, agency_housing.pk}
    (row,) = audit("marac.meeting.held", m)
    assert (row.actor, row.kind) == (coordinator, "change")
    assert row.changes == {
        "status": ["scheduled", "held"],
        "attended": [None, sorted([agency_health.pk, agency_housing.pk])],
    }


# --- The agenda ----------------------------------------------------------------------------------


def test_the_agenda_continues_after_the_cases_listed_and_audits_what_it_added(
    refer, meeting, coordinator, settings
):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 3
    m = meeting()
    a, b = refer(), refer()
    assert services.agenda_build(actor=coordinator, meeting=m) == [a, b]
    c, d = refer(), refer()
    added = services.agenda_build(actor=coordinator, meeting=m)
    assert [(x.pk, x.agenda_position) for x in added] == [(c.pk, 3)]
    c.refresh_from_db()
    assert (c.status, c.meeting_id, c.agenda_position) == (CaseStatus.LISTED, m.pk, 3)
    d.refresh_from_db()
    assert (d.status, d.meeting_id, d.agenda_position) == (CaseStatus.REFERRED, None, None)
    rows = audit("marac.meeting.agenda_built", m)
    assert [(r.actor, r.kind) for r in rows] == [(coordinator, "change")] * 2
    assert [r.changes for r in rows] == [
        {"cases": [0, 2], "added": [None, [a.pk, b.pk]]},
        {"cases": [2, 3], "added": [None, [c.pk]]},
    ]


def test_an_agenda_already_over_the_limit_adds_nothing(refer, meeting, coordinator, settings):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 3
    m = meeting()
    listed = [refer(), refer(), refer()]
    services.agenda_build(actor=coordinator, meeting=m)
    waiting = [refer(), refer()]
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 1  # lowered below what is listed
    assert services.agenda_build(actor=coordinator, meeting=m) == []
    assert all(MaracCase.objects.get(pk=c.pk).status == CaseStatus.REFERRED for c in waiting)
    assert MaracCase.objects.filter(meeting=m).count() == len(listed)
    rows = audit("marac.meeting.agenda_built", m)
    assert rows[-1].changes == {"cases": [3, 3], "added": [None, []]}


def test_the_agenda_takes_only_referrals_waiting_for_a_meeting(
    refer, meeting, coordinator, settings
):
    settings.DAPOLICE_MARAC_CASES_PER_MEETING = 16
    first, second = meeting(days=14), meeting(days=21)
    on_first = refer()
    services.agenda_build(actor=coordinator, meeting=first)
    waiting = refer()
    added = services.agenda_build(actor=coordinator, meeting=second)
    assert [(c.pk, c.agenda_position) for c in added] == [(waiting.pk, 1)]
    on_first.refresh_from_db()
    assert (on_first.meeting_id, on_first.agenda_position) == (first.pk, 1)


def test_a_held_meetings_agenda_is_closed_with_a_conflict(meeting, coordinator, refer):
    m = meeting()
    with time_machine.travel(m.held_at, tick=False):
        services.meeting_record_held(actor=coordinator, meeting=m, attended=[])
    refer()
    error = refused(Conflict, services.agenda_build, actor=coordinator, meeting=m)
    assert error.message == "This meeting has been held: its agenda is closed."
    assert not MaracCase.objects.filter(meeting=m).exists()


# --- Research ------------------------------------------------------------------------------------


def test_research_is_dated_by_the_agency_that_knows_and_audited(
    listed, coordinator, housing_user, agency_housing
):
    case = listed()
    today = T0.date()
    with time_machine.travel(T0, tick=False):
        theirs = services.research_add(
            actor=housing_user, case=case, known_on=today, summary="  Rent arrears.  "
        )
    mine = services.research_add(
        actor=coordinator, case=case, known_on=today - timedelta(days=2), summary="Two calls."
    )
    theirs.refresh_from_db()
    assert (theirs.case_id, theirs.agency_id, theirs.summary, theirs.known_on) == (
        case.pk,
        agency_housing.pk,
        "Rent arrears.",
        today,
    )
    assert (theirs.recorded_by, theirs.recorded_at) == (housing_user, T0)
    assert (mine.agency_id, mine.recorded_by) == (None, coordinator)
    (row,) = audit("marac.research.added", theirs)
    assert (row.actor, row.kind, row.subject_type) == (housing_user, "create", "marac.research")
    assert row.changes == {
        "case": [None, case.pk],
        "agency": [None, agency_housing.pk],
        "known_on": [None, today.isoformat()],
        "summary": [None, "Rent arrears."],
    }


def test_research_needs_a_summary_and_a_date_not_in_the_future(listed, housing_user):
    case = listed()
    today = timezone.localdate()
    error = refused(
        DomainError,
        services.research_add,
        actor=housing_user,
        case=case,
        known_on=today,
        summary="  ",
    )
    assert (error.message, error.field) == ("Write what your agency knows.", "summary")
    error = refused(
        DomainError,
        services.research_add,
        actor=housing_user,
        case=case,
        known_on=today + timedelta(days=1),
        summary="Tomorrow",
    )
    assert (error.message, error.field) == ("The date cannot be in the future.", "known_on")
    assert not Research.objects.exists()


def test_research_on_a_closed_case_is_a_conflict(discussed_case, coordinator, housing_user):
    case = discussed_case()
    services.case_close(actor=coordinator, case=case, level_after="medium", outcome="unknown")
    error = refused(
        Conflict,
        services.research_add,
        actor=housing_user,
        case=case,
        known_on=timezone.localdate(),
        summary="Late",
    )
    assert error.message == "This case is closed."
    # Any other status takes research: referred, listed, discussed.
    assert services.research_add(
        actor=housing_user,
        case=discussed_case(),
        known_on=timezone.localdate(),
        summary="On time",
    ).pk


# --- Discussion ----------------------------------------------------------------------------------


@pytest.fixture
def discussed_case(listed, add_action, agency_housing, coordinator):
    """A case discussed at its meeting, its one action reported done."""

    def make() -> MaracCase:
        case = listed()
        action = add_action(case, agency_housing)
        services.action_report(actor=coordinator, action=action, kind="done", note="Done.")
        case.refresh_from_db()
        return case

    return make


def test_discussing_a_listed_case_records_it_once_and_audits_what_changed(listed, coordinator):
    case = listed()
    with time_machine.travel(T0, tick=False):
        out = services.case_discuss(actor=coordinator, case=case, discussion="  Safety plan.  ")
    assert (out.status, out.discussion, out.discussed_at) == (
        CaseStatus.DISCUSSED,
        "Safety plan.",
        T0,
    )
    (row,) = audit("marac.case.discussed", case)
    assert (row.actor, row.kind) == (coordinator, "change")
    assert row.changes == {
        "status": ["listed", "discussed"],
        "discussion": ["", "Safety plan."],
        "discussed_at": [None, iso(T0)],
    }
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        again = services.case_discuss(actor=coordinator, case=case, discussion="Amended.")
    again.refresh_from_db()
    assert (again.discussion, again.discussed_at) == ("Amended.", T0)  # when first discussed
    assert audit("marac.case.discussed", case)[-1].changes == {
        "discussion": ["Safety plan.", "Amended."]
    }


def test_a_discussion_needs_text_and_a_case_on_an_agenda(refer, listed, coordinator):
    error = refused(
        DomainError, services.case_discuss, actor=coordinator, case=listed(), discussion=" "
    )
    assert (error.message, error.field) == ("Record what the meeting discussed.", "discussion")
    case = refer()
    error = refused(Conflict, services.case_discuss, actor=coordinator, case=case, discussion="x")
    assert error.message == "Only a case on a meeting's agenda can be discussed."
    case.refresh_from_db()
    assert (case.status, case.discussion) == (CaseStatus.REFERRED, "")


# --- Actions -------------------------------------------------------------------------------------


def _input(agency: Agency, **kw: Any) -> ActionInput:
    data: dict[str, Any] = {
        "agency_id": agency.pk,
        "description": "Fit extra locks",
        "done_means": "Locks fitted",
        "due_on": timezone.localdate() + timedelta(days=10),
    }
    data.update(kw)
    return ActionInput(**data)


@pytest.mark.parametrize(
    ("kw", "message", "field"),
    [
        ({"description": "  "}, "Say what the action is.", "description"),
        ({"done_means": " "}, 'Say what "done" means for this action.', "done_means"),
        ({"due_on": -1}, "The due date cannot be in the past.", "due_on"),
        ({"agency_id": 0}, "Choose the responsible agency.", "agency"),
    ],
)
def test_an_action_is_refused_without_each_part(
    listed, coordinator, agency_housing, kw, message, field
):
    case = listed()
    if kw.get("due_on") == -1:
        kw = {"due_on": timezone.localdate() - timedelta(days=1)}
    error = refused(
        DomainError,
        services.action_add,
        actor=coordinator,
        case=case,
        data=_input(agency_housing, **kw),
    )
    assert (error.message, error.field) == (message, field)
    assert not Action.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.LISTED


def test_an_action_due_today_is_taken(listed, coordinator, agency_housing):
    today = timezone.localdate()
    action = services.action_add(
        actor=coordinator, case=listed(), data=_input(agency_housing, due_on=today)
    )
    assert action.due_on == today


def test_an_action_on_a_case_not_on_an_agenda_is_a_conflict(refer, coordinator, agency_housing):
    error = refused(
        Conflict, services.action_add, actor=coordinator, case=refer(), data=_input(agency_housing)
    )
    assert error.message == "Actions are agreed for a case on a meeting's agenda."


def test_the_first_action_makes_the_case_discussed_and_each_is_audited(
    listed, coordinator, agency_housing, agency_health
):
    case = listed()
    with time_machine.travel(T0, tick=False):
        first = services.action_add(
            actor=coordinator,
            case=case,
            data=_input(
                agency_housing,
                description="  Fit locks  ",
                done_means="  Fitted  ",
                owner_name="  J. Smith ",
                due_on=T0.date() + timedelta(days=10),
            ),
        )
    first.refresh_from_db()
    assert (first.description, first.done_means, first.owner_name) == (
        "Fit locks",
        "Fitted",
        "J. Smith",
    )
    assert (first.case_id, first.agency_id, first.created_by, first.status) == (
        case.pk,
        agency_housing.pk,
        coordinator,
        "open",
    )
    (row,) = audit("marac.action.added", first)
    assert (row.actor, row.kind) == (coordinator, "create")
    assert row.changes == {
        "case": [None, case.pk],
        "agency": [None, agency_housing.pk],
        "owner_name": [None, "J. Smith"],
        "description": [None, "Fit locks"],
        "done_means": [None, "Fitted"],
        "due_on": [None, (T0.date() + timedelta(days=10)).isoformat()],
    }
    case.refresh_from_db()
    assert (case.status, case.discussed_at) == (CaseStatus.DISCUSSED, T0)
    (discussed,) = audit("marac.case.discussed", case)
    assert (discussed.actor, discussed.changes) == (
        coordinator,
        {"status": ["listed", "discussed"]},
    )
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.action_add(
            actor=coordinator, case=case, data=_input(agency_health, due_on=T0.date())
        )
    case.refresh_from_db()
    assert case.discussed_at == T0  # the second action changes nothing on the case
    assert len(audit("marac.case.discussed", case)) == 1


def test_an_action_sets_its_due_soon_and_overdue_clocks(listed, coordinator, agency_housing):
    due = timezone.localdate() + timedelta(days=10)
    action = services.action_add(
        actor=coordinator, case=listed(), data=_input(agency_housing, due_on=due)
    )
    assert deadlines(action) == {
        ACTION_DUE_SOON_DEADLINE: (rules.due_soon_at(due), True),
        ACTION_OVERDUE_DEADLINE: (rules.overdue_at(due), True),
    }


# --- Report-back ---------------------------------------------------------------------------------


def test_a_report_must_be_done_or_an_update_with_a_note_that_says_so(
    listed, add_action, agency_housing, housing_user
):
    action = add_action(listed(), agency_housing)
    error = refused(
        DomainError,
        services.action_report,
        actor=housing_user,
        action=action,
        kind="maybe",
        note="x",
    )
    assert (error.message, error.field) == ("Choose done or an update.", "kind")
    error = refused(
        DomainError,
        services.action_report,
        actor=housing_user,
        action=action,
        kind="done",
        note=" ",
    )
    assert (error.message, error.field) == ("Say what was done.", "note")
    error = refused(
        DomainError,
        services.action_report,
        actor=housing_user,
        action=action,
        kind="update",
        note=" ",
    )
    assert (error.message, error.field) == ("Give the update.", "note")
    assert not Report.objects.exists()


def test_an_update_keeps_the_action_open_and_its_clocks_running(
    listed, add_action, agency_housing, housing_user
):
    action = add_action(listed(), agency_housing)
    clocks = deadlines(action)
    with time_machine.travel(T0, tick=False):
        out = services.action_report(
            actor=housing_user, action=action, kind="update", note="  Booked  "
        )
    out.refresh_from_db()
    assert (out.status, out.reported_at, out.last_report, out.done_at) == (
        "open",
        T0,
        "Booked",
        None,
    )
    (report,) = Report.objects.filter(action=action)
    assert (report.kind, report.note, report.by, report.at) == (
        "update",
        "Booked",
        housing_user,
        T0,
    )
    (row,) = audit("marac.action.updated", action)
    assert (row.actor, row.kind) == (housing_user, "change")
    assert row.changes == {"reported_at": [None, iso(T0)], "last_report": ["", "Booked"]}
    assert deadlines(action) == clocks
    assert all(pending for _, pending in clocks.values())


def test_done_closes_the_action_stops_its_clocks_and_a_second_report_is_a_conflict(
    listed, add_action, agency_housing, coordinator
):
    action = add_action(listed(), agency_housing)
    with time_machine.travel(T0, tick=False):
        out = services.action_report(actor=coordinator, action=action, kind="done", note="Fitted")
    out.refresh_from_db()
    assert (out.status, out.reported_at, out.done_at, out.last_report) == ("done", T0, T0, "Fitted")
    (report,) = Report.objects.filter(action=action)
    assert (report.kind, report.agency_id, report.by) == ("done", None, coordinator)
    (row,) = audit("marac.action.done", action)
    assert row.changes == {
        "status": ["open", "done"],
        "reported_at": [None, iso(T0)],
        "last_report": ["", "Fitted"],
        "done_at": [None, iso(T0)],
    }
    assert [pending for _, pending in deadlines(action).values()] == [False, False]
    assert services.action_deadlines_for(out) == []
    error = refused(
        Conflict, services.action_report, actor=coordinator, action=action, kind="update", note="x"
    )
    assert (error.message, error.code) == ("This action was already reported done.", "action_done")
    assert Report.objects.filter(action=action).count() == 1


def test_a_partners_report_names_their_agency(listed, add_action, agency_housing, housing_user):
    action = add_action(listed(), agency_housing)
    services.action_report(actor=housing_user, action=action, kind="update", note="Booked")
    assert Report.objects.get(action=action).agency_id == agency_housing.pk


# --- Asking for the re-assessment ----------------------------------------------------------------


def test_asking_for_the_reassessment_refuses_with_the_reason(
    refer, listed, add_action, agency_housing, coordinator, discussed_case
):
    error = refused(
        DomainError, services.case_request_reassessment, actor=coordinator, case=refer()
    )
    assert (error.message, error.code) == (
        "The re-assessment is asked for after the meeting's actions.",
        "invalid",
    )
    case = listed()
    add_action(case, agency_housing)
    add_action(case, agency_housing)
    error = refused(DomainError, services.case_request_reassessment, actor=coordinator, case=case)
    assert (error.message, error.code) == (
        "2 action(s) not yet reported back on: the risk is re-assessed after them.",
        "unreported_actions",
    )
    closed = discussed_case()
    services.case_close(actor=coordinator, case=closed, level_after="medium", outcome="unknown")
    error = refused(Conflict, services.case_request_reassessment, actor=coordinator, case=closed)
    assert error.message == "This case is already closed."


def test_an_update_counts_as_reported_for_the_request(
    listed, add_action, agency_housing, coordinator
):
    case = listed()
    action = add_action(case, agency_housing)
    services.action_report(actor=coordinator, action=action, kind="update", note="Refused")
    asked = services.case_request_reassessment(actor=coordinator, case=case)
    assert asked.reassessment_requested_at is not None


def test_asking_records_who_when_and_of_whom_and_sets_the_clocks(
    discussed_case, coordinator, settings
):
    settings.DAPOLICE_MARAC_REASSESS_DAYS = 10
    case = discussed_case()
    with time_machine.travel(T0, tick=False):
        asked = services.case_request_reassessment(actor=coordinator, case=case)
    asked.refresh_from_db()
    assert (
        asked.reassessment_requested_at,
        asked.reassessment_requested_by,
        asked.reassessment_requested_from_id,
    ) == (T0, coordinator, None)  # no DASH, no SPOC: the MASH
    (row,) = audit("marac.case.reassessment_requested", case)
    assert (row.actor, row.kind) == (coordinator, "change")
    assert row.changes == {
        "reassessment_requested_at": [None, iso(T0)],
        "reassessment_requested_by": [None, coordinator.pk],
    }
    assert deadlines(case) == {
        REASSESS_REQUEST_DEADLINE: (T0, True),
        REASSESS_CHASE_DEADLINE: (rules.reassess_chase_at(T0), True),
    }
    assert rules.reassess_chase_at(T0) == T0 + timedelta(days=10)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        error = refused(Conflict, services.case_request_reassessment, actor=coordinator, case=case)
    assert (error.message, error.code) == (
        "A re-assessment was already asked for on 02 Mar 2026: it has not come yet.",
        "reassessment_requested",
    )


def test_asking_again_after_one_came_unlinks_it_and_cancels_the_told(
    discussed_case, coordinator, review, system
):
    case = discussed_case()
    with time_machine.travel(T0, tick=False):
        services.case_request_reassessment(actor=coordinator, case=case)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        dash = review("medium", victim=case.victim)
        services.case_reassessment_link(actor=system, assessment_id=dash.pk)
    case.refresh_from_db()
    assert case.reassessment_id == dash.pk
    later = T0 + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        again = services.case_request_reassessment(actor=coordinator, case=case)
    again.refresh_from_db()
    assert (again.reassessment_id, again.reassessment_requested_at) == (None, later)
    row = audit("marac.case.reassessment_requested", case)[-1]
    assert row.changes == {
        "reassessment_requested_at": [iso(T0), iso(later)],
        # The DASH's author is asked now (no DASH before: the MASH).
        "reassessment_requested_from": [None, dash.author_id],
        "reassessment": [dash.pk, None],
    }
    clocks = deadlines(case)
    assert clocks[REASSESSED_DEADLINE][1] is False
    assert clocks[REASSESS_REQUEST_DEADLINE] == (later, True)


# --- Linking the re-assessment -------------------------------------------------------------------


def test_a_reviewed_dash_is_linked_to_each_case_that_asked_before_it(
    discussed_case, coordinator, review, system, victim
):
    case = discussed_case()
    with time_machine.travel(T0, tick=False):
        services.case_request_reassessment(actor=coordinator, case=case)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        dash = review("medium", victim=case.victim)  # linked by risk's signal on commit
    assert dash.reviewed_at == T0 + timedelta(days=1)
    case.refresh_from_db()
    assert case.reassessment_id == dash.pk
    (row,) = audit("marac.case.reassessed", case)
    assert (row.actor, row.kind, row.changes) == (
        system,
        "change",
        {"reassessment": [None, dash.pk]},
    )
    clocks = deadlines(case)
    assert clocks[REASSESS_REQUEST_DEADLINE][1] is False
    assert clocks[REASSESS_CHASE_DEADLINE][1] is False
    assert clocks[REASSESSED_DEADLINE] == (T0 + timedelta(days=1), True)
    # Twice: nothing more.
    assert services.case_reassessment_link(actor=system, assessment_id=dash.pk) == []
    assert len(audit("marac.case.reassessed", case)) == 1


def test_a_dash_reviewed_at_the_moment_of_the_request_is_linked(
    discussed_case, coordinator, review, system
):
    case = discussed_case()
    with time_machine.travel(T0, tick=False):
        dash = review("medium", victim=case.victim)
        services.case_request_reassessment(actor=coordinator, case=case)
        assert [
            c.pk for c in services.case_reassessment_link(actor=system, assessment_id=dash.pk)
        ] == [case.pk]


def test_cases_are_linked_in_order_and_only_the_victims_discussed_ones(
    discussed_case, coordinator, review, system, refer
):
    first = discussed_case()
    victim = first.victim
    second = discussed_case()
    MaracCase.objects.filter(pk=second.pk).update(victim=victim)
    second.refresh_from_db()
    other = discussed_case()  # another victim's
    with time_machine.travel(T0, tick=False):
        for case in (second, first, other):
            services.case_request_reassessment(actor=coordinator, case=case)
        waiting = refer(victim)
        MaracCase.objects.filter(pk=waiting.pk).update(
            reassessment_requested_at=T0, reassessment_requested_by=coordinator
        )
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        dash = review("medium", victim=victim)  # linked by risk's signal on commit
    rows = AuditEvent.objects.filter(action="marac.case.reassessed").order_by("pk")
    assert [r.subject_id for r in rows] == [str(pk) for pk in sorted([first.pk, second.pk])]
    MaracCase.objects.filter(pk__in=[first.pk, second.pk]).update(reassessment=None)
    linked = services.case_reassessment_link(actor=coordinator, assessment_id=dash.pk)
    assert [c.pk for c in linked] == sorted([first.pk, second.pk])
    assert [c.reassessment_id for c in linked] == [dash.pk, dash.pk]
    assert AuditEvent.objects.filter(action="marac.case.reassessed", actor=coordinator).count() == 2
    other.refresh_from_db()
    waiting.refresh_from_db()
    assert (other.reassessment_id, waiting.reassessment_id) == (None, None)


def test_a_dash_not_reviewed_or_missing_links_nothing(
    discussed_case, coordinator, officer, call_taker, log_incident
):
    from incidents import services as incident_services
    from risk import services as risk_services
    from tests.mash.conftest import YES
    from tests.risk.conftest import complete_input

    case = discussed_case()
    services.case_request_reassessment(actor=coordinator, case=case)
    assert services.case_reassessment_link(actor=coordinator, assessment_id=0) == []
    incident = incident_services.incident_dispatch(
        actor=call_taker, incident=log_incident(victim=case.victim), officer=officer
    )
    incident = incident_services.incident_record_arrival(actor=officer, incident=incident)
    dash = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(
        actor=officer, assessment=dash, data=complete_input(YES["medium"])
    )
    assert services.case_reassessment_link(actor=coordinator, assessment_id=dash.pk) == []
    case.refresh_from_db()
    assert case.reassessment_id is None
    assert not audit("marac.case.reassessed", case)


# --- Closing -------------------------------------------------------------------------------------


def test_closing_refuses_a_level_or_an_outcome_not_on_the_list(discussed_case, coordinator):
    case = discussed_case()
    error = refused(
        DomainError,
        services.case_close,
        actor=coordinator,
        case=case,
        level_after="severe",
        outcome="reduced",
    )
    assert (error.message, error.field) == ("Give the re-assessed risk level.", "level_after")
    error = refused(
        DomainError,
        services.case_close,
        actor=coordinator,
        case=case,
        level_after="medium",
        outcome="better",
    )
    assert (error.message, error.field) == ("Say whether the actions reduced the risk.", "outcome")


def test_closing_refuses_a_case_closed_not_discussed_or_with_actions_unreported(
    discussed_case, refer, listed, add_action, agency_housing, coordinator
):
    kw = {"level_after": "medium", "outcome": "unknown"}
    error = refused(DomainError, services.case_close, actor=coordinator, case=refer(), **kw)
    assert error.message == "A case is closed after the meeting has discussed it."
    case = listed()
    add_action(case, agency_housing)
    add_action(case, agency_housing)
    add_action(case, agency_housing)
    error = refused(DomainError, services.case_close, actor=coordinator, case=case, **kw)
    assert (error.message, error.code) == (
        "3 action(s) not yet reported back on: chase the agencies first.",
        "unreported_actions",
    )
    done = discussed_case()
    services.case_close(actor=coordinator, case=done, **kw)
    error = refused(Conflict, services.case_close, actor=coordinator, case=done, **kw)
    assert error.message == "This case is already closed."


def test_closing_names_the_reassessments_level_when_another_is_given(
    discussed_case, coordinator, review
):
    case = discussed_case()
    with time_machine.travel(case.meeting.held_at + timedelta(hours=1), tick=False):
        review("high", victim=case.victim)
        error = refused(
            DomainError,
            services.case_close,
            actor=coordinator,
            case=case,
            level_after="medium",
            outcome="reduced",
        )
    assert (error.message, error.field) == (
        "The victim's DASH reviewed after the meeting is high: record that level.",
        "level_after",
    )


def test_an_outcome_against_the_levels_names_what_they_say(discussed_case, coordinator):
    case = discussed_case()
    MaracCase.objects.filter(pk=case.pk).update(level_before="high")
    error = refused(
        DomainError,
        services.case_close,
        actor=coordinator,
        case=case,
        level_after="medium",
        outcome="increased",
        note="  ",
    )
    assert (error.message, error.field) == (
        "The levels before the meeting and after the actions say reduced: say why the outcome is "
        "different.",
        "note",
    )


def test_closing_records_the_levels_who_when_audits_and_stops_the_clocks(
    discussed_case, coordinator, system
):
    case = discussed_case()
    MaracCase.objects.filter(pk=case.pk).update(level_before="high")
    with time_machine.travel(T0, tick=False):
        services.case_request_reassessment(actor=coordinator, case=case)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        closed = services.case_close(
            actor=coordinator,
            case=case,
            level_after="high",
            outcome="reduced",
            note="  Moved out of area.  ",
        )
    closed.refresh_from_db()
    assert (closed.status, closed.level_before, closed.level_after, closed.outcome) == (
        CaseStatus.CLOSED,
        "high",
        "high",
        "reduced",
    )
    assert (closed.outcome_note, closed.closed_at, closed.closed_by) == (
        "Moved out of area.",
        T0 + timedelta(days=1),
        coordinator,
    )
    (row,) = audit("marac.case.closed", case)
    assert (row.actor, row.kind) == (coordinator, "change")
    assert row.changes == {
        "status": ["discussed", "closed"],
        "level_after": ["", "high"],
        "outcome": ["", "reduced"],
        "outcome_note": ["", "Moved out of area."],
        "closed_at": [None, iso(T0 + timedelta(days=1))],
        "closed_by": [None, coordinator.pk],
    }
    clocks = deadlines(case)
    assert clocks[REASSESS_REQUEST_DEADLINE][1] is False
    assert clocks[REASSESS_CHASE_DEADLINE][1] is False
    _ = system


def test_closing_cancels_the_told_clock_and_records_the_level_found_before(
    discussed_case, coordinator, review, system
):
    case = discussed_case()
    with time_machine.travel(case.meeting.held_at - timedelta(days=1), tick=False):
        review("high", victim=case.victim)
    at = case.meeting.held_at + timedelta(hours=1)
    with time_machine.travel(at, tick=False):
        services.case_request_reassessment(actor=coordinator, case=case)
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        dash = review("medium", victim=case.victim)
        services.case_reassessment_link(actor=system, assessment_id=dash.pk)
        closed = services.case_close(
            actor=coordinator, case=case, level_after="medium", outcome="reduced"
        )
    assert (closed.level_before, closed.reassessment_id) == ("high", dash.pk)
    row = audit("marac.case.closed", case)[-1]
    assert row.changes["level_before"] == ["", "high"]
    assert "reassessment" not in row.changes  # linked already
    assert all(not pending for _, pending in deadlines(case).values())


def test_a_coordinator_who_belongs_to_an_agency_writes_as_the_police(
    make_user, victim, meeting, agency_health, agency_housing
):
    """Only a partner's referral, research and report carry their agency: a coordinator's are
    the police's even when their account names an agency (seconded from one)."""
    from dapolice.accounts.choices import Role

    seconded = make_user(Role.MARAC_COORDINATOR, agency=agency_health)
    case = services.case_refer(
        actor=seconded, victim=victim(), criteria=["visible_high"], reason="Escalating."
    )
    assert (case.source, case.referring_agency_id) == (Source.COORDINATOR, None)
    services.agenda_build(actor=seconded, meeting=meeting())
    entry = services.research_add(
        actor=seconded, case=case, known_on=timezone.localdate(), summary="Two calls."
    )
    assert entry.agency_id is None
    action = services.action_add(actor=seconded, case=case, data=_input(agency_housing))
    services.action_report(actor=seconded, action=action, kind="update", note="Chased.")
    assert Report.objects.get(action=action).agency_id is None


def test_only_the_victims_own_open_case_is_flagged(
    discussed_case, refer, coordinator, log_incident, system
):
    earlier = discussed_case()
    services.case_close(actor=coordinator, case=earlier, level_after="medium", outcome="unknown")
    someone_else = refer()  # open, and the latest referral of all
    incident = log_incident(victim=earlier.victim)
    (case,) = services.case_repeat_from_incident(actor=system, incident_id=incident.pk)
    assert (case.victim_id, case.source, case.previous_id) == (
        earlier.victim_id,
        "repeat",
        earlier.pk,
    )
    someone_else.refresh_from_db()
    assert someone_else.repeat_flagged_at is None


def test_another_cases_unreported_action_does_not_hold_the_request_or_the_closing(
    discussed_case, listed, add_action, agency_housing, coordinator
):
    case = discussed_case()
    add_action(listed(), agency_housing)  # another case's, not reported back on
    asked = services.case_request_reassessment(actor=coordinator, case=case)
    assert asked.reassessment_requested_at is not None
    closed = services.case_close(
        actor=coordinator, case=case, level_after="medium", outcome="unknown"
    )
    assert closed.status == CaseStatus.CLOSED


def test_a_meeting_without_a_venue_has_none(coordinator):
    with time_machine.travel(T0, tick=False):
        (m,) = services.meeting_schedule(actor=coordinator, first_at=T0 + timedelta(days=1))
    m.refresh_from_db()
    assert m.venue == ""


def test_a_referral_without_a_reason_keeps_none(coordinator, victim):
    case = services.case_refer(actor=coordinator, victim=victim(), criteria=[], source=Source.MASH)
    case.refresh_from_db()
    assert case.reason == ""

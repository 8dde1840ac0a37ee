"""The risk selectors called directly (found by ``make mutate MODULE=risk/selectors.py``: the
pages called them, so a dropped filter, a reversed order or a wrong audit row passed every
test). Visibility per role is in ``tests/test_visibility.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.http import Http404
from django.urls import reverse

from dapolice.alerts.models import Deadline
from dapolice.audit.models import AuditEvent
from incidents.models import Person
from risk import selectors, services
from risk.choices import REASSESS_DEADLINE
from risk.models import Assessment, Instrument, OfficerSupervisor
from tests.risk.conftest import complete_input, view_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    """A week after ``NOW``: incidents logged at ``NOW`` are in the past whatever today is."""
    with time_machine.travel(NOW + timedelta(days=7)):
        yield


def last_audit(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("pk")


@pytest.fixture
def dash(log_incident, attach, officer):
    """``dash(yes, at=NOW, victim=None, submit=True, **input)``: a DASH by ``officer`` on a new
    incident received at ``at``, submitted at ``at`` (or left a draft)."""

    def do(yes=0, *, at=NOW, victim=None, submit=True, actor=None, **kw):
        actor = actor or officer
        with time_machine.travel(at, tick=False):
            incident = attach(log_incident(victim=victim, received_at=at), actor)
            assessment = services.assessment_start(actor=actor, incident=incident)
            if submit:
                assessment = services.assessment_submit(
                    actor=actor, assessment=assessment, data=complete_input(yes, **kw)
                )
        return assessment

    return do


# --- Instruments ------------------------------------------------------------------------------


def test_instruments_offered_are_the_active_ones_in_order_and_by_audience():
    Instrument.objects.create(code="zzz", version="1", name="Z", order=0)
    Instrument.objects.create(code="aaa", version="2", name="A2", order=0, audience="partner")
    Instrument.objects.create(code="aaa", version="1", name="A1", order=0, audience="partner")
    Instrument.objects.create(code="000", version="1", name="Old", order=0, active=False)
    offered = [(i.code, i.version) for i in selectors.instruments_offered()]
    assert offered == [
        ("aaa", "1"),
        ("aaa", "2"),
        ("zzz", "1"),
        ("dash-2009", "2009.1"),
        ("safelives-ric", "2009.1"),
    ]
    partner = [(i.code, i.version) for i in selectors.instruments_offered(audience="partner")]
    assert partner == [("aaa", "1"), ("aaa", "2"), ("safelives-ric", "2009.1")]
    assert [i.code for i in selectors.instruments_offered(audience="police")] == [
        "zzz",
        "dash-2009",
    ]


def test_the_default_instrument_is_the_first_active_one_by_order_code_and_version():
    assert selectors.instrument_default().code == "dash-2009"
    Instrument.objects.create(code="zzz", version="1", name="Z", order=0)
    Instrument.objects.create(code="yyy", version="3", name="Y3", order=0)
    Instrument.objects.create(code="yyy", version="2", name="Y2", order=0)
    Instrument.objects.create(code="aaa", version="1", name="Old", order=0, active=False)
    default = selectors.instrument_default()
    assert (default.code, default.version) == ("yyy", "2")
    Instrument.objects.filter(order=0).update(active=False)
    Instrument.objects.filter(code="dash-2009").update(active=False)
    assert selectors.instrument_default().code == "safelives-ric"
    Instrument.objects.update(active=False)
    assert selectors.instrument_default() is None


def test_instrument_sections_in_order_with_their_questions_in_order():
    dash = Instrument.objects.get(code="dash-2009")
    sections = selectors.instrument_sections(dash)
    assert [s.order for s in sections] == [1, 2, 3, 4, 5, 6]
    assert [s.supplement for s in sections][-2:] == ["stalking", "honour"]
    orders = [q.order for s in sections for q in s.questions.all()]
    assert orders == sorted(orders)
    assert [q.key for q in sections[0].questions.all()][:2] == ["injured", "frightened"]


# --- Counts the rules need --------------------------------------------------------------------


def test_victim_incident_times_counts_the_window_inclusive_and_only_as_victim(
    log_incident, make_user
):
    victim = log_incident(received_at=NOW).people.get(role="victim").person
    year_before = datetime(2025, 11, 23, 14, 0, tzinfo=UTC)
    log_incident(victim=victim, received_at=year_before)  # the first moment: inside
    log_incident(victim=victim, received_at=year_before - timedelta(seconds=1))  # outside
    log_incident(victim=victim, received_at=NOW + timedelta(seconds=1))  # after: outside
    log_incident(suspect=victim, received_at=NOW - timedelta(days=1))  # not as victim
    times = selectors.victim_incident_times(victim_id=victim.pk, until=NOW, months=12)
    assert sorted(times) == [year_before, NOW]
    assert selectors.victim_incident_times(victim_id=victim.pk, until=NOW, months=1) == [NOW]


def test_the_victim_of_an_incident_is_its_victim_not_its_suspect(log_incident):
    incident = log_incident(suspect={"given_name": "Sam", "family_name": "Suspect"})
    victim = incident.people.get(role="victim").person
    assert selectors.victim_of_incident(incident) == victim
    incident.people.filter(role="victim").delete()
    assert selectors.victim_of_incident(incident) is None


# --- One assessment -----------------------------------------------------------------------------


def test_assessment_get_for_user_audits_the_read_unless_asked_not_to(start, officer, make_user):
    assessment = start()
    assert selectors.assessment_get_for_user(user=officer, pk=assessment.pk) == assessment
    read = last_audit("risk.assessment.read")
    assert (read.kind, read.subject_id, read.actor_id) == ("read", str(assessment.pk), officer.pk)
    before = AuditEvent.objects.count()
    got = selectors.assessment_get_for_user(user=officer, pk=assessment.pk, audit=False)
    assert got == assessment
    assert AuditEvent.objects.count() == before
    with pytest.raises(Http404):
        selectors.assessment_get_for_user(user=make_user("attending_officer"), pk=assessment.pk)
    assert selectors.assessment_detail(user=officer, pk=assessment.pk).assessment == assessment


def test_assessment_view_of_what_was_typed_over_what_is_stored(start, officer):
    assessment = start()
    data = complete_input(0)
    services.assessment_save(actor=officer, assessment=assessment, data=data)
    stored = Assessment.objects.get(pk=assessment.pk)
    view = selectors.assessment_view(stored, typed={"injured": ("yes", "bruised arm")})
    assert view.answers["injured"] == "yes"
    assert view.answers["frightened"] == "no"  # stored, not typed
    row = next(r for s in view.sections for r in s.rows if r.question.key == "injured")
    assert (row.value, row.notes) == ("yes", "bruised arm")
    assert view.score == 1
    assert view.questions[0].key == "injured"
    assert len(view.questions) == len(view.answers)
    plain = selectors.assessment_view(stored)
    assert (plain.answers["injured"], plain.score) == ("no", 0)
    assert selectors.assessment_view(stored, typed={}).answers == plain.answers


def test_assessment_view_unanswered_questions_are_blank(start):
    view = view_of(start())
    assert set(view.answers.values()) == {""}
    row = view.sections[0].rows[0]
    assert (row.value, row.notes) == ("", "")
    assert view.score == 0
    assert view.suggested == "standard"
    assert view.visible_high is False


def test_assessment_view_sections_say_why_a_supplement_opens(start, officer):
    assessment = start()
    view = view_of(assessment)
    main, stalking, honour = view.sections[0], view.sections[4], view.sections[5]
    assert (main.open, main.static_open, main.reason) == (True, True, "")
    assert (stalking.open, stalking.static_open) == (False, False)
    assert stalking.reason == (
        "Shown because of: a \u201cyes\u201d to question(s) 2 or 8; or 2 or more incidents in "
        "12 months (this victim: 1)."
    )
    assert stalking.trigger_keys == "frightened stalking"
    assert (stalking.trigger_flag, honour.trigger_flag) == ("", "honour_concern")
    assert (honour.trigger_keys, main.trigger_keys, main.trigger_flag) == ("", "", "")
    assert honour.open is False
    flagged = selectors.assessment_view(
        Assessment.objects.get(pk=assessment.pk), values={"honour_concern": True}
    )
    assert flagged.sections[5].open is True
    assert flagged.sections[5].static_open is False  # a flag, not the incident
    typed = selectors.assessment_view(
        Assessment.objects.get(pk=assessment.pk), typed={"frightened": ("yes", "")}
    )
    assert (typed.sections[4].open, typed.sections[4].static_open) == (True, False)


def test_assessment_view_of_a_repeat_victim_opens_stalking_whatever_the_answers(
    log_incident, attach, officer
):
    with time_machine.travel(NOW, tick=False):
        first = log_incident(received_at=NOW - timedelta(days=30))
        victim = first.people.get(role="victim").person
        incident = attach(log_incident(victim=victim, received_at=NOW), officer)
        assessment = services.assessment_start(actor=officer, incident=incident)
    view = view_of(assessment)
    assert view.incident_count == 2
    assert (view.sections[4].open, view.sections[4].static_open) == (True, True)


def test_assessment_view_of_a_family_incident_opens_honour_statically(start, officer):
    assessment = start()
    incident = assessment.incident  # its relationship opens the honour supplement
    type(incident).objects.filter(pk=incident.pk).update(relationship="family")
    view = view_of(assessment)
    assert (view.sections[5].open, view.sections[5].static_open) == (True, True)
    assert view.sections[5].reason == (
        "Shown because of: signs of so-called honour-based abuse; or abuse by a family member."
    )


def test_assessment_view_reviews_in_order_the_last_return_and_the_criteria(
    submitted, officer, supervisor
):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(15)
        services.assessment_review(
            actor=supervisor, assessment=assessment, decision="return", reason="first"
        )
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.assessment_submit(actor=officer, assessment=assessment, data=complete_input(15))
        services.assessment_review(
            actor=supervisor, assessment=assessment, decision="return", reason="second"
        )
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.assessment_submit(actor=officer, assessment=assessment, data=complete_input(15))
        services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    view = view_of(assessment)
    assert [r.reason for r in view.reviews] == ["first", "second", ""]
    assert view.last_return.reason == "second"
    assert view.visible_high is True
    assert view.suggested == "high"
    criteria = {c.code: c for c in view.criteria}
    assert criteria["visible_high"].met is True
    assert criteria["visible_high"].reason
    assert view.missing == []


def test_a_dash_never_returned_has_no_last_return(submitted):
    view = view_of(submitted(3))
    assert view.last_return is None
    assert view.criteria == []


# --- Lists ----------------------------------------------------------------------------------


def test_assessment_list_pages_newest_first_and_audits_the_ids(dash, officer, make_user):
    first = dash(1, at=NOW, submit=False)
    second = dash(1, at=NOW + timedelta(hours=1), submit=False)
    third = dash(1, at=NOW + timedelta(hours=2), submit=False)
    listed = selectors.assessment_list(user=officer)
    assert listed == [third, second, first]
    audit = last_audit("risk.assessment.listed")
    assert (audit.kind, audit.subject_type) == ("list", "risk.assessment")
    assert audit.object_ids == [str(third.pk), str(second.pk), str(first.pk)]
    assert selectors.assessment_list(user=officer, page=1, page_size=2) == [third, second]
    assert selectors.assessment_list(user=officer, page=2, page_size=2) == [first]
    assert selectors.assessment_list(user=officer, page=0, page_size=2) == [third, second]
    assert selectors.assessment_list(user=make_user("attending_officer")) == []


def test_incidents_to_assess_are_the_officers_incidents_without_a_dash(
    log_incident, attach, officer, make_user, dash
):
    older = attach(log_incident(received_at=NOW - timedelta(hours=2)), officer)
    newer = attach(log_incident(received_at=NOW - timedelta(hours=1)), officer)
    dash(3, at=NOW, submit=False)  # assessed: not listed
    log_incident(received_at=NOW)  # not attached: not listed
    other = make_user("attending_officer")
    attach(log_incident(received_at=NOW), other)  # another officer's
    assert selectors.incidents_to_assess(user=officer) == [newer, older]
    audit = last_audit("incidents.incident.listed")
    assert (audit.subject_type, audit.object_ids) == (
        "incidents.incident",
        [str(newer.pk), str(older.pk)],
    )
    assert selectors.incidents_to_assess(user=officer, limit=1) == [newer]


def test_review_queue_highest_level_first_oldest_first_with_the_wait(
    dash, supervisor, make_user, log_incident, attach, settings
):
    settings.DAPOLICE_DASH_REVIEW_HOURS = 24
    standard = dash(3, at=NOW - timedelta(hours=30))
    high_new = dash(15, at=NOW - timedelta(hours=1))
    medium = dash(11, at=NOW - timedelta(hours=24))
    high_old = dash(15, at=NOW - timedelta(hours=2))
    dash(3, at=NOW, submit=False)  # a draft: not queued
    reviewed = dash(3, at=NOW - timedelta(hours=40))
    with time_machine.travel(NOW, tick=False):
        services.assessment_review(actor=supervisor, assessment=reviewed, decision="agree")
    sergeant = make_user("supervisor")
    own = dash(3, at=NOW - timedelta(hours=3), actor=sergeant)
    with time_machine.travel(NOW, tick=False):
        rows = selectors.review_queue(user=supervisor)
    assert [r.assessment for r in rows] == [high_old, high_new, medium, standard, own]
    assert [r.waited for r in rows] == [timedelta(hours=h) for h in (2, 1, 24, 30, 3)]
    assert [r.overdue for r in rows] == [False, False, False, True, False]  # 24h is on time
    assert [r.own for r in rows] == [False] * 5
    audit = last_audit("risk.assessment.queue_viewed")
    assert audit.object_ids == [str(r.assessment.pk) for r in rows]
    assert [r.own for r in selectors.review_queue(user=sergeant, now=NOW)] == [False] * 4 + [True]
    assert selectors.review_queue(user=make_user("attending_officer"), now=NOW) == []


def test_victim_history_oldest_first_without_drafts(dash, supervisor, officer, log_incident):
    third = dash(3, at=NOW - timedelta(days=30), submit=False)  # started first, submitted last
    victim = third.victim
    first = dash(15, at=NOW - timedelta(days=20), victim=victim)
    with time_machine.travel(NOW - timedelta(days=19), tick=False):
        services.assessment_review(actor=supervisor, assessment=first, decision="agree")
    second = dash(11, at=NOW - timedelta(days=10), victim=victim)
    with time_machine.travel(NOW - timedelta(days=5), tick=False):
        services.assessment_submit(actor=officer, assessment=third, data=complete_input(3))
    dash(3, at=NOW, victim=victim, submit=False)  # a draft: not in the history
    dash(3, at=NOW - timedelta(days=5))  # another victim
    history = selectors.victim_history(user=supervisor, person_pk=victim.pk)
    assert history.person == Person.objects.get(pk=victim.pk)
    assert [p.assessment for p in history.points] == [first, second, third]
    assert [p.level for p in history.points] == ["high", "medium", "standard"]
    assert [len(p.reviews) for p in history.points] == [1, 0, 0]
    assert history.points[0].reviews[0].reviewer == supervisor
    assert [m["n"] for m in history.chart["marks"]] == [1, 2, 3]
    audit = last_audit("risk.assessment.history_viewed")
    assert audit.object_ids == [str(first.pk), str(second.pk), str(third.pk)]
    mine = selectors.victim_history(user=officer, person_pk=victim.pk)
    assert [p.assessment for p in mine.points] == [first, second, third]


def _point(score, at, level="high"):
    return selectors.HistoryPoint(
        assessment=SimpleNamespace(score=score, submitted_at=at), level=level, reviews=[]
    )


def test_history_chart_geometry():
    day = timedelta(days=1)
    points = [
        _point(0, NOW),
        _point(30, None),  # never submitted: not drawn
        _point(9, NOW + day, level=""),
        _point(27, NOW + 7 * day, level="medium"),
    ]
    chart = selectors.history_chart(points)
    frame = {k: chart[k] for k in ("width", "height", "left", "right", "top", "bottom")}
    assert frame == {
        "width": 640,
        "height": 240,
        "left": 48,
        "right": 624,
        "top": 16,
        "bottom": 200,
    }
    assert chart["marks"] == [
        {"x": 48.0, "y": 200.0, "score": 0, "level": "high", "label": "High", "date": NOW, "n": 1},
        {"x": 130.3, "y": 138.7, "score": 9, "level": "", "label": "", "date": NOW + day, "n": 2},
        {
            "x": 624.0,
            "y": 16.0,
            "score": 27,
            "level": "medium",
            "label": "Medium",
            "date": NOW + 7 * day,
            "n": 3,
        },
    ]
    assert chart["path"] == "M48.0,200.0 L130.3,138.7 L624.0,16.0"
    assert chart["bands"] == [
        {"y": 104.6, "label": "high", "min": 14},
        {"y": 131.9, "label": "medium", "min": 10},
    ]
    assert chart["ticks"] == [
        {"y": 200.0, "v": 0},
        {"y": 138.7, "v": 9},
        {"y": 77.3, "v": 18},
        {"y": 16.0, "v": 27},
    ]


def test_history_chart_of_one_mark_centres_it_and_caps_the_score():
    chart = selectors.history_chart([_point(30, NOW)])
    assert [(m["x"], m["y"]) for m in chart["marks"]] == [(336.0, 16.0)]
    assert chart["path"] == "M336.0,16.0"
    same_time = selectors.history_chart([_point(1, NOW), _point(2, NOW)])
    assert [m["x"] for m in same_time["marks"]] == [48.0, 48.0]
    empty = selectors.history_chart([])
    assert (empty["marks"], empty["path"]) == ([], "")


def test_history_chart_bands_follow_the_settings(settings):
    settings.DAPOLICE_DASH_HIGH_MIN = 18
    settings.DAPOLICE_DASH_MEDIUM_MIN = 9
    bands = selectors.history_chart([])["bands"]
    assert [(b["y"], b["min"]) for b in bands] == [(77.3, 18), (138.7, 9)]


# --- Alerts for the deadline handlers -----------------------------------------------------------


def test_review_overdue_alert_goes_to_the_officers_supervisor_else_every_supervisor(
    submitted, officer, supervisor, settings
):
    settings.DAPOLICE_DASH_REVIEW_HOURS = 6
    assessment = submitted(4)
    [spec] = selectors.review_overdue_alerts(assessment_id=assessment.pk)
    reference = assessment.incident.reference
    assert spec.title == f"DASH on {reference} not reviewed within 6 hours"
    assert spec.link == reverse("risk:dash-review", args=[assessment.pk])
    assert (spec.recipient_id, spec.recipient_role, spec.severity) == (
        None,
        "supervisor",
        "warning",
    )
    OfficerSupervisor.objects.create(officer=officer, supervisor=supervisor)
    assert selectors.supervisor_of(officer.pk) == supervisor.pk
    [spec] = selectors.review_overdue_alerts(assessment_id=assessment.pk)
    assert (spec.recipient_id, spec.recipient_role, spec.severity) == (
        supervisor.pk,
        "",
        "warning",
    )
    assert spec.title == f"DASH on {reference} not reviewed within 6 hours"
    assert spec.link == reverse("risk:dash-review", args=[assessment.pk])
    assert selectors.review_overdue_alerts(assessment_id=assessment.pk + 1000) == []
    assert selectors.rework_overdue_alerts(assessment_id=assessment.pk) == []
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    assert selectors.review_overdue_alerts(assessment_id=assessment.pk) == []


def test_rework_overdue_alert_goes_to_the_author(submitted, officer, supervisor):
    assessment = submitted(4)
    services.assessment_review(
        actor=supervisor, assessment=assessment, decision="return", reason="More detail"
    )
    [spec] = selectors.rework_overdue_alerts(assessment_id=assessment.pk)
    assert spec.title == f"Returned DASH on {assessment.incident.reference} not yet resubmitted"
    assert spec.link == reverse("risk:dash-edit", args=[assessment.pk])
    assert (spec.recipient_id, spec.recipient_role, spec.severity) == (officer.pk, "", "warning")
    assert selectors.review_overdue_alerts(assessment_id=assessment.pk) == []
    assert selectors.rework_overdue_alerts(assessment_id=assessment.pk + 1000) == []


def test_reassessment_due_at_reads_only_the_victims_pending_reassessment(
    submitted, supervisor, log_incident
):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(11)
        services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    victim = assessment.victim
    due = NOW + timedelta(days=28)
    assert selectors.reassessment_due_at(person_id=victim.pk) == due
    other = log_incident(victim={"given_name": "Oth", "family_name": "Er"})
    other_id = other.people.get(role="victim").person_id
    assert selectors.reassessment_due_at(person_id=other_id) is None
    # The same id on another record type, and another kind on this person: not read.
    Deadline.objects.create(
        kind=REASSESS_DEADLINE, subject_type="risk.assessment", subject_id=str(other_id), due_at=due
    )
    Deadline.objects.create(
        kind="other.kind", subject_type="incidents.person", subject_id=str(other_id), due_at=due
    )
    assert selectors.reassessment_due_at(person_id=other_id) is None
    Deadline.objects.filter(kind=REASSESS_DEADLINE, subject_id=str(victim.pk)).update(fired_at=NOW)
    assert selectors.reassessment_due_at(person_id=victim.pk) is None
    Deadline.objects.filter(kind=REASSESS_DEADLINE, subject_id=str(victim.pk)).update(
        fired_at=None, cancelled_at=NOW
    )
    assert selectors.reassessment_due_at(person_id=victim.pk) is None


# --- Found by the mutation run of 30 November -------------------------------------------------


def test_victim_history_shows_only_the_assessments_the_user_may_see(
    dash, officer, make_user, log_incident, attach
):
    """Another officer who attended the same victim sees the victim's history, but only their
    own DASH in it (the victim is visible to both; each officer's DASH is not)."""
    mine = dash(15, at=NOW - timedelta(days=10))
    victim = mine.victim
    other = make_user("attending_officer")
    theirs = dash(3, at=NOW - timedelta(days=5), victim=victim, actor=other)
    assert [
        p.assessment for p in selectors.victim_history(user=other, person_pk=victim.pk).points
    ] == [theirs]
    both = selectors.victim_history(user=officer, person_pk=victim.pk).points
    assert mine in [p.assessment for p in both]
    assert theirs not in [p.assessment for p in both]


def test_victim_history_reads_what_the_page_shows_without_more_queries(
    dash, supervisor, django_assert_num_queries
):
    """The history page shows each DASH's incident, victim, instrument, author, reviewer and
    who set the level, and each review's reviewer: all loaded by the selector's four queries."""
    first = dash(15, at=NOW - timedelta(days=20))
    victim = first.victim
    with time_machine.travel(NOW - timedelta(days=19), tick=False):
        services.assessment_review(actor=supervisor, assessment=first, decision="agree")
    dash(11, at=NOW - timedelta(days=10), victim=victim)
    history = selectors.victim_history(user=supervisor, person_pk=victim.pk)
    with django_assert_num_queries(0):
        for point in history.points:
            a = point.assessment
            assert a.incident.reference
            assert a.victim.pk == victim.pk
            assert a.instrument.code
            assert a.author.username
            assert a.level_set_by is None or a.level_set_by.username
            assert a.reviewed_by is None or a.reviewed_by.username
            assert all(r.reviewer.username for r in point.reviews)
    assert history.points[0].assessment.reviewed_by == supervisor


def test_assessment_list_orders_by_last_change_not_by_creation(dash, officer):
    older = dash(1, at=NOW, submit=False)
    newer = dash(1, at=NOW + timedelta(hours=1), submit=False)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.assessment_submit(actor=officer, assessment=older, data=complete_input(1))
    assert selectors.assessment_list(user=officer) == [older, newer]


def test_incidents_to_assess_order_by_when_received_not_when_logged(log_incident, attach, officer):
    logged_first = attach(log_incident(received_at=NOW - timedelta(hours=1)), officer)
    logged_late = attach(log_incident(received_at=NOW - timedelta(hours=5)), officer)
    assert selectors.incidents_to_assess(user=officer) == [logged_first, logged_late]


# --- Found by the mutation run of 30 November (``make mutate MODULE=risk/selectors.py``) --------


def test_assessment_get_for_user_reads_the_one_asked_for_among_several(dash, officer):
    first, second = dash(1, at=NOW, submit=False), dash(2, at=NOW, submit=False)
    assert selectors.assessment_get_for_user(user=officer, pk=first.pk) == first
    assert selectors.assessment_get_for_user(user=officer, pk=second.pk) == second


def test_assessment_list_pages_dashes_changed_at_one_moment_newest_id_first(dash, officer):
    made = [dash(1, at=NOW, submit=False) for _ in range(3)]  # one updated_at for all three
    expected = sorted(made, key=lambda a: -a.pk)
    assert selectors.assessment_list(user=officer) == expected
    pages = [selectors.assessment_list(user=officer, page=p, page_size=1) for p in (1, 2, 3)]
    assert pages == [[a] for a in expected]


def test_incidents_to_assess_received_at_one_moment_newest_id_first(log_incident, attach, officer):
    made = [attach(log_incident(received_at=NOW), officer) for _ in range(3)]
    expected = sorted(made, key=lambda i: -i.pk)
    assert selectors.incidents_to_assess(user=officer) == expected
    assert selectors.incidents_to_assess(user=officer, limit=1) == expected[:1]


# --- The survivors of the full run of 30 November (issue 15), each pinned ---------------------


def test_instrument_sections_reads_every_sections_questions_in_one_more_query(
    django_assert_num_queries,
):
    """Two queries whatever the instrument's length: the sections, then all their questions."""
    dash = Instrument.objects.get(code="dash-2009")
    with django_assert_num_queries(2):
        sections = selectors.instrument_sections(dash)
        keys = [q.key for s in sections for q in s.questions.all()]
    assert len(sections) == 6
    assert len(keys) == dash.questions.count()


def test_the_victim_of_an_incident_comes_with_their_record_in_one_query(
    log_incident, django_assert_num_queries
):
    incident = log_incident(victim={"given_name": "Vera", "family_name": "Victimson"})
    with django_assert_num_queries(1):
        victim = selectors.victim_of_incident(incident)
        assert (victim.given_name, victim.family_name) == ("Vera", "Victimson")


def test_assessment_view_lists_the_standalone_signs_answered_yes(start, officer):
    assessment = start()
    yes = ["strangulation", "injured", "stalking"]
    services.assessment_save(actor=officer, assessment=assessment, data=complete_input(yes))
    view = view_of(assessment)
    assert [q.key for q in view.standalone] == ["stalking", "strangulation"]  # question order
    assert view.score == 3


def test_assessment_view_gives_no_reason_for_the_main_checklist_whatever_its_trigger(start):
    """The main checklist is always shown: no "Shown because of" line, even on an instrument
    whose main section was given a trigger."""
    assessment = start()
    main = assessment.instrument.sections.filter(supplement="")
    assert main.update(trigger={"flag": "honour_concern", "relationship": ["family"]}) == 4
    view = view_of(assessment)
    assert [(v.section.supplement, v.open, v.reason) for v in view.sections[:4]] == [
        ("", True, "")
    ] * 4
    assert view.sections[5].reason  # a supplement still says why


def test_assessment_view_reads_the_reviewers_with_the_reviews(
    submitted, supervisor, django_assert_num_queries
):
    """Five queries whatever the reviews: each review's reviewer comes with it."""
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(15)
        services.assessment_review(
            actor=supervisor, assessment=assessment, decision="return", reason="More detail"
        )
    stored = Assessment.objects.select_related("incident", "instrument").get(pk=assessment.pk)
    with django_assert_num_queries(5):
        view = selectors.assessment_view(stored)
        assert [r.reviewer.username for r in view.reviews] == [supervisor.username]


def _submitted_twice_at_one_moment(dash, officer, supervisor, *, victim=None):
    """Two DASHs submitted at ``NOW``; the first then returned and resubmitted, still at
    ``NOW``: its row is written after the second's, its id stays the lower."""
    first = dash(15, at=NOW, victim=victim)
    second = dash(15, at=NOW, victim=victim or first.victim)
    with time_machine.travel(NOW, tick=False):
        services.assessment_review(
            actor=supervisor, assessment=first, decision="return", reason="More detail"
        )
        services.assessment_submit(actor=officer, assessment=first, data=complete_input(15))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.submitted_at == second.submitted_at == NOW
    assert first.pk < second.pk
    return first, second


def test_review_queue_of_one_level_submitted_at_one_moment_lowest_id_first(
    dash, officer, supervisor
):
    first, second = _submitted_twice_at_one_moment(dash, officer, supervisor)
    rows = selectors.review_queue(user=supervisor, now=NOW + timedelta(hours=1))
    assert [r.assessment for r in rows] == [first, second]


def test_victim_history_of_dashes_submitted_at_one_moment_lowest_id_first(
    dash, officer, supervisor
):
    first, second = _submitted_twice_at_one_moment(dash, officer, supervisor)
    history = selectors.victim_history(user=supervisor, person_pk=first.victim_id)
    assert [p.assessment for p in history.points] == [first, second]
    assert [m["n"] for m in history.chart["marks"]] == [1, 2]


def test_the_overdue_alerts_read_the_dash_with_its_incident_in_one_query(
    submitted, supervisor, django_assert_num_queries
):
    """A deadline sweep fires many: the review alert reads the DASH and its incident at once,
    then the officer's supervisor; the rework alert the DASH and its incident only."""
    assessment = submitted(4)
    with django_assert_num_queries(2):
        [spec] = selectors.review_overdue_alerts(assessment_id=assessment.pk)
    assert assessment.incident.reference in spec.title
    services.assessment_review(
        actor=supervisor, assessment=assessment, decision="return", reason="More detail"
    )
    with django_assert_num_queries(1):
        [spec] = selectors.rework_overdue_alerts(assessment_id=assessment.pk)
    assert assessment.incident.reference in spec.title

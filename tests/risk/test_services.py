"""The DASH services: starting, saving, submitting, reviewing; clocks, markers, audit, signals."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, close_old_connections, connection, transaction

from dapolice.alerts.models import Alert, Deadline
from dapolice.alerts.services import deadlines_fire_due
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import MarkerKind
from incidents.models import Incident, Marker
from risk import services, signals
from risk.choices import REVIEW_DEADLINE, REWORK_DEADLINE, Status
from risk.models import Assessment, AssessmentReview, Instrument, OfficerSupervisor
from tests.races import after_first
from tests.risk.conftest import complete_input, view_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

# --- Starting -----------------------------------------------------------------------------------


def test_an_officer_can_only_assess_incidents_they_are_attached_to(
    log_incident, officer, make_user, attach
):
    incident = log_incident()
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=officer, incident=incident)
    other = make_user("attending_officer")
    incident = attach(incident, other)
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=officer, incident=incident)
    assert services.assessment_start(actor=other, incident=incident).author == other


def test_arriving_officer_is_attached_and_can_assess(log_incident, officer):
    from incidents.services import incident_record_arrival

    incident = incident_record_arrival(actor=officer, incident=log_incident())
    assert services.assessment_start(actor=officer, incident=incident).victim is not None


def test_assessment_records_the_instrument_version_it_used(start):
    ric = Instrument.objects.get(code="safelives-ric")
    assessment = start(instrument=ric)
    assert (assessment.instrument.code, assessment.instrument.version) == (
        "safelives-ric",
        "2009.1",
    )
    assert start() == assessment  # starting again returns the one in progress


def test_a_retired_instrument_is_not_offered(start):
    dash = Instrument.objects.get(code="dash-2009")
    dash.active = False
    dash.save()
    with pytest.raises(DomainError):
        start(instrument=dash)


def test_another_officers_dash_in_progress_is_a_conflict(start, attended, make_user, attach):
    start()
    colleague = make_user("attending_officer")
    incident = attach(attended, colleague)  # a second officer sent to the same incident
    with pytest.raises(Conflict):
        services.assessment_start(actor=colleague, incident=incident)


# --- Saving and submitting ---------------------------------------------------------------------


def test_draft_keeps_partial_answers_and_scores_them(start, officer):
    assessment = start()
    data = complete_input(3)
    partial = type(data).from_mapping({}, answers=dict(list(data.answers.items())[:5]))
    services.assessment_save(actor=officer, assessment=assessment, data=partial)
    assessment.refresh_from_db()
    assert assessment.status == Status.DRAFT
    assert assessment.score == 3
    assert assessment.answers.count() == 5


def test_incomplete_dash_cannot_be_submitted_and_says_what_is_missing(start, officer):
    assessment = start()
    data = complete_input(2)
    answers = dict(data.answers)
    del answers["strangulation"]  # one question unanswered
    partial = type(data).from_mapping({"officer_level": "standard"}, answers=answers)
    with pytest.raises(services.Incomplete) as refused:
        services.assessment_submit(actor=officer, assessment=assessment, data=partial)
    fields = [m.field for m in refused.value.items]
    assert fields == ["q_strangulation", "children_present", "safety_plan"]
    assert "18" in refused.value.items[0].message  # the question's number
    assert Assessment.objects.get(pk=assessment.pk).status == Status.DRAFT


def test_an_open_supplement_must_be_answered_before_submission(start, officer):
    assessment = start()
    data = complete_input(["frightened"], level="standard", supplements=False)
    with pytest.raises(services.Incomplete) as refused:
        services.assessment_submit(actor=officer, assessment=assessment, data=data)
    assert [m.field for m in refused.value.items][:2] == ["q_s_frightened", "q_s_previous_abuse"]
    answers = dict(data.answers) | {f"s_{k}": ("no", "") for k in (
        "frightened", "previous_abuse", "property", "visits", "following", "threats",
        "third_parties", "violent_others", "helpers", "substances", "record")}  # fmt: skip
    submitted = services.assessment_submit(
        actor=officer,
        assessment=assessment,
        data=replace(data, answers=answers),
    )
    assert submitted.status == Status.SUBMITTED


def test_rationale_required_when_the_level_differs_from_the_suggestion(start, officer):
    assessment = start()
    with pytest.raises(services.Incomplete) as refused:
        services.assessment_submit(
            actor=officer, assessment=assessment, data=complete_input(5, level="high")
        )
    assert [m.field for m in refused.value.items] == ["officer_rationale"]
    done = services.assessment_submit(
        actor=officer,
        assessment=assessment,
        data=complete_input(5, level="high", rationale="Strangled her last week (not reported)"),
    )
    assert done.officer_level == "high"
    assert done.level_set_by == officer


def test_officer_can_never_lower_a_visible_high_risk_dash(start, officer):
    assessment = start()
    with pytest.raises(services.Incomplete) as refused:
        services.assessment_submit(
            actor=officer,
            assessment=assessment,
            data=complete_input(14, level="medium", rationale="She says he has calmed down"),
        )
    assert [m.field for m in refused.value.items] == ["officer_level"]


def test_submission_sets_the_incident_level_the_review_clock_and_the_marker(
    submitted, officer, attended
):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(15, safety_marker=True)
    assert assessment.status == Status.SUBMITTED
    assert assessment.score == 15
    assert assessment.suggested_level == "high"
    assert Incident.objects.get(pk=attended.pk).risk_level == "high"
    deadline = Deadline.objects.get(kind=REVIEW_DEADLINE, subject_id=str(assessment.pk))
    assert deadline.due_at == NOW + timedelta(hours=24)
    marker = Marker.objects.get(pk=assessment.marker_id)
    assert marker.kind == MarkerKind.TREAT_AS_EMERGENCY
    assert (
        marker.address_id == assessment.victim.address_id
        or marker.person_id == assessment.victim_id
    )
    with pytest.raises(Conflict):  # submitted: no longer editable
        services.assessment_save(actor=officer, assessment=assessment, data=complete_input(1))


def test_only_the_author_changes_a_dash(start, make_user):
    assessment = start()
    other = make_user("attending_officer")
    with pytest.raises(PermissionDenied):
        services.assessment_save(actor=other, assessment=assessment, data=complete_input(1))


# --- Review -------------------------------------------------------------------------------------


def test_supervisor_agrees_and_the_signal_goes_out_on_commit(
    submitted, supervisor, attended, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    signals.assessment_reviewed.connect(listener)
    try:
        assessment = submitted(15, children_present="yes", children_details="Amy, 6, Mill School")
        with django_capture_on_commit_callbacks(execute=True):
            reviewed = services.assessment_review(
                actor=supervisor, assessment=assessment, decision="agree"
            )
    finally:
        signals.assessment_reviewed.disconnect(listener)
    assert reviewed.status == Status.REVIEWED
    assert reviewed.final_level == "high"
    assert reviewed.reviewed_by == supervisor
    assert Incident.objects.get(pk=attended.pk).risk_level == "high"
    assert received == [
        {
            "signal": signals.assessment_reviewed,
            "assessment_id": reviewed.pk,
            "incident_id": attended.pk,
            "victim_id": reviewed.victim_id,
            "level": "high",
            "decision": "agree",
            "children_present": True,
            "marac_criteria": ["visible_high"],
        }
    ]
    deadline = Deadline.objects.get(kind=REVIEW_DEADLINE, subject_id=str(reviewed.pk))
    assert deadline.cancelled_at is not None


def test_supervisor_cannot_review_own_dash(make_user, log_incident, attach, supervisor):
    sergeant = make_user("supervisor")
    incident = attach(log_incident(), sergeant)
    assessment = services.assessment_start(actor=sergeant, incident=incident)
    services.assessment_submit(actor=sergeant, assessment=assessment, data=complete_input(3))
    with pytest.raises(PermissionDenied):
        services.assessment_review(actor=sergeant, assessment=assessment, decision="agree")
    assert Assessment.objects.get(pk=assessment.pk).status == Status.SUBMITTED
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(
            status=Status.REVIEWED, reviewed_by=sergeant, final_level="standard"
        )
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")


def test_an_officer_cannot_review(submitted, officer, make_user):
    assessment = submitted(3)
    for actor in (officer, make_user("mash"), make_user("attending_officer")):
        with pytest.raises(PermissionDenied):
            services.assessment_review(actor=actor, assessment=assessment, decision="agree")


def test_change_needs_a_reason_and_never_lowers_visible_high(submitted, supervisor):
    assessment = submitted(15)
    with pytest.raises(DomainError) as refused:
        services.assessment_review(
            actor=supervisor, assessment=assessment, decision="change", level="medium"
        )
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        services.assessment_review(
            actor=supervisor,
            assessment=assessment,
            decision="change",
            level="medium",
            reason="Victim has moved away",
        )
    assert "never lower" in refused.value.message
    assert Assessment.objects.get(pk=assessment.pk).status == Status.SUBMITTED


def test_supervisor_lowers_a_medium_with_a_reason(submitted, supervisor, attended):
    assessment = submitted(11)
    reviewed = services.assessment_review(
        actor=supervisor,
        assessment=assessment,
        decision="change",
        level="standard",
        reason="Several answers were about a former partner, not this suspect",
    )
    assert reviewed.final_level == "standard"
    assert Incident.objects.get(pk=attended.pk).risk_level == "standard"
    review = AssessmentReview.objects.get(assessment=assessment)
    assert (review.level_before, review.level, review.decision) == ("medium", "standard", "change")


def test_second_supervisor_is_told_it_was_already_decided(submitted, supervisor, supervisor2):
    assessment = submitted(15)
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    with pytest.raises(Conflict) as refused:
        services.assessment_review(
            actor=supervisor2,
            assessment=assessment,
            decision="change",
            level="high",
            reason="late",
        )
    assert str(supervisor) in refused.value.message
    assert "already reviewed" in refused.value.message
    assert AssessmentReview.objects.filter(assessment=assessment).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_supervisors_deciding_at_once_one_wins_nothing_overwritten(
    submitted, supervisor, supervisor2
):
    """Two transactions: the first holds the row lock; the second waits on it, then finds the
    DASH decided and is refused. Nothing of the second is written."""
    assessment = submitted(12)
    first_done = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                services.assessment_review(
                    actor=supervisor, assessment=assessment, decision="agree"
                )
                first_done.set()
                release.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            services.assessment_review(
                actor=supervisor2,
                assessment=assessment,
                decision="change",
                level="high",
                reason="Threats to kill disclosed",
            )
            outcome["second"] = "written"
        except Conflict as exc:
            outcome["second"] = exc.message
        finally:
            connection.close()

    t1 = threading.Thread(target=first)
    t1.start()
    assert first_done.wait(10)
    t2 = threading.Thread(target=second)
    t2.start()
    # Wait (bounded) until the second transaction is blocked on the row lock.
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        threading.Event().wait(0.05)
    release.set()
    t1.join(10)
    t2.join(10)
    close_old_connections()
    assert "already reviewed" in str(outcome["second"])
    final = Assessment.objects.get(pk=assessment.pk)
    assert (final.final_level, final.reviewed_by_id) == ("medium", supervisor.pk)
    assert list(AssessmentReview.objects.values_list("reviewer_id", flat=True)) == [supervisor.pk]


# --- Returned for more work, and the clocks -----------------------------------------------------


def test_returned_dash_goes_back_to_the_officer_and_restarts_the_clock(
    submitted, officer, supervisor
):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(6)
    later = NOW + timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        with pytest.raises(DomainError):  # what is missing must be said
            services.assessment_review(actor=supervisor, assessment=assessment, decision="return")
        services.assessment_review(
            actor=supervisor,
            assessment=assessment,
            decision="return",
            reason="Safety plan too thin: where will she stay tonight?",
        )
    returned = Assessment.objects.get(pk=assessment.pk)
    assert returned.status == Status.RETURNED
    review = Deadline.objects.get(kind=REVIEW_DEADLINE, subject_id=str(assessment.pk))
    assert review.cancelled_at is not None
    rework = Deadline.objects.get(kind=REWORK_DEADLINE, subject_id=str(assessment.pk))
    assert rework.due_at == later + timedelta(hours=24)
    assert view_of(returned).last_return.reason.startswith("Safety plan too thin")

    resubmit_at = later + timedelta(hours=2)
    with time_machine.travel(resubmit_at, tick=False):
        again = services.assessment_submit(
            actor=officer,
            assessment=returned,
            data=complete_input(
                6, safety_plan="Staying at her mother's, 12 Oak Lane; alarm fitted"
            ),
        )
    assert again.status == Status.SUBMITTED
    review.refresh_from_db()
    rework.refresh_from_db()
    assert review.due_at == resubmit_at + timedelta(hours=24)  # the clock restarted
    assert review.cancelled_at is None
    assert rework.cancelled_at is not None
    reviewed = services.assessment_review(actor=supervisor, assessment=again, decision="agree")
    assert reviewed.final_level == "standard"
    assert [r.decision for r in reviewed.reviews.all()] == ["return", "agree"]


def test_unreviewed_dash_alerts_the_officers_supervisor_after_the_target(
    submitted, officer, supervisor, settings
):
    settings.DAPOLICE_DASH_REVIEW_HOURS = 24
    OfficerSupervisor.objects.create(officer=officer, supervisor=supervisor)
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(4)
    assert deadlines_fire_due(now=NOW + timedelta(hours=23, minutes=59)) == 0
    assert deadlines_fire_due(now=NOW + timedelta(hours=24)) == 1
    alert = Alert.objects.get(kind=REVIEW_DEADLINE)
    assert alert.recipient_id == supervisor.pk
    assert assessment.incident.reference in alert.title
    assert str(assessment.victim) not in alert.title  # references only, never names
    assert deadlines_fire_due(now=NOW + timedelta(hours=30)) == 0  # fires once


def test_without_a_linked_supervisor_every_supervisor_is_alerted(submitted):
    with time_machine.travel(NOW, tick=False):
        submitted(4)
    deadlines_fire_due(now=NOW + timedelta(hours=25))
    alert = Alert.objects.get(kind=REVIEW_DEADLINE)
    assert (alert.recipient_id, alert.recipient_role) == (None, "supervisor")


def test_a_reviewed_dash_raises_no_alert(submitted, supervisor):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(4)
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    assert deadlines_fire_due(now=NOW + timedelta(days=3)) == 0
    assert not Alert.objects.exists()


def test_returned_dash_not_resubmitted_alerts_its_officer(submitted, officer, supervisor):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(4)
        services.assessment_review(
            actor=supervisor, assessment=assessment, decision="return", reason="Add the evidence"
        )
    deadlines_fire_due(now=NOW + timedelta(hours=24))
    alert = Alert.objects.get(kind=REWORK_DEADLINE)
    assert alert.recipient_id == officer.pk


# --- Audit ----------------------------------------------------------------------------------


def test_every_change_is_audited(submitted, supervisor):
    assessment = submitted(15)
    services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    actions = list(
        AuditEvent.objects.filter(subject_type="risk.assessment", subject_id=str(assessment.pk))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "risk.assessment.started",
        "risk.assessment.saved",
        "risk.assessment.submitted",
        "risk.assessment.agreed",
    ]
    saved = AuditEvent.objects.get(action="risk.assessment.saved", subject_id=str(assessment.pk))
    assert saved.changes["answers"][1]["injured"] == ["", "yes"]


# --- Two starts of one DASH racing (found by make mutate, 30 November) --------------------------


def _started_just_after_the_lookup(actor, incident):
    """While the block runs, this start's look-up of a DASH in progress returns (none), then
    ``actor`` starts one for the same victim, as a second start committing between this one's
    look-up and its insert would (one connection, deterministic). Yields what receives the
    other start's DASH."""
    return after_first(
        "SELECT",
        'FROM "risk_assessment"',
        action=lambda: services.assessment_start(actor=actor, incident=incident),
    )


def test_a_double_tap_losing_the_race_carries_on_the_dash_that_won(attended, officer):
    """The one-open-DASH-per-victim constraint refuses this start's insert; the officer gets the
    DASH the other tap opened, not an error, and it was started (and audited) once."""
    with _started_just_after_the_lookup(officer, attended) as landed:
        got = services.assessment_start(actor=officer, incident=attended)
    assert (got.pk, got.author_id, got.status) == (landed.value.pk, officer.pk, Status.DRAFT)
    assert list(Assessment.objects.values_list("pk", flat=True)) == [got.pk]
    started = AuditEvent.objects.filter(action="risk.assessment.started")
    assert [(e.actor_id, e.subject_id) for e in started] == [(officer.pk, str(got.pk))]


def test_a_colleague_starting_at_the_same_moment_is_a_conflict(
    attended, officer, make_user, attach
):
    """Two officers at one incident start its DASH at once: the one who loses the race is told
    whose DASH is in progress, as when it is found by the look-up; nothing of theirs is kept."""
    colleague = make_user("attending_officer")
    incident = attach(attended, colleague)
    with (
        _started_just_after_the_lookup(officer, incident) as landed,
        pytest.raises(Conflict) as err,
    ):
        services.assessment_start(actor=colleague, incident=incident)
    assert err.value.message == f"{officer} already has a DASH in progress for this victim."
    assert list(Assessment.objects.values_list("pk", "author")) == [(landed.value.pk, officer.pk)]
    started = AuditEvent.objects.filter(action="risk.assessment.started")
    assert [e.actor_id for e in started] == [officer.pk]

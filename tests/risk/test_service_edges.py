"""DASH services at edges no other test reached (found by ``make mutate MODULE=risk/services.py``,
a partial run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import MarkerKind
from incidents.models import Marker
from risk import services
from risk.inputs import AssessmentInput
from risk.models import Assessment, AssessmentReview, Instrument
from tests.risk.conftest import complete_input

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_the_safety_marker_goes_on_the_victims_address_when_there_is_one(
    log_incident, attach, officer, submitted
):
    """A call from the victim's home is then treated as an emergency whoever makes it."""
    with time_machine.travel(NOW, tick=False):
        incident = attach(
            log_incident(
                victim={"given_name": "Ada", "family_name": "Home", "lives_at_location": True}
            ),
            officer,
        )
        assessment = submitted(15, incident=incident, safety_marker=True)
    victim = assessment.victim
    assert victim.address_id is not None
    marker = Marker.objects.get(pk=assessment.marker_id)
    assert marker.kind == MarkerKind.TREAT_AS_EMERGENCY
    assert (marker.address_id, marker.person_id) == (victim.address_id, None)
    assert marker.note == f"Safety plan of DASH #{assessment.pk}"
    actors = set(AuditEvent.objects.for_subject(marker).values_list("actor_id", flat=True))
    assert actors == {officer.pk}


# --- Found by the full run of ``make mutate MODULE=risk/services.py`` ----------------------------


def test_the_safety_marker_goes_on_the_victim_without_an_address(submitted):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(15, safety_marker=True)
    assert assessment.victim.address_id is None
    marker = Marker.objects.get(pk=assessment.marker_id)
    assert (marker.kind, marker.person_id, marker.address_id) == (
        MarkerKind.TREAT_AS_EMERGENCY,
        assessment.victim_id,
        None,
    )
    assert marker.note == f"Safety plan of DASH #{assessment.pk}"


def test_each_refusal_says_what_and_which_field(
    log_incident, officer, start, submitted, supervisor, make_user, attach
):
    with pytest.raises(PermissionDenied) as denied:
        services.assessment_start(actor=officer, incident=log_incident())
    assert str(denied.value) == "You can only assess incidents you are attached to."
    draft = start()
    with pytest.raises(services.Incomplete) as incomplete:
        services.assessment_submit(actor=officer, assessment=draft)
    assert incomplete.value.code == "incomplete"
    assert incomplete.value.message == (
        f"This DASH cannot be submitted yet: {len(incomplete.value.items)} thing(s) to complete."
    )
    assessment = submitted(11, incident=attach(log_incident(), officer))
    with pytest.raises(PermissionDenied) as denied:
        services.assessment_review(actor=officer, assessment=assessment, decision="agree")
    assert str(denied.value) == "Only a supervisor can review a DASH."

    def refusal(**kw):
        with pytest.raises(DomainError) as refused:
            services.assessment_review(actor=supervisor, assessment=assessment, **kw)
        return refused.value.message, refused.value.field

    assert refusal(decision="maybe") == ("Choose agree, change or return.", "decision")
    assert refusal(decision="change", level="", reason="x") == ("Choose the new level.", "level")
    assert refusal(decision="change", level="medium", reason="x") == (
        "That is the officer's level: choose \u201cagree\u201d, or another level.",
        "level",
    )
    assert refusal(decision="change", level="high", reason="  ") == (
        "Give the reason for changing the level.",
        "reason",
    )
    assert refusal(decision="return", reason=" ") == (
        "Say what is missing or needs more work.",
        "reason",
    )
    high = submitted(15, incident=attach(log_incident(), officer))
    with pytest.raises(DomainError) as refused:
        services.assessment_review(
            actor=supervisor, assessment=high, decision="change", level="medium", reason="moved"
        )
    assert refused.value.field == "level"

    sergeant = make_user("supervisor")
    own = services.assessment_start(actor=sergeant, incident=attach(log_incident(), sergeant))
    services.assessment_submit(actor=sergeant, assessment=own, data=complete_input(3))
    with pytest.raises(PermissionDenied) as denied:
        services.assessment_review(actor=sergeant, assessment=own, decision="agree")
    assert str(denied.value) == "You completed this DASH, so another supervisor must review it."


def test_a_decision_already_taken_says_who_when_and_what(submitted, start, supervisor, supervisor2):
    with time_machine.travel(NOW, tick=False):
        returned = submitted(15)
        services.assessment_review(
            actor=supervisor, assessment=returned, decision="return", reason="Thin plan"
        )
    with pytest.raises(Conflict) as refused:
        services.assessment_review(actor=supervisor2, assessment=returned, decision="agree")
    assert refused.value.code == "already_decided"
    assert refused.value.message == (
        f"{supervisor} already returned this DASH to the officer at 14:00, 23 Nov 2026. Your "
        "decision was not recorded."
    )


def test_a_review_already_agreed_names_its_level(
    log_incident, attach, officer, submitted, supervisor, supervisor2, start
):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(15)
        services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    with pytest.raises(Conflict) as refused:
        services.assessment_review(actor=supervisor2, assessment=assessment, decision="agree")
    assert refused.value.code == "already_decided"
    assert refused.value.message == (
        f"{supervisor} already reviewed this DASH at 14:00, 23 Nov 2026 (level high). Your "
        "decision was not recorded."
    )
    draft = start(incident=attach(log_incident(), officer))
    with pytest.raises(Conflict) as refused:
        services.assessment_review(actor=supervisor, assessment=draft, decision="agree")
    assert (refused.value.code, refused.value.message) == (
        "already_decided",
        "This DASH is no longer awaiting review.",
    )


def test_each_review_is_audited_with_its_reason_and_recorded(
    log_incident, attach, officer, submitted, supervisor
):
    with time_machine.travel(NOW, tick=False):
        returned = submitted(11)
        services.assessment_review(
            actor=supervisor, assessment=returned, decision="return", reason="Thin plan"
        )
        changed = submitted(11, incident=attach(log_incident(), officer))
        services.assessment_review(
            actor=supervisor,
            assessment=changed,
            decision="change",
            level="high",
            reason="Threats to kill",
        )
        agreed = submitted(11, incident=attach(log_incident(), officer))
        services.assessment_review(actor=supervisor, assessment=agreed, decision="agree")

    def event(action, assessment):
        return AuditEvent.objects.get(action=action, subject_id=str(assessment.pk))

    back = event("risk.assessment.returned", returned)
    assert (back.subject_type, back.reason, back.changes) == (
        "risk.assessment",
        "Thin plan",
        {"status": ["submitted", "returned"]},
    )
    review = AssessmentReview.objects.get(assessment=returned)
    assert (review.level_before, review.reason, review.decision) == (
        "medium",
        "Thin plan",
        "return",
    )
    up = event("risk.assessment.level_changed", changed)
    assert up.reason == "Threats to kill"
    assert up.changes["final_level"] == ["", "high"]
    assert up.changes["status"] == ["submitted", "reviewed"]
    assert AssessmentReview.objects.get(assessment=changed).reason == "Threats to kill"
    agree = event("risk.assessment.agreed", agreed)
    assert agree.changes["final_level"] == ["", "medium"]
    row = Assessment.objects.get(pk=agreed.pk)
    assert (row.reviewed_at, row.reviewed_by_id) == (NOW, supervisor.pk)


def test_marac_criteria_ask_for_the_victims_own_last_referral(
    log_incident, attach, officer, supervisor, submitted
):
    from risk import signals

    asked = []

    def provider(person_id, at):
        asked.append(person_id)
        return NOW - timedelta(days=30)

    signals.marac_referral_provider(provider)
    try:
        with time_machine.travel(NOW, tick=False):
            assessment = submitted(3)
            services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    finally:
        signals.marac_referral_provider_remove(provider)
    assert asked == [assessment.victim_id]


def test_closing_a_follow_up_says_why_not(submitted, supervisor):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(3)
    victim = assessment.victim
    with pytest.raises(DomainError) as refused:
        services.reassessment_close(actor=supervisor, victim=victim, reason=" ")
    assert (refused.value.message, refused.value.field) == (
        "Say why the follow-up is closed.",
        "reason",
    )
    with pytest.raises(Conflict) as refused:
        services.reassessment_close(actor=supervisor, victim=victim, reason="Moved away")
    assert refused.value.message == "This victim has no re-assessment pending."


def test_closing_a_follow_up_is_audited_as_pending_to_closed(submitted, supervisor):
    with time_machine.travel(NOW, tick=False):
        assessment = submitted(11)
        services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
        services.reassessment_close(actor=supervisor, victim=assessment.victim, reason="Moved away")
    closed = AuditEvent.objects.get(action="risk.reassessment.closed")
    assert closed.changes == {"reassessment": ["pending", "closed"]}
    assert closed.reason == "Moved away"


def _typed(answers=None, **values):
    return AssessmentInput.from_mapping(values, answers=answers or {})


def test_saving_refuses_what_does_not_fit_and_says_where(start, officer, make_user):
    assessment = start()

    def refusal(data):
        with pytest.raises(DomainError) as refused:
            services.assessment_save(actor=officer, assessment=assessment, data=data)
        return refused.value.message, refused.value.field

    assert refusal(_typed({"nope": ("yes", "")})) == (
        "An answer does not belong to this checklist.",
        "answers",
    )
    assert refusal(_typed({"injured": ("maybe", "")})) == (
        "Answer yes, no, not known or victim declined.",
        "q_injured",
    )
    assert refusal(_typed(officer_level="extreme")) == (
        "Choose high, medium or standard.",
        "officer_level",
    )
    assert refusal(_typed(children_present="perhaps")) == (
        "Say whether children were present.",
        "children_present",
    )
    for fine in ("", "yes", "no", "not_known"):
        services.assessment_save(
            actor=officer, assessment=assessment, data=_typed(children_present=fine)
        )
    for level in ("high", "medium", "standard", ""):
        services.assessment_save(
            actor=officer, assessment=assessment, data=_typed(officer_level=level)
        )
    with pytest.raises(PermissionDenied) as denied:
        services.assessment_save(
            actor=make_user("attending_officer"), assessment=assessment, data=_typed()
        )
    assert str(denied.value) == "Only the officer who started this DASH can change it."


def test_a_submitted_dash_is_not_editable_with_its_code(submitted, officer):
    assessment = submitted(3)
    with pytest.raises(Conflict) as refused:
        services.assessment_save(actor=officer, assessment=assessment, data=_typed())
    assert (refused.value.code, refused.value.message) == (
        "not_editable",
        "This DASH has been submitted and can no longer be changed.",
    )


def test_saving_stores_trimmed_answers_and_notes_and_audits_the_changes(start, officer):
    assessment = start()
    services.assessment_save(
        actor=officer,
        assessment=assessment,
        data=_typed(
            {
                "injured": ("yes", "  bruised arm  "),
                "frightened": ("", "  asked twice  "),  # notes only: kept
                "isolated": ("", "   "),  # nothing: no row
                "depressed": ("no", ""),
            },
            safety_plan="  Sister's tonight  ",
            officer_level="standard",
        ),
    )
    rows = {a.question.key: (a.value, a.notes) for a in assessment.answers.all()}
    assert rows == {
        "injured": ("yes", "bruised arm"),
        "frightened": ("", "asked twice"),
        "depressed": ("no", ""),
    }
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.safety_plan, saved.score, saved.suggested_level) == (
        "Sister's tonight",
        1,
        "standard",
    )
    first = AuditEvent.objects.filter(action="risk.assessment.saved").latest("pk")
    assert first.changes["answers"] == [
        None,
        {"injured": ["", "yes"], "frightened": ["", ""], "depressed": ["", "no"]},
    ]
    assert first.changes["safety_plan"] == ["", "Sister's tonight"]
    assert first.changes["score"] == [0, 1]
    assert first.actor_id == officer.pk
    assert first.subject_id == str(assessment.pk)

    services.assessment_save(
        actor=officer,
        assessment=assessment,
        data=_typed(
            {
                "injured": ("no", "bruised arm"),  # the value changes
                "depressed": ("no", " low mood "),  # only the notes change
                "frightened": ("", "asked twice"),  # nothing changes
            },
            safety_plan="Sister's tonight",
            officer_level="standard",
        ),
    )
    rows = {a.question.key: (a.value, a.notes) for a in assessment.answers.all()}
    assert rows["injured"] == ("no", "bruised arm")
    assert rows["depressed"] == ("no", "low mood")
    second = AuditEvent.objects.filter(action="risk.assessment.saved").latest("pk")
    assert second.changes == {"answers": [None, {"injured": ["yes", "no"]}], "score": [1, 0]}
    assert Assessment.objects.get(pk=assessment.pk).score == 0
    count = AuditEvent.objects.filter(action="risk.assessment.saved").count()
    services.assessment_save(
        actor=officer,
        assessment=assessment,
        data=_typed(
            {"injured": ("no", "bruised arm")},
            safety_plan="Sister's tonight",
            officer_level="standard",
        ),
    )
    assert AuditEvent.objects.filter(action="risk.assessment.saved").count() == count


def test_starting_refuses_a_person_who_is_not_the_victim_or_a_retired_checklist(
    log_incident, attach, officer, start, make_user
):
    incident = attach(
        log_incident(suspect={"given_name": "Sam", "family_name": "Suspect"}), officer
    )
    suspect = incident.people.get(role="suspect").person
    with pytest.raises(DomainError) as refused:
        services.assessment_start(actor=officer, incident=incident, victim=suspect)
    assert (refused.value.message, refused.value.field) == (
        "This person is not a victim in this incident.",
        "victim",
    )
    incident.people.filter(role="victim").delete()
    with pytest.raises(DomainError) as refused:
        services.assessment_start(actor=officer, incident=incident)
    assert refused.value.field == "victim"
    Instrument.objects.update(active=False)
    with pytest.raises(DomainError) as refused:
        start()
    assert (refused.value.message, refused.value.field) == (
        "Choose a risk checklist in use.",
        "instrument",
    )


def test_starting_records_the_instrument_and_names_the_colleague_in_progress(
    start, attended, officer, make_user, attach
):
    assessment = start()
    started = AuditEvent.objects.get(
        action="risk.assessment.started", subject_id=str(assessment.pk)
    )
    assert started.actor_id == officer.pk
    assert set(started.changes) == {"incident", "victim", "instrument", "status"}
    assert (assessment.author, assessment.status) == (officer, "draft")
    assert assessment.instrument.code == "dash-2009"
    colleague = make_user("attending_officer")
    attach(attended, colleague)
    with pytest.raises(Conflict) as refused:
        services.assessment_start(actor=colleague, incident=attended)
    assert refused.value.message == f"{officer} already has a DASH in progress for this victim."


def test_a_marker_only_when_asked_for_and_only_once(
    submitted, officer, supervisor, log_incident, attach
):
    plain = submitted(3)
    assert plain.marker_id is None
    assert not Marker.objects.exists()
    with time_machine.travel(NOW, tick=False):
        asked = submitted(15, safety_marker=True, incident=attach(log_incident(), officer))
    services.assessment_review(
        actor=supervisor, assessment=asked, decision="return", reason="Add the evidence"
    )
    again = services.assessment_submit(
        actor=officer, assessment=asked, data=complete_input(15, safety_marker=True)
    )
    assert again.marker_id == asked.marker_id
    assert Marker.objects.count() == 1


def test_submission_is_audited_with_the_officers_rationale(submitted, officer):
    assessment = submitted(5, level="high", rationale="Strangled her last week")
    event = AuditEvent.objects.get(
        action="risk.assessment.submitted", subject_id=str(assessment.pk)
    )
    assert event.reason == "Strangled her last week"
    assert event.changes["status"] == ["draft", "submitted"]
    assert event.changes["level_set_by"][1] == officer.pk


def test_starting_again_after_a_review_or_on_another_incident_is_a_new_dash(
    submitted, supervisor, officer, log_incident, attach
):
    reviewed = submitted(3)
    services.assessment_review(actor=supervisor, assessment=reviewed, decision="agree")
    again = services.assessment_start(actor=officer, incident=reviewed.incident)
    assert again.pk != reviewed.pk
    assert again.status == "draft"
    other = attach(log_incident(victim=reviewed.victim), officer)
    elsewhere = services.assessment_start(actor=officer, incident=other)
    assert elsewhere.pk not in (again.pk, reviewed.pk)
    assert elsewhere.incident_id == other.pk


def test_the_victim_must_be_the_victim_of_this_incident(log_incident, attach, officer):
    elsewhere = log_incident(victim={"given_name": "Ann", "family_name": "Other"})
    victim_elsewhere = elsewhere.people.get(role="victim").person
    incident = attach(log_incident(), officer)
    with pytest.raises(DomainError) as refused:
        services.assessment_start(actor=officer, incident=incident, victim=victim_elsewhere)
    assert refused.value.field == "victim"


def test_the_reviewed_signal_is_sent_by_the_assessment_model(
    submitted, supervisor, django_capture_on_commit_callbacks
):
    from risk import signals

    received = []

    def listener(sender, **kwargs):
        received.append(kwargs["assessment_id"])

    signals.assessment_reviewed.connect(listener, sender=Assessment)
    try:
        assessment = submitted(3)
        with django_capture_on_commit_callbacks(execute=True):
            services.assessment_review(actor=supervisor, assessment=assessment, decision="agree")
    finally:
        signals.assessment_reviewed.disconnect(listener, sender=Assessment)
    assert received == [assessment.pk]

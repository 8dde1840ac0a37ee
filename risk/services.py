"""Every write of the risk app: ``assessment_<verb>(*, actor, ...)``.

Each service locks what it changes, checks its precondition (``DomainError`` for a refused
change, ``Conflict`` when someone else already changed it, ``PermissionDenied`` for who may not),
changes, and writes the audit row in the same transaction. The review deadline is a ``Deadline``
row set and cancelled in that transaction too; the ``assessment_reviewed`` signal goes out on
commit. The rules themselves are in ``risk.rules``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dapolice import access
from dapolice.alerts.services import deadline_cancel, deadline_set, deadlines_set
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError
from incidents.choices import MarkerKind, PersonRole
from incidents.models import Incident, IncidentPerson, Person
from incidents.services import incident_set_risk_level, marker_add
from risk import rules, selectors, signals
from risk.choices import (
    EDITABLE,
    REASSESS_DEADLINE,
    REVIEW_DEADLINE,
    REWORK_DEADLINE,
    Answer,
    Decision,
    Level,
    Status,
)
from risk.inputs import ASSESSMENT_FIELDS, AssessmentInput
from risk.models import Assessment, AssessmentAnswer, AssessmentReview, Instrument


class Incomplete(DomainError):
    """A DASH cannot be submitted yet; ``items`` lists what is missing (``rules.Missing``)."""

    def __init__(self, items: list[rules.Missing]):
        super().__init__(
            _("This DASH cannot be submitted yet: %(n)d thing(s) to complete.") % {"n": len(items)},
            code="incomplete",
        )
        self.items = items


def _denied(message: str) -> PermissionDenied:
    return PermissionDenied(message)


# --- Starting and completing -------------------------------------------------------------------


def assessment_start(
    *,
    actor: Any,
    incident: Incident,
    victim: Person | None = None,
    instrument: Instrument | None = None,
) -> Assessment:
    """Open a draft DASH for the victim of an incident the officer is attached to.

    Starting again while one is in progress returns that one (a second tap, a retry on a poor
    connection); one in progress by another officer is a ``Conflict``.
    """
    if not access.check(actor, "risk.dash.start", incident):
        raise _denied(_("You can only assess incidents you are attached to."))
    if victim is None:
        victim = selectors.victim_of_incident(incident)
    if (
        victim is None
        or not IncidentPerson.objects.filter(
            incident=incident, person=victim, role=PersonRole.VICTIM
        ).exists()
    ):
        raise DomainError(_("This person is not a victim in this incident."), field="victim")
    instrument = instrument or selectors.instrument_default()
    if instrument is None or not instrument.active:
        raise DomainError(_("Choose a risk checklist in use."), field="instrument")
    existing = _open_assessment(incident=incident, victim=victim)
    if existing is not None:
        return _in_progress(actor, existing)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                incident=incident, victim=victim, instrument=instrument, author=actor
            )
            record_create(
                actor=actor,
                action="risk.assessment.started",
                subject=assessment,
                fields=["incident", "victim", "instrument", "status"],
            )
    except IntegrityError:
        # A double tap, or a colleague starting at the same moment, raced; the constraint let
        # one through, which is then treated as if it had been found above.
        existing = _open_assessment(incident=incident, victim=victim)
        if existing is None:
            raise
        return _in_progress(actor, existing)
    return assessment


def _in_progress(actor: Any, existing: Assessment) -> Assessment:
    """The DASH already in progress for this victim: the officer's own is carried on; another
    officer's is a ``Conflict``."""
    if existing.author_id != actor.pk:
        raise Conflict(
            _("%(who)s already has a DASH in progress for this victim.") % {"who": existing.author}
        )
    return existing


def _open_assessment(*, incident: Incident, victim: Person) -> Assessment | None:
    return (
        Assessment.objects.filter(incident=incident, victim=victim)
        .exclude(status=Status.REVIEWED)
        .select_related("author")
        .first()
    )


def _lock_editable(actor: Any, assessment: Assessment) -> Assessment:
    if not access.check(actor, "risk.dash.edit", assessment):
        raise _denied(_("Only the officer who started this DASH can change it."))
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("incident", "instrument")
        .get(pk=assessment.pk)
    )
    if locked.status not in EDITABLE:
        raise Conflict(
            _("This DASH has been submitted and can no longer be changed."), code="not_editable"
        )
    return locked


def assessment_save(*, actor: Any, assessment: Assessment, data: AssessmentInput) -> Assessment:
    """Save what the officer typed, complete or not (a draft, or the autosave)."""
    with transaction.atomic():
        locked = _lock_editable(actor, assessment)
        _apply(actor=actor, assessment=locked, data=data)
    return locked


def _apply(*, actor: Any, assessment: Assessment, data: AssessmentInput) -> None:
    questions = {q.key: q for q in assessment.instrument.questions.all()}
    unknown = set(data.answers) - set(questions)
    if unknown:
        raise DomainError(_("An answer does not belong to this checklist."), field="answers")
    for key, (value, _notes) in data.answers.items():
        if value not in Answer.values:
            raise DomainError(_("Answer yes, no, not known or victim declined."), field=f"q_{key}")
    if data.officer_level and data.officer_level not in Level.values:
        raise DomainError(_("Choose high, medium or standard."), field="officer_level")
    if data.children_present not in ("", "yes", "no", "not_known"):
        raise DomainError(_("Say whether children were present."), field="children_present")

    before = snapshot(assessment, [*ASSESSMENT_FIELDS, "score", "suggested_level"])
    stored = {a.question_id: a for a in assessment.answers.all()}
    changed_answers: dict[str, list[str]] = {}
    to_create, to_update = [], []
    for key, (value, notes) in data.answers.items():
        q = questions[key]
        row = stored.get(q.pk)
        if row is None:
            if value or notes.strip():
                to_create.append(
                    AssessmentAnswer(
                        assessment=assessment, question=q, value=value, notes=notes.strip()
                    )
                )
                changed_answers[key] = ["", value]
        elif row.value != value or row.notes != notes.strip():
            if row.value != value:
                changed_answers[key] = [row.value, value]
            row.value, row.notes = value, notes.strip()
            to_update.append(row)
    AssessmentAnswer.objects.bulk_create(to_create)
    AssessmentAnswer.objects.bulk_update(to_update, ["value", "notes"])

    for name in ASSESSMENT_FIELDS:
        value = getattr(data, name)
        setattr(assessment, name, value.strip() if isinstance(value, str) else value)
    answers = {a.question.key: a.value for a in assessment.answers.select_related("question")}
    assessment.score = rules.count_yes(questions.values(), answers)
    assessment.suggested_level = rules.suggested_level(assessment.score)
    assessment.save()
    changes = diff(before, snapshot(assessment, [*ASSESSMENT_FIELDS, "score", "suggested_level"]))
    if changed_answers:
        changes["answers"] = [None, changed_answers]
    if changes:
        record_change(
            actor=actor, action="risk.assessment.saved", subject=assessment, changes=changes
        )


def assessment_submit(
    *, actor: Any, assessment: Assessment, data: AssessmentInput | None = None
) -> Assessment:
    """Submit a complete DASH for supervisor review.

    Refused with the list of what is missing (``Incomplete``). On submission: the officer's
    level is recorded as theirs, the incident shows it, a "treat as emergency" marker asked for
    in the safety plan is placed (on the victim's address, else on the victim), and the review
    clock starts (``DAPOLICE_DASH_REVIEW_HOURS``; a resubmission after a return restarts it).
    """
    with transaction.atomic():
        locked = _lock_editable(actor, assessment)
        if data is not None:
            _apply(actor=actor, assessment=locked, data=data)
        view = selectors.assessment_view(locked)
        if view.missing:
            raise Incomplete(view.missing)
        now = timezone.now()
        fields = ["status", "submitted_at", "review_due_at", "level_set_by", "officer_level"]
        before = snapshot(locked, fields)
        locked.status = Status.SUBMITTED
        locked.submitted_at = now
        locked.review_due_at = now + timedelta(hours=settings.DAPOLICE_DASH_REVIEW_HOURS)
        locked.level_set_by = actor
        if locked.safety_marker and locked.marker_id is None:
            locked.marker = _emergency_marker(actor=actor, assessment=locked)
        locked.save()
        record_change(
            actor=actor,
            action="risk.assessment.submitted",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=locked.officer_rationale,
        )
        deadline_cancel(kind=REWORK_DEADLINE, subject=locked)
        deadline_set(kind=REVIEW_DEADLINE, subject=locked, due_at=locked.review_due_at)
        incident_set_risk_level(actor=actor, incident=locked.incident, level=locked.officer_level)
    return locked


def _emergency_marker(*, actor: Any, assessment: Assessment) -> Any:
    victim = Person.objects.select_related("address").get(pk=assessment.victim_id)
    if victim.address is not None:
        return marker_add(
            actor=actor,
            kind=MarkerKind.TREAT_AS_EMERGENCY,
            address=victim.address,
            note=_("Safety plan of DASH #%(pk)d") % {"pk": assessment.pk},
        )
    return marker_add(
        actor=actor,
        kind=MarkerKind.TREAT_AS_EMERGENCY,
        person=victim,
        note=_("Safety plan of DASH #%(pk)d") % {"pk": assessment.pk},
    )


# --- Supervisor review -------------------------------------------------------------------------


def _already_decided(locked: Assessment) -> Conflict:
    last = locked.reviews.select_related("reviewer").order_by("-decided_at", "-pk").first()
    if last is None:
        return Conflict(_("This DASH is no longer awaiting review."), code="already_decided")
    when = date_format(timezone.localtime(last.decided_at), "H:i, j M Y")
    if last.decision == Decision.RETURN:
        message = _(
            "%(who)s already returned this DASH to the officer at %(when)s. Your decision was "
            "not recorded."
        )
    else:
        message = _(
            "%(who)s already reviewed this DASH at %(when)s (level %(level)s). Your decision "
            "was not recorded."
        )
    return Conflict(
        message
        % {
            "who": last.reviewer,
            "when": when,
            "level": Level(last.level).label.lower() if last.level else "-",
        },
        code="already_decided",
    )


def assessment_review(
    *, actor: Any, assessment: Assessment, decision: str, level: str = "", reason: str = ""
) -> Assessment:
    """A supervisor's decision: agree the officer's level, change it with a reason, or return
    the DASH to the officer saying what is missing.

    Never the author (``PermissionDenied``); only a DASH still awaiting review: the row is
    locked and its status checked, so of two supervisors deciding at once the second gets a
    ``Conflict`` saying who decided, and nothing of theirs is written. Agreeing or changing sets
    the incident's level (``incident_set_risk_level``), records the MARAC criteria, stops the
    review clock and sends ``risk.signals.assessment_reviewed`` on commit. Returning stops the
    review clock and starts the officer's rework clock.
    """
    if not access.check(actor, "risk.dash.review"):
        raise _denied(_("Only a supervisor can review a DASH."))
    if decision not in Decision.values:
        raise DomainError(_("Choose agree, change or return."), field="decision")
    reason = reason.strip()
    with transaction.atomic():
        locked = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("incident", "instrument", "author")
            .get(pk=assessment.pk)
        )
        if not access.check(actor, "risk.dash.review", locked):
            raise _denied(_("You completed this DASH, so another supervisor must review it."))
        if locked.status != Status.SUBMITTED:
            raise _already_decided(locked)
        now = timezone.now()
        if decision == Decision.RETURN:
            return _return(actor=actor, locked=locked, reason=reason, now=now)
        if decision == Decision.AGREE:
            level = locked.officer_level
        else:
            if level not in Level.values:
                raise DomainError(_("Choose the new level."), field="level")
            if level == locked.officer_level:
                raise DomainError(
                    _("That is the officer's level: choose \u201cagree\u201d, or another level."),
                    field="level",
                )
            if not reason:
                raise DomainError(_("Give the reason for changing the level."), field="reason")
        problem = rules.level_problem(score=locked.score, level=level, rationale=reason or "-")
        if problem is not None:
            raise DomainError(problem[1], field="level")
        fields = ["status", "final_level", "reviewed_by", "reviewed_at", "marac_criteria"]
        before = snapshot(locked, fields)
        locked.status = Status.REVIEWED
        locked.final_level = level
        locked.reviewed_by = actor
        locked.reviewed_at = now
        locked.marac_criteria = [c.as_dict() for c in marac_criteria_for(locked)]
        locked.save()
        AssessmentReview.objects.create(
            assessment=locked,
            reviewer=actor,
            decision=decision,
            level_before=locked.officer_level,
            level=level,
            reason=reason,
            decided_at=now,
        )
        record_change(
            actor=actor,
            action="risk.assessment.agreed"
            if decision == Decision.AGREE
            else "risk.assessment.level_changed",
            subject=locked,
            changes=diff(before, snapshot(locked, fields)),
            reason=reason,
        )
        deadline_cancel(kind=REVIEW_DEADLINE, subject=locked)
        deadlines_set(subject=locked.victim, due={REASSESS_DEADLINE: rules.reassess_at(level, now)})
        incident_set_risk_level(actor=actor, incident=locked.incident, level=level)
        met = [c["code"] for c in locked.marac_criteria if c["met"]]
        payload = {
            "assessment_id": locked.pk,
            "incident_id": locked.incident_id,
            "victim_id": locked.victim_id,
            "level": level,
            "decision": decision,
            "children_present": locked.children_present == "yes",
            "marac_criteria": met,
        }
        transaction.on_commit(lambda: signals.assessment_reviewed.send(Assessment, **payload))
    return locked


def _return(*, actor: Any, locked: Assessment, reason: str, now: Any) -> Assessment:
    if not reason:
        raise DomainError(_("Say what is missing or needs more work."), field="reason")
    before = snapshot(locked, ["status"])
    locked.status = Status.RETURNED
    locked.save(update_fields=["status", "updated_at"])
    AssessmentReview.objects.create(
        assessment=locked,
        reviewer=actor,
        decision=Decision.RETURN,
        level_before=locked.officer_level,
        reason=reason,
        decided_at=now,
    )
    record_change(
        actor=actor,
        action="risk.assessment.returned",
        subject=locked,
        changes=diff(before, snapshot(locked, ["status"])),
        reason=reason,
    )
    deadline_cancel(kind=REVIEW_DEADLINE, subject=locked)
    deadline_set(
        kind=REWORK_DEADLINE,
        subject=locked,
        due_at=now + timedelta(hours=settings.DAPOLICE_DASH_REWORK_HOURS),
    )
    return locked


def marac_criteria_for(assessment: Assessment) -> list[rules.CriterionResult]:
    """The MARAC criteria of ``assessment`` as its level stands, as of its incident."""
    incident_at = assessment.incident.received_at
    months = max(settings.DAPOLICE_MARAC_ESCALATION_MONTHS, settings.DAPOLICE_MARAC_REPEAT_MONTHS)
    return rules.marac_criteria(
        score=assessment.score,
        level=assessment.level,
        incident_at=incident_at,
        victim_incident_times=selectors.victim_incident_times(
            victim_id=assessment.victim_id, until=incident_at, months=months
        ),
        last_referral_at=signals.last_marac_referral(assessment.victim_id, incident_at),
    )


def reassessment_close(*, actor: Any, victim: Person, reason: str) -> bool:
    """Close a victim's medium-risk follow-up: the recurring re-assessment (recommendation 7)
    stops. Audited with the reason; True if a pending re-assessment was cancelled. A later
    medium-risk DASH of the victim starts a new one."""
    access.require(actor, "risk.reassessment.close", victim)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the follow-up is closed."), field="reason")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=victim.pk)
        cancelled = deadline_cancel(kind=REASSESS_DEADLINE, subject=locked)
        if not cancelled:
            raise Conflict(_("This victim has no re-assessment pending."))
        record_change(
            actor=actor,
            action="risk.reassessment.closed",
            subject=locked,
            changes={"reassessment": ["pending", "closed"]},
            reason=reason,
        )
    return cancelled

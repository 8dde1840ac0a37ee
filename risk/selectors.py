"""Every read of risk assessments: visibility applied, and the read audited.

Lists (the officer's assessments, the review queue, a victim's history) run a constant number of
queries whatever their length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.choices import Role
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.audit.services import record_list, record_read
from incidents.choices import PersonRole
from incidents.models import Incident, IncidentPerson, Person
from incidents.selectors import incident_ids_attached_to, months_before, person_get_for_user
from risk import rules
from risk.choices import LEVEL_RANK, Level, Status, Supplement
from risk.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentReview,
    Instrument,
    OfficerSupervisor,
    Question,
    Section,
)

PAGE_SIZE = 50

# --- Instruments ------------------------------------------------------------------------------


def instruments_offered(*, audience: str | None = None) -> list[Instrument]:
    qs = Instrument.objects.filter(active=True)
    if audience:
        qs = qs.filter(audience=audience)
    return list(qs.order_by("order", "code", "version"))


def instrument_default() -> Instrument | None:
    return Instrument.objects.filter(active=True).order_by("order", "code", "version").first()


def instrument_sections(instrument: Instrument) -> list[Section]:
    """The sections with their questions (two queries)."""
    return list(
        instrument.sections.order_by("order").prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("order"))
        )
    )


# --- Counts the rules need --------------------------------------------------------------------


def victim_incident_times(*, victim_id: int, until: datetime, months: int) -> list[datetime]:
    """When the DA incidents with ``victim_id`` as victim were received, in the ``months`` up to
    ``until`` (inclusive at both ends). Counts only, nothing shown: not audited."""
    since = months_before(until, months)
    rows = list(
        IncidentPerson.objects.filter(
            person_id=victim_id,
            role=PersonRole.VICTIM,
            received_at__gte=since,
            received_at__lte=until,
        )
        .values_list("incident_id", "received_at")
        .distinct()
    )
    return [received for _incident, received in rows]


def victim_of_incident(incident: Incident) -> Person | None:
    row = (
        IncidentPerson.objects.filter(incident=incident, role=PersonRole.VICTIM)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return row.person if row else None


# --- One assessment -----------------------------------------------------------------------------


def _base() -> Any:
    return Assessment.objects.select_related(
        "incident", "victim", "instrument", "author", "reviewed_by", "level_set_by"
    )


def assessment_get_for_user(*, user: Any, pk: int, audit: bool = True) -> Assessment:
    """One assessment the user may see (404 otherwise, the same as "does not exist")."""
    assessment = get_object_or_404(
        _base().filter(pk__in=Assessment.objects.visible_to(user)), pk=pk
    )
    if audit:
        record_read(actor=user, action="risk.assessment.read", subject=assessment)
    return cast(Assessment, assessment)


@dataclass
class QuestionRow:
    question: Question
    value: str
    notes: str


@dataclass
class SectionView:
    section: Section
    rows: list[QuestionRow]
    open: bool
    reason: str
    #: Open whatever the answers (incident count, relationship): the page's script needs it.
    static_open: bool = False

    @property
    def trigger_keys(self) -> str:
        return " ".join(self.section.trigger.get("any_yes", [])) if self.section.trigger else ""

    @property
    def trigger_flag(self) -> str:
        return self.section.trigger.get("flag", "") if self.section.trigger else ""


@dataclass
class AssessmentView:
    """An assessment with everything its pages show, worked out by the rules."""

    assessment: Assessment
    sections: list[SectionView]
    answers: dict[str, str]
    score: int
    suggested: str
    visible_high: bool
    standalone: list[Question]
    missing: list[rules.Missing]
    incident_count: int
    reviews: list[AssessmentReview] = field(default_factory=list)
    criteria: list[rules.CriterionResult] = field(default_factory=list)

    @property
    def questions(self) -> list[Question]:
        return [row.question for s in self.sections for row in s.rows]

    @property
    def last_return(self) -> AssessmentReview | None:
        returns = [r for r in self.reviews if r.decision == "return"]
        return returns[-1] if returns else None


def assessment_view(
    assessment: Assessment,
    *,
    typed: dict[str, tuple[str, str]] | None = None,
    values: dict[str, Any] | None = None,
) -> AssessmentView:
    """Work out the score, suggestion, open supplements and missing items of ``assessment``
    (or of what was just ``typed`` over it, for a form being re-rendered). Five queries."""
    sections = instrument_sections(assessment.instrument)
    stored = {a.question_id: a for a in AssessmentAnswer.objects.filter(assessment=assessment)}
    answers: dict[str, str] = {}
    notes: dict[str, str] = {}
    for section in sections:
        for q in section.questions.all():
            if typed is not None and q.key in typed:
                answers[q.key], notes[q.key] = typed[q.key]
            elif q.pk in stored:
                answers[q.key], notes[q.key] = stored[q.pk].value, stored[q.pk].notes
            else:
                answers[q.key], notes[q.key] = "", ""
    values = values if values is not None else _values_of(assessment)
    count = len(
        victim_incident_times(
            victim_id=assessment.victim_id,
            until=assessment.incident.received_at,
            months=settings.DAPOLICE_REPEAT_VICTIM_MONTHS,
        )
    )
    questions = [q for s in sections for q in s.questions.all()]
    score = rules.count_yes(questions, answers)
    views: list[SectionView] = []
    for section in sections:
        is_open = rules.supplement_open(
            section,
            answers,
            incident_count=count,
            flags={"honour_concern": bool(values.get("honour_concern"))},
            relationship=assessment.incident.relationship,
        )
        views.append(
            SectionView(
                section=section,
                rows=[
                    QuestionRow(q, answers[q.key], notes[q.key]) for q in section.questions.all()
                ],
                open=is_open,
                static_open=rules.supplement_open(
                    section,
                    {},
                    incident_count=count,
                    flags={},
                    relationship=assessment.incident.relationship,
                ),
                reason=(
                    rules.trigger_reason(section, incident_count=count)
                    if section.supplement != Supplement.MAIN
                    else ""
                ),
            )
        )
    open_ids = {v.section.pk for v in views if v.open}
    reviews = list(assessment.reviews.select_related("reviewer").order_by("decided_at", "pk"))
    return AssessmentView(
        assessment=assessment,
        sections=views,
        answers=answers,
        score=score,
        suggested=rules.suggested_level(score),
        visible_high=rules.is_visible_high(score),
        standalone=rules.standalone_signs(questions, answers),
        missing=rules.missing_items(
            questions=questions,
            open_sections=open_ids,
            answers=answers,
            values=values,
            score=score,
        ),
        incident_count=count,
        reviews=reviews,
        criteria=[
            rules.CriterionResult(c["code"], c["met"], c["reason"])
            for c in assessment.marac_criteria
        ],
    )


def _values_of(assessment: Assessment) -> dict[str, Any]:
    from risk.inputs import ASSESSMENT_FIELDS

    return {name: getattr(assessment, name) for name in ASSESSMENT_FIELDS}


def assessment_detail(*, user: Any, pk: int) -> AssessmentView:
    return assessment_view(assessment_get_for_user(user=user, pk=pk))


# --- Lists ----------------------------------------------------------------------------------


def assessment_list(*, user: Any, page: int = 1, page_size: int = PAGE_SIZE) -> list[Assessment]:
    """Visible assessments, newest first, one page; the ids shown are audited."""
    start = (max(page, 1) - 1) * page_size
    rows = list(
        _base()
        .filter(pk__in=Assessment.objects.visible_to(user))
        .order_by("-updated_at", "-pk")[start : start + page_size]
    )
    record_list(
        actor=user, action="risk.assessment.listed", model=Assessment, ids=[a.pk for a in rows]
    )
    return rows


def incidents_to_assess(*, user: Any, limit: int = PAGE_SIZE) -> list[Incident]:
    """Open work for an officer: incidents they are attached to with no assessment yet."""
    has_assessment = Assessment.objects.filter(incident=OuterRef("pk"))
    rows = list(
        Incident.objects.visible_to(user)
        .filter(pk__in=incident_ids_attached_to(user))
        .exclude(Exists(has_assessment))
        .order_by("-received_at", "-pk")[:limit]
    )
    record_list(
        actor=user, action="incidents.incident.listed", model=Incident, ids=[i.pk for i in rows]
    )
    return rows


@dataclass
class QueueRow:
    assessment: Assessment
    waited: timedelta
    overdue: bool
    own: bool


def review_queue(*, user: Any, now: datetime | None = None) -> list[QueueRow]:
    """Submitted assessments awaiting review: the highest level first, the oldest first within
    a level, with how long each has waited against ``DAPOLICE_DASH_REVIEW_HOURS``."""
    now = now or timezone.now()
    rank = Case(
        *(When(officer_level=level, then=Value(r)) for level, r in LEVEL_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = list(
        _base()
        .filter(pk__in=Assessment.objects.visible_to(user), status=Status.SUBMITTED)
        .annotate(rank=rank)
        .order_by("-rank", "submitted_at", "pk")
    )
    record_list(
        actor=user,
        action="risk.assessment.queue_viewed",
        model=Assessment,
        ids=[a.pk for a in rows],
    )
    target = timedelta(hours=settings.DAPOLICE_DASH_REVIEW_HOURS)
    return [
        QueueRow(
            assessment=a,
            waited=now - a.submitted_at,
            overdue=now - a.submitted_at > target,
            own=a.author_id == user.pk,
        )
        for a in rows
        if a.submitted_at is not None
    ]


@dataclass
class HistoryPoint:
    assessment: Assessment
    level: str
    reviews: list[AssessmentReview]


@dataclass
class VictimHistory:
    person: Person
    points: list[HistoryPoint]
    chart: dict[str, Any]


def victim_history(*, user: Any, person_pk: int) -> VictimHistory:
    """Every assessment of a victim the user may see, oldest first, with who set and who
    reviewed each level, and the chart's geometry. Four queries whatever the history."""
    person = person_get_for_user(user=user, pk=person_pk)
    assessments = list(
        _base()
        .filter(pk__in=Assessment.objects.visible_to(user), victim=person)
        .exclude(status=Status.DRAFT)
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=AssessmentReview.objects.select_related("reviewer").order_by(
                    "decided_at", "pk"
                ),
            )
        )
        .order_by("submitted_at", "pk")
    )
    record_list(
        actor=user,
        action="risk.assessment.history_viewed",
        model=Assessment,
        ids=[a.pk for a in assessments],
    )
    points = [HistoryPoint(a, a.level, list(a.reviews.all())) for a in assessments]
    return VictimHistory(person=person, points=points, chart=history_chart(points))


def history_chart(points: list[HistoryPoint]) -> dict[str, Any]:
    """Geometry of the history chart (a server-drawn SVG): one mark per assessment, x by date,
    y by the count of "yes", coloured by level; dashed lines at the bands."""
    width, height, left, right, top, bottom = 640, 240, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_score = 27
    dated = [(p, p.assessment.submitted_at) for p in points if p.assessment.submitted_at]

    def y(score: int) -> float:
        return round(top + plot_h * (1 - min(score, top_score) / top_score), 1)

    marks = []
    if dated:
        first = dated[0][1]
        last = dated[-1][1]
        span = (last - first).total_seconds() or 1.0
        for i, (p, submitted_at) in enumerate(dated):
            offset = (submitted_at - first).total_seconds()
            x = left + (plot_w / 2 if len(dated) == 1 else plot_w * offset / span)
            marks.append(
                {
                    "x": round(x, 1),
                    "y": y(p.assessment.score),
                    "score": p.assessment.score,
                    "level": p.level,
                    "label": Level(p.level).label if p.level else "",
                    "date": submitted_at,
                    "n": i + 1,
                }
            )
    path = " ".join(f"{'M' if i == 0 else 'L'}{m['x']},{m['y']}" for i, m in enumerate(marks))
    bands = [
        {
            "y": y(settings.DAPOLICE_DASH_HIGH_MIN),
            "label": _("high"),
            "min": settings.DAPOLICE_DASH_HIGH_MIN,
        },
        {
            "y": y(settings.DAPOLICE_DASH_MEDIUM_MIN),
            "label": _("medium"),
            "min": settings.DAPOLICE_DASH_MEDIUM_MIN,
        },
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "marks": marks,
        "path": path,
        "bands": bands,
        "ticks": [{"y": y(v), "v": v} for v in (0, 9, 18, 27)],
    }


# --- Alerts for the deadline handlers (system reads: titles carry references only) ----------


def supervisor_of(officer_id: int) -> int | None:
    """The officer's supervisor (``OfficerSupervisor``), or None: then every supervisor."""
    return (
        OfficerSupervisor.objects.filter(officer_id=officer_id)
        .values_list("supervisor_id", flat=True)
        .first()
    )


def review_overdue_alerts(*, assessment_id: int) -> list[AlertSpec]:
    assessment = Assessment.objects.select_related("incident").filter(pk=assessment_id).first()
    if assessment is None or assessment.status != Status.SUBMITTED:
        return []
    title = _("DASH on %(ref)s not reviewed within %(h)d hours") % {
        "ref": assessment.incident.reference,
        "h": settings.DAPOLICE_DASH_REVIEW_HOURS,
    }
    link = reverse("risk:dash-review", args=[assessment.pk])
    supervisor = supervisor_of(assessment.author_id)
    if supervisor is not None:
        spec = AlertSpec(title=title, link=link, recipient_id=supervisor, severity=Severity.WARNING)
    else:
        spec = AlertSpec(
            title=title, link=link, recipient_role=Role.SUPERVISOR, severity=Severity.WARNING
        )
    return [spec]


def rework_overdue_alerts(*, assessment_id: int) -> list[AlertSpec]:
    assessment = Assessment.objects.select_related("incident").filter(pk=assessment_id).first()
    if assessment is None or assessment.status != Status.RETURNED:
        return []
    return [
        AlertSpec(
            title=_("Returned DASH on %(ref)s not yet resubmitted")
            % {"ref": assessment.incident.reference},
            link=reverse("risk:dash-edit", args=[assessment.pk]),
            recipient_id=assessment.author_id,
            severity=Severity.WARNING,
        )
    ]


def reassessment_due_at(*, person_id: int) -> Any:
    """When the victim's next medium-risk re-assessment round is due, or None (none pending:
    never medium, moved to high or standard, or closed)."""
    from dapolice.alerts.models import Deadline
    from risk.choices import REASSESS_DEADLINE

    return (
        Deadline.objects.filter(
            kind=REASSESS_DEADLINE,
            subject_type=Person._meta.label_lower,
            subject_id=str(person_id),
            fired_at__isnull=True,
            cancelled_at__isnull=True,
        )
        .values_list("due_at", flat=True)
        .first()
    )

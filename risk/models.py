"""DASH risk assessment: the questionnaires (versioned data), assessments, answers, reviews.

The questions are rows, not template text: an ``Instrument`` is one version of one checklist
(the police DASH 2009, the SafeLives DASH RIC, later the College of Policing's DARA), with its
sections and questions. Instruments are never edited once used: a changed checklist is a new
version, and every ``Assessment`` keeps the version it was completed with.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dapolice.common.models import BaseModel
from incidents.models import Incident, Marker, Person
from risk.choices import Answer, Audience, Decision, Level, Status, Supplement

# --- The questionnaires --------------------------------------------------------------------------


class Instrument(models.Model):
    """One version of a risk checklist. ``code`` + ``version`` identify it for ever."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    audience = models.CharField(
        _("used by"), max_length=10, choices=Audience.choices, default=Audience.POLICE
    )
    description = models.TextField(_("description"), blank=True)
    #: Offered for new assessments. An old version stays readable but is no longer offered.
    active = models.BooleanField(_("offered for new assessments"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("risk instrument")
        verbose_name_plural = _("risk instruments")
        ordering = ["order", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class Section(models.Model):
    """A part of a checklist; a supplement (stalking, honour-based abuse) is shown only when
    ``trigger`` holds (``risk.services.supplement_triggered``).

    ``trigger`` keys, any of which opens the supplement: ``any_yes`` (question keys answered
    "yes"), ``min_incidents`` (the victim's DA incidents in the last 12 months, this one
    included), ``flag`` (an assessment field such as ``honour_concern``) and ``relationship``
    (the incident's relationship codes).
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    supplement = models.CharField(
        _("supplement"), max_length=10, choices=Supplement.choices, blank=True, default=""
    )
    intro = models.TextField(_("introduction"), blank=True)
    trigger = models.JSONField(_("shown when"), default=dict, blank=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "order"], name="section_order_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question. Only questions of the main checklist (``counts``) make up the score."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("key"), max_length=40)
    number = models.CharField(_("number"), max_length=8)
    order = models.PositiveSmallIntegerField(_("order"))
    text = models.TextField(_("question"))
    hint = models.CharField(_("hint"), max_length=300, blank=True)
    counts = models.BooleanField(_("counts towards the score"), default=True)
    #: A "yes" here is a stand-alone sign of high risk (strangulation, threats to kill,
    #: stalking): the officer is prompted to consider high whatever the count.
    standalone_high = models.BooleanField(_("stand-alone high-risk sign"), default=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="question_key_unique"),
            models.UniqueConstraint(fields=["instrument", "order"], name="question_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


# --- Who supervises whom ---------------------------------------------------------------------


class OfficerSupervisor(models.Model):
    """The supervisor (sergeant) an officer's overdue DASH reviews are escalated to.

    Admin-edited. An officer without a row here escalates to every holder of the supervisor
    role (a role-wide alert), so no overdue review is ever told to nobody.
    """

    officer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.CASCADE,
        related_name="risk_supervisor_link",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("officer's supervisor")
        verbose_name_plural = _("officers' supervisors")
        constraints = [
            models.CheckConstraint(
                condition=~Q(officer=F("supervisor")), name="officer_not_own_supervisor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer} → {self.supervisor}"


# --- Assessments ---------------------------------------------------------------------------------


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def visible_to(self, user: Any) -> AssessmentQuerySet:
        from risk.policies import assessment_visibility

        return self.filter(assessment_visibility(user))


class Assessment(BaseModel):
    """A DASH (or other instrument) completed with one victim of one incident.

    The officer's level is their decision (``level_set_by``), the final level the supervisor's
    (``reviewed_by``); the score and the suggested level are stored at submission so the record
    says what the officer saw. ``marac_criteria`` is the explanation computed at review.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+"
    )
    victim = models.ForeignKey(
        Person, verbose_name=_("victim"), on_delete=models.PROTECT, related_name="+"
    )
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )

    # Scoring and the officer's decision
    score = models.PositiveSmallIntegerField(_("number of yes answers"), default=0)
    suggested_level = models.CharField(
        _("suggested level"), max_length=10, choices=Level.choices, blank=True
    )
    officer_level = models.CharField(
        _("officer's level"), max_length=10, choices=Level.choices, blank=True
    )
    officer_rationale = models.TextField(_("professional judgement: rationale"), blank=True)
    level_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("level set by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Screening for the honour-based abuse supplement
    honour_concern = models.BooleanField(_("signs of so-called honour-based abuse"), default=False)

    # Children (the MASH uses the flag for children's services and Operation Encompass)
    children_present = models.CharField(
        _("children present or in the household"), max_length=10, blank=True
    )
    children_details = models.TextField(_("children: names, ages, schools"), blank=True)

    # Safety plan made before leaving
    safety_alarm = models.BooleanField(_("alarm issued or arranged"), default=False)
    safety_phone = models.BooleanField(_("phone issued"), default=False)
    safety_marker = models.BooleanField(_("'treat as emergency' marker"), default=False)
    safety_arrest = models.BooleanField(_("suspect arrested"), default=False)
    safety_removal = models.BooleanField(_("suspect removed from the address"), default=False)
    safety_referral = models.BooleanField(_("referral made"), default=False)
    safety_plan = models.TextField(_("safety plan"), blank=True)
    marker = models.ForeignKey(
        Marker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Evidence captured
    evidence_bwv = models.BooleanField(_("body-worn video"), default=False)
    evidence_photos = models.BooleanField(_("photographs"), default=False)
    evidence_999 = models.BooleanField(_("999 call recording requested"), default=False)
    evidence_witnesses = models.BooleanField(_("witnesses identified"), default=False)
    evidence_notes = models.TextField(_("evidence notes"), blank=True)

    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    review_due_at = models.DateTimeField(_("review due by"), null=True, blank=True)

    # Supervisor review (the last decision; every decision is an ``AssessmentReview`` row)
    final_level = models.CharField(
        _("reviewed level"), max_length=10, choices=Level.choices, blank=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    marac_criteria = models.JSONField(_("MARAC referral criteria"), default=list, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        permissions = [("review_assessment", "Can review a risk assessment (supervisor)")]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="assessment_queue_idx"),
            models.Index(fields=["victim", "created_at"], name="assessment_victim_idx"),
        ]
        constraints = [
            # One assessment in progress per victim of an incident; a reviewed one may be
            # followed by a re-assessment.
            models.UniqueConstraint(
                fields=["incident", "victim"],
                condition=~Q(status=Status.REVIEWED),
                name="assessment_one_open_per_victim",
            ),
            # A supervisor never reviews their own DASH.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("author")),
                name="assessment_not_reviewed_by_author",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REVIEWED)
                | (Q(reviewed_by__isnull=False) & ~Q(final_level="")),
                name="assessment_reviewed_has_level",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(submitted_at__isnull=False),
                name="assessment_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"DASH #{self.pk}"

    @property
    def level(self) -> str:
        """The level in force: the reviewed one, else the officer's."""
        return self.final_level or self.officer_level

    @property
    def is_editable(self) -> bool:
        return self.status in (Status.DRAFT, Status.RETURNED)


class AssessmentAnswer(models.Model):
    """The answer to one question of one assessment, with the officer's notes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(
        _("answer"), max_length=10, choices=Answer.choices, blank=True, default=""
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="answer_one_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value or '-'}"


class AssessmentReview(models.Model):
    """One supervisor decision on a submitted assessment (agree, change, return). Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    level_before = models.CharField(
        _("officer's level"), max_length=10, choices=Level.choices, blank=True
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    reason = models.TextField(_("reason or what is missing"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("supervisor review")
        verbose_name_plural = _("supervisor reviews")
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_at:%Y-%m-%d %H:%M})"

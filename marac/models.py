"""The MARAC: referrals onto the list (``MaracCase``), meetings with their agenda, each
agency's research, the action plan and every report-back on it.

A ``MaracCase`` is one referral of a victim to the MARAC, from the MASH, a partner agency or the
coordinator, or opened by a new incident within the repeat window (repeat MARAC). It waits for
a meeting, is listed on one meeting's agenda, discussed (the action plan made), and closed once
every action has been reported back on.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dapolice.accounts.models import Agency
from dapolice.common.models import BaseModel
from incidents.models import Incident, Person
from marac.choices import (
    ActionStatus,
    CaseStatus,
    MeetingStatus,
    ReportKind,
    RiskOutcome,
    Source,
)
from mash.models import Referral as MashReferral
from risk.choices import Level
from risk.models import Assessment

USER = settings.AUTH_USER_MODEL


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: Any) -> MeetingQuerySet:
        from marac.policies import meeting_visibility

        return self.filter(meeting_visibility(user))


class Meeting(BaseModel):
    """One MARAC meeting: when, the agenda's cut-off, the agencies invited and those that
    attended. Referrals made by the cut-off are listed on its agenda (``agenda_build``)."""

    held_at = models.DateTimeField(_("meeting date and time"))
    cutoff_at = models.DateTimeField(_("agenda cut-off"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    invited = models.ManyToManyField(
        Agency, verbose_name=_("agencies invited"), related_name="+", blank=True
    )
    attended = models.ManyToManyField(
        Agency,
        verbose_name=_("agencies that attended"),
        related_name="+",
        blank=True,
        db_table="marac_meeting_attended",
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("MARAC meeting")
        verbose_name_plural = _("MARAC meetings")
        ordering = ["held_at", "pk"]
        permissions = [
            ("coordinate_marac", "Can coordinate the MARAC"),
            ("view_return", "Can see the MARAC quarterly data return"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cutoff_at__lte=F("held_at")), name="marac_meeting_cutoff_before"
            )
        ]
        indexes = [models.Index(fields=["held_at"], name="marac_meeting_held_idx")]

    def __str__(self) -> str:
        return f"MARAC {self.held_at:%d %b %Y}"


class MaracCaseQuerySet(models.QuerySet["MaracCase"]):
    def visible_to(self, user: Any) -> MaracCaseQuerySet:
        from marac.policies import case_visibility

        return self.filter(case_visibility(user))


class MaracCase(BaseModel):
    """A victim referred to the MARAC: the criteria that hold, who referred, the household
    figures the quarterly return counts, the meeting it is listed at, the discussion, and the
    outcome when it is closed."""

    victim = models.ForeignKey(
        Person, verbose_name=_("victim"), on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mash_referral = models.OneToOneField(
        MashReferral,
        verbose_name=_("MASH referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("how it was referred"), max_length=12, choices=Source.choices)
    #: The referring partner agency (empty: the police, through the MASH or the coordinator).
    referring_agency = models.ForeignKey(
        Agency,
        verbose_name=_("referring agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    referred_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField(_("referred at"))
    criteria = models.JSONField(_("criteria that hold"), default=list, blank=True)
    reason = models.TextField(_("reason for the referral"), blank=True)
    is_repeat = models.BooleanField(_("repeat MARAC"), default=False)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous MARAC referral"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: A new DA incident within the repeat window while this case was open.
    repeat_flagged_at = models.DateTimeField(_("new incident flagged"), null=True, blank=True)

    # Figures of the quarterly return, recorded with the referral.
    children_count = models.PositiveSmallIntegerField(_("children in the household"), default=0)
    victim_male = models.BooleanField(_("victim is male"), default=False)
    victim_16_17 = models.BooleanField(_("victim aged 16 or 17"), default=False)
    victim_lgbt = models.BooleanField(_("victim is LGBT"), default=False)
    victim_bme = models.BooleanField(_("victim from a minority ethnic group"), default=False)
    victim_disability = models.BooleanField(_("victim has a disability"), default=False)

    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.REFERRED
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    agenda_position = models.PositiveSmallIntegerField(_("agenda position"), null=True, blank=True)
    discussion = models.TextField(_("discussion"), blank=True)
    discussed_at = models.DateTimeField(_("discussed at"), null=True, blank=True)

    level_before = models.CharField(
        _("risk level when referred"), max_length=10, choices=Level.choices, blank=True
    )
    level_after = models.CharField(
        _("risk level re-assessed"), max_length=10, choices=Level.choices, blank=True
    )
    #: The victim's DASH reviewed after the meeting (the re-assessment through ``risk``), if any.
    reassessment = models.ForeignKey(
        Assessment,
        verbose_name=_("re-assessment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The coordinator asked for the re-assessment once every action was reported back on: who
    #: asked, when, and who was asked (the victim's officer, else their SPOC; none: the MASH).
    reassessment_requested_at = models.DateTimeField(
        _("re-assessment requested at"), null=True, blank=True
    )
    #: Not indexed (never filtered on; users are deactivated, not deleted): an index on this
    #: large table would need its own concurrent migration.
    reassessment_requested_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reassessment_requested_from = models.ForeignKey(
        USER,
        verbose_name=_("re-assessment asked of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    outcome = models.CharField(
        _("did the actions reduce the risk"), max_length=10, choices=RiskOutcome.choices, blank=True
    )
    outcome_note = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MaracCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("MARAC case")
        verbose_name_plural = _("MARAC cases")
        ordering = ["referred_at", "pk"]
        indexes = [
            models.Index(fields=["victim", "referred_at"], name="marac_case_victim_idx"),
            models.Index(fields=["status", "referred_at"], name="marac_case_status_idx"),
            models.Index(fields=["meeting", "agenda_position"], name="marac_case_meeting_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=CaseStatus.REFERRED) | Q(meeting__isnull=False),
                name="marac_case_listed_has_meeting",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED)
                | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="marac_case_closed_has_who",
            ),
            models.CheckConstraint(
                condition=Q(reassessment_requested_at__isnull=True)
                | Q(reassessment_requested_by__isnull=False),
                name="marac_case_reassess_request_has_who",
            ),
        ]

    def __str__(self) -> str:
        return f"MARAC-{self.pk}"

    @property
    def reference(self) -> str:
        return f"MARAC-{self.pk:06d}" if self.pk else "MARAC-new"


class Research(models.Model):
    """What one agency knows about a case before the meeting, dated, by whom (append-only).

    Visible to the coordinator; to the agency that wrote it; and, once the meeting is held, to
    the agencies that attended it."""

    case = models.ForeignKey(MaracCase, on_delete=models.CASCADE, related_name="research")
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    known_on = models.DateField(_("date of the information"))
    summary = models.TextField(_("what the agency knows"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("MARAC research")
        verbose_name_plural = _("MARAC research")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"Research #{self.pk}"


class ActionQuerySet(models.QuerySet["Action"]):
    def visible_to(self, user: Any) -> ActionQuerySet:
        from marac.policies import action_visibility

        return self.filter(action_visibility(user))


class Action(BaseModel):
    """One action of a case's MARAC action plan: what, the responsible agency, a named owner
    where known, the due date and what "done" means. Its agency reports back on it."""

    case = models.ForeignKey(MaracCase, on_delete=models.PROTECT, related_name="actions")
    agency = models.ForeignKey(
        Agency, verbose_name=_("responsible agency"), on_delete=models.PROTECT, related_name="+"
    )
    owner_name = models.CharField(_("named owner"), max_length=200, blank=True)
    description = models.TextField(_("action"))
    done_means = models.TextField(_("what done means"))
    due_on = models.DateField(_("due by"))
    status = models.CharField(
        _("status"), max_length=6, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    #: The latest report-back (empty: never reported on).
    reported_at = models.DateTimeField(_("last reported"), null=True, blank=True)
    last_report = models.TextField(_("latest report"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("MARAC action")
        verbose_name_plural = _("MARAC actions")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["agency", "status", "due_on"], name="marac_action_agency_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ActionStatus.OPEN)
                | Q(done_at__isnull=False, reported_at__isnull=False),
                name="marac_action_done_is_reported",
            )
        ]

    def __str__(self) -> str:
        return self.description[:60]


class Report(models.Model):
    """One report-back on an action by its agency (or the coordinator): an update, or done.
    Append-only: the action's history of report-back."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("report"), max_length=6, choices=ReportKind.choices)
    note = models.TextField(_("update"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("action report-back")
        verbose_name_plural = _("action report-backs")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"

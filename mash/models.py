"""The MASH: the secondary-assessment queue, safeguarding ownership, referrals, Operation
Encompass notices, and each victim's single point of contact with every contact logged.

A ``MashCase`` is one reviewed DASH that entered the queue (``mash.rules.entry_reason``). The
case carries its owner of safeguarding; every period of ownership is an ``OwnershipPeriod`` row,
and the database keeps "exactly one owner at every moment" (see ``OwnershipPeriod``).
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
from mash.choices import (
    CaseStatus,
    ContactChannel,
    ContactOutcome,
    Duty,
    EntryReason,
    InformationSource,
    NoticeStatus,
    OwnershipEvent,
    ReferralKind,
    ReferralStatus,
    Team,
)
from risk.choices import Level
from risk.models import Assessment

USER = settings.AUTH_USER_MODEL


class DutyRota(models.Model):
    """One shift on the duty rota: who holds a duty (the MASH team lead, the detective sergeant
    who takes high-risk cases out of MASH hours) from when until when.

    Admin-edited. A duty nobody holds at a moment sends its alerts to a role instead (the MASH
    team, or the control room for the detective sergeant), so nothing is told to nobody.
    """

    duty = models.CharField(_("duty"), max_length=32, choices=Duty.choices)
    user = models.ForeignKey(
        USER, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty rota shift")
        verbose_name_plural = _("duty rota")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="mash_rota_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["duty", "starts_at", "ends_at"], name="mash_rota_idx")]

    def __str__(self) -> str:
        return f"{self.get_duty_display()}: {self.user} {self.starts_at:%d %b %H:%M}"


class MashCaseQuerySet(models.QuerySet["MashCase"]):
    def visible_to(self, user: Any) -> MashCaseQuerySet:
        from mash.policies import case_visibility

        return self.filter(case_visibility(user))


class MashCase(BaseModel):
    """A reviewed DASH in the MASH: the queue item, the secondary assessment, the safeguarding
    plan's version, and who owns safeguarding now (with any handover on offer).

    ``priority`` repeats the level in force as a number (high 3, medium 2, standard 1) so the
    queue ("risk, then age") and "Next case" are one index scan.
    """

    assessment = models.OneToOneField(
        Assessment, verbose_name=_("DASH"), on_delete=models.PROTECT, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="+"
    )
    victim = models.ForeignKey(
        Person, verbose_name=_("victim"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("why it is here"), max_length=10, choices=EntryReason.choices)
    #: The sample rate (percent) in force when a standard DASH was drawn into the sample.
    sample_percent = models.FloatField(_("sample rate (percent)"), null=True, blank=True)
    dash_level = models.CharField(_("DASH level"), max_length=10, choices=Level.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"))
    children_present = models.BooleanField(_("children present"), default=False)

    status = models.CharField(
        _("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.WAITING
    )
    team = models.CharField(_("team"), max_length=10, choices=Team.choices, default=Team.MASH)
    #: The detective sergeant on duty when a high-risk case arrived out of MASH hours.
    duty_officer = models.ForeignKey(
        USER,
        verbose_name=_("on-duty detective sergeant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrived_at = models.DateTimeField(_("arrived"))
    #: High risk only: to be started (claimed) by then.
    start_due_at = models.DateTimeField(_("to be started by"), null=True, blank=True)
    due_at = models.DateTimeField(_("secondary assessment due"))
    claimed_by = models.ForeignKey(
        USER,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)

    # The secondary assessment
    final_level = models.CharField(
        _("MASH level"), max_length=10, choices=Level.choices, blank=True
    )
    level_reason = models.TextField(_("reason for the MASH level"), blank=True)
    assessment_notes = models.TextField(_("secondary assessment"), blank=True)
    assessed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)

    # The safeguarding plan (its actions are ``PlanAction`` rows); saved with optimistic locking.
    plan_summary = models.TextField(_("safeguarding plan"), blank=True)
    plan_version = models.PositiveIntegerField(_("plan version"), default=0)
    plan_updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_updated_at = models.DateTimeField(null=True, blank=True)

    # Ownership of safeguarding (HMIC recommendation 4): the owner now, and a handover on offer
    # either to a named person or to the MASH team.
    owner = models.ForeignKey(
        USER, verbose_name=_("owner of safeguarding"), on_delete=models.PROTECT, related_name="+"
    )
    owner_since = models.DateTimeField(_("owner since"))
    offer_to = models.ForeignKey(
        USER,
        verbose_name=_("handover offered to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    offer_to_team = models.CharField(
        _("handover offered to the team"), max_length=10, choices=Team.choices, blank=True
    )
    offer_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer_at = models.DateTimeField(null=True, blank=True)
    offer_note = models.TextField(_("handover note"), blank=True)

    objects = MashCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("MASH case")
        verbose_name_plural = _("MASH cases")
        permissions = [("work_mashcase", "Can work MASH cases (secondary assessment)")]
        indexes = [
            models.Index(F("status"), F("priority").desc(), F("arrived_at"), name="mash_queue_idx"),
            models.Index(fields=["victim", "arrived_at"], name="mash_case_victim_idx"),
        ]
        constraints = [
            # Safeguarding always has an owner (the column is NOT NULL too; the ledger's open
            # row must match it: a deferred trigger on PostgreSQL, migration 0001).
            models.CheckConstraint(condition=Q(owner__isnull=False), name="mash_case_has_owner"),
            models.CheckConstraint(
                condition=Q(offer_to__isnull=True) | ~Q(offer_to=F("owner")),
                name="mash_case_no_offer_to_owner",
            ),
            # A handover on offer names exactly one recipient: a person or a team.
            models.CheckConstraint(
                condition=(
                    Q(offer_at__isnull=True, offer_to__isnull=True, offer_to_team="")
                    | Q(offer_at__isnull=False, offer_to__isnull=False, offer_to_team="")
                    | (Q(offer_at__isnull=False, offer_to__isnull=True) & ~Q(offer_to_team=""))
                ),
                name="mash_case_offer_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status=CaseStatus.WAITING) | Q(claimed_by__isnull=False),
                name="mash_case_started_is_claimed",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.ASSESSED)
                | (~Q(final_level="") & Q(assessed_by__isnull=False)),
                name="mash_case_assessed_has_level",
            ),
        ]

    def __str__(self) -> str:
        return f"MASH #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.ASSESSED


class OwnershipPeriod(models.Model):
    """Who owned safeguarding of a case from when until when: the ledger (append-only; a
    period is closed once, when the next owner accepts).

    The database keeps exactly one owner at every moment: at most one open period per case (a
    partial unique index) and, on PostgreSQL, a deferred constraint trigger that at commit
    refuses a case whose open periods are not exactly one, owned by the case's ``owner``.
    """

    case = models.ForeignKey(MashCase, on_delete=models.CASCADE, related_name="ownership")
    owner = models.ForeignKey(
        USER, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    how = models.CharField(_("how"), max_length=10, choices=OwnershipEvent.choices)
    #: Who offered the handover that began this period (empty for the first one).
    offered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("handover note"), blank=True)

    class Meta:
        verbose_name = _("period of ownership")
        verbose_name_plural = _("ownership ledger")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="mash_one_open_owner"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="mash_ownership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} from {self.started_at:%Y-%m-%d %H:%M}"


class InformationEntry(models.Model):
    """Information one agency gave the secondary assessment, dated (append-only)."""

    case = models.ForeignKey(MashCase, on_delete=models.CASCADE, related_name="information")
    source = models.CharField(_("agency"), max_length=20, choices=InformationSource.choices)
    received_on = models.DateField(_("date of the information"))
    summary = models.TextField(_("information"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    #: The author's agency when a partner wrote it (partners see only their own entries).
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("information entry")
        verbose_name_plural = _("information entries")
        ordering = ["received_on", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.received_on}"


class PlanAction(models.Model):
    """One action of a case's safeguarding plan: what, who owns it, by when."""

    case = models.ForeignKey(MashCase, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveSmallIntegerField(_("order"))
    description = models.TextField(_("action"))
    owner_name = models.CharField(_("owner"), max_length=200)
    owner_agency = models.CharField(
        _("owner's agency"), max_length=20, choices=InformationSource.choices
    )
    due_on = models.DateField(_("due by"))
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("safeguarding action")
        verbose_name_plural = _("safeguarding actions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        from mash.policies import referral_visibility

        return self.filter(referral_visibility(user))


class Referral(BaseModel):
    """A referral made from a MASH case, with its status and due date.

    ``agency`` is the partner agency it went to (whose members see it and answer it); a MARAC
    referral is a row of kind ``marac`` (the MARAC app takes it from the signal
    ``mash.signals.marac_referral_made``).
    """

    case = models.ForeignKey(MashCase, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(_("referral to"), max_length=24, choices=ReferralKind.choices)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.MADE
    )
    made_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(_("made at"))
    due_at = models.DateTimeField(_("due by"))
    notes = models.TextField(_("what is asked"), blank=True)
    response_note = models.TextField(_("response"), blank=True)
    responded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["made_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="mash_referral_agency_idx"),
            models.Index(fields=["kind", "made_at"], name="mash_referral_kind_idx"),
        ]
        constraints = [
            # One open referral of a kind per case (a second press of the button adds nothing).
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(status__in=["made", "accepted"]),
                name="mash_referral_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("made_at")), name="mash_referral_due_after_made"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class EncompassNotice(models.Model):
    """Operation Encompass: the notice to one child's school, due before the start of the next
    school day after the incident. Minimal by law: the child, the date and time, whether the
    child was present, whether a welfare check was done."""

    case = models.ForeignKey(MashCase, on_delete=models.CASCADE, related_name="notices")
    child = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    child_name = models.CharField(_("child"), max_length=200, blank=True)
    school = models.CharField(_("school"), max_length=200, blank=True)
    incident_at = models.DateTimeField(_("incident date and time"))
    present = models.BooleanField(_("child present"), null=True, blank=True)
    welfare_check = models.BooleanField(_("welfare check done"), null=True, blank=True)
    due_at = models.DateTimeField(_("due before"))
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    sent_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Operation Encompass notice")
        verbose_name_plural = _("Operation Encompass notices")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=NoticeStatus.PENDING)
                | (
                    Q(sent_at__isnull=False, sent_by__isnull=False, present__isnull=False)
                    & Q(welfare_check__isnull=False)
                    & ~Q(school="")
                    & ~Q(child_name="")
                ),
                name="mash_notice_sent_is_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Encompass notice #{self.pk}"


class ContactPlan(BaseModel):
    """A victim's single point of contact (SPOC) and safe-contact instructions, shown on every
    contact screen and applied to every notification (``mash.selectors.safe_contact_for``)."""

    person = models.OneToOneField(
        Person, verbose_name=_("victim"), on_delete=models.PROTECT, related_name="+"
    )
    spoc = models.ForeignKey(
        USER,
        verbose_name=_("single point of contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    safe_phone = models.CharField(_("safe number"), max_length=32, blank=True)
    safe_email = models.EmailField(_("safe e-mail address"), blank=True)
    safe_from = models.TimeField(_("safe to contact from"), null=True, blank=True)
    safe_until = models.TimeField(_("safe to contact until"), null=True, blank=True)
    safe_times_note = models.CharField(_("safe times (in words)"), max_length=200, blank=True)
    no_voicemail = models.BooleanField(_("no voicemail"), default=False)
    code_word = models.CharField(_("code word"), max_length=60, blank=True)
    instructions = models.TextField(_("other instructions"), blank=True)

    class Meta:
        verbose_name = _("contact plan")
        verbose_name_plural = _("contact plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(safe_from__isnull=True, safe_until__isnull=True)
                | Q(safe_from__isnull=False, safe_until__isnull=False),
                name="mash_contactplan_safe_window_whole",
            )
        ]

    def __str__(self) -> str:
        return f"Contact plan of person #{self.person_id}"


class Contact(models.Model):
    """One contact with a victim, by anyone (police, IDVA, MASH): who, when, how, outcome.
    Append-only."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        MashCase, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    made_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    channel = models.CharField(_("how"), max_length=10, choices=ContactChannel.choices)
    outcome = models.CharField(_("outcome"), max_length=14, choices=ContactOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact with a victim")
        verbose_name_plural = _("contacts with victims")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["person", "at"], name="mash_contact_person_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.at:%Y-%m-%d %H:%M}"

"""The alert inbox and the deadlines that raise alerts exactly once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice.alerts.choices import Severity


class Deadline(models.Model):
    """A moment by which something must have happened, about one record.

    "Fires once" lives here, not in a queued countdown (healthchecks' ``Flip``): the periodic
    scan claims a due row with ``UPDATE ... WHERE fired_at IS NULL`` and only the claimant that
    changed one row raises the alert, in the same transaction. A worker or broker restart
    either loses the whole claim (rolled back, the next scan fires it) or none of it.
    """

    kind = models.CharField(_("kind"), max_length=64)
    subject_type = models.CharField(_("record type"), max_length=100)
    subject_id = models.CharField(_("record id"), max_length=64)
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"], name="deadline_one_per_subject"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="deadline_pending_idx",
                condition=Q(fired_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}#{self.subject_id} due {self.due_at:%Y-%m-%d %H:%M}"


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: object) -> AlertQuerySet:
        from dapolice.alerts.policies import alert_visibility

        return self.filter(alert_visibility(user))

    def open(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """One item in a user's (or every holder of a role's) inbox.

    Titles carry references only (``DA-2026-000123``), never names: inbox counts and titles
    appear on every page and in notifications.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    recipient_role = models.CharField(_("recipient role"), max_length=32, blank=True)
    # A role alert for partner-agency members goes to one agency's members only.
    recipient_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("recipient agency"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=64)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    title = models.CharField(_("title"), max_length=200)
    link = models.CharField(_("link"), max_length=200, blank=True)
    subject_type = models.CharField(_("record type"), max_length=100, blank=True)
    subject_id = models.CharField(_("record id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The user the alert is about (who revealed a refuge, who typed one): they never acknowledge
    # it, so nobody clears an alert about themselves for everyone else (issue 7, finding 4).
    # No index and no foreign-key constraint: added to a large table without locking it.
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("about"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    #: Its e-mails went out (or there was nobody to e-mail). Until then the sweep re-nudges the
    #: delivery task, so a lost broker message never loses a delivery.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(recipient_role=""))
                | (Q(recipient__isnull=True) & ~Q(recipient_role="")),
                name="alert_one_recipient_kind",
            ),
            # Partners see only what was shared with their agency.
            models.CheckConstraint(
                condition=~Q(recipient_role="partner") | Q(recipient_agency__isnull=False),
                name="alert_partner_role_needs_agency",
            ),
            # A deadline raises each recipient's alert once, even if two scans race.
            models.UniqueConstraint(
                fields=["deadline", "recipient"],
                name="alert_once_per_deadline_user",
                condition=Q(deadline__isnull=False, recipient__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["deadline", "recipient_role"],
                name="alert_once_per_deadline_role",
                condition=Q(deadline__isnull=False, recipient__isnull=True),
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient_role", "created_at"],
                name="alert_open_role_idx",
                condition=Q(acknowledged_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "created_at"],
                name="alert_open_user_idx",
                condition=Q(acknowledged_at__isnull=True),
            ),
            models.Index(
                fields=["created_at"],
                name="alert_undelivered_idx",
                condition=Q(delivered_at__isnull=True),
            ),
            models.Index(fields=["subject_type", "subject_id"], name="alert_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class AlertDelivery(models.Model):
    """One alert e-mailed to one user: the key that makes the delivery task idempotent.

    The row is written in the transaction that follows the send; a worker killed between the send
    and the commit sends that one e-mail again (the SMTP provider cannot de-duplicate), which the
    fault harness counts as a repeat.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        constraints = [
            models.UniqueConstraint(fields=["alert", "recipient"], name="alert_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"alert {self.alert_id} to user {self.recipient_id}"


class Heartbeat(models.Model):
    """When a background loop (the deadline sweep) last completed, kept in the database.

    ``/healthz`` and the control-room board read it: older than two intervals is "alerting
    delayed". In PostgreSQL, not Redis, so a broker outage cannot hide it.
    """

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    beat_at = models.DateTimeField(_("last beat"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"

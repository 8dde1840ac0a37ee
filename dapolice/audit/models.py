"""The append-only audit trail (Data Protection Act 2018 s.62 logging duty)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import connections, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit row through the ORM."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def for_subject(self, subject: models.Model) -> AuditEventQuerySet:
        """Events about one record, including list pages on which it was shown."""
        label = subject._meta.label_lower
        pk = str(subject.pk)
        if connections[self.db].vendor == "postgresql":
            shown = models.Q(object_ids__contains=[pk])
        else:  # SQLite has no JSON containment; the ids are stored as quoted strings
            shown = models.Q(object_ids__icontains=f'"{pk}"')
        return self.filter(models.Q(subject_id=pk) | shown, subject_type=label)


class AuditEvent(models.Model):
    """Who did what to which record, when, from where, why, and what changed.

    Rows are written only by ``dapolice.audit.services`` in the same transaction as the change
    they describe. They cannot be updated or deleted through the ORM (the queryset and ``save``
    refuse) nor, on PostgreSQL, by any SQL UPDATE or DELETE (a trigger from migration 0002).
    Each row is chained to the one before by an HMAC (``prev_hash``, ``chain_hash``; see
    ``dapolice.audit.chain``), so a row removed, altered or inserted by someone who bypasses all
    of that (the table owner) is found by ``manage.py audit_verify``.

    ``action`` is a dotted code (``incidents.incident.created``, ``incidents.person.read``);
    ``changes`` maps each changed field to ``[old, new]``; list reads store the ids shown in
    ``object_ids``. Personal data does not go into ``action``, ``reason`` is the user's own
    justification.
    """

    class Kind(models.TextChoices):
        CREATE = "create", _("create")
        CHANGE = "change", _("change")
        DELETE = "delete", _("delete")
        READ = "read", _("read")
        LIST = "list", _("list")
        SEARCH = "search", _("search")
        ACCESS = "access", _("access")  # sign-in, break-glass, exports

    # Set by the chain under its lock (not auto_now_add, which would stamp it after hashing).
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_roles = models.CharField(_("actor's roles"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    subject_type = models.CharField(_("record type"), max_length=100, blank=True)
    subject_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_ids = models.JSONField(_("records shown"), default=list, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(
        _("previous row's hash"), max_length=64, default="", editable=False
    )
    chain_hash = models.CharField(_("hash"), max_length=64, default="", editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
            # "Who looked at this victim?" also finds the list pages the record was shown on
            # (``for_subject``: ``object_ids @> '["42"]'``). PostgreSQL only (migration 0004).
            GinIndex(fields=["object_ids"], name="audit_shown_idx", opclasses=["jsonb_path_ops"]),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.subject_type}#{self.subject_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

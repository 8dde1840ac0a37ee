"""Break-glass: explicit, time-boxed, justified elevated access (style.md example 8).

A grant is an audit event (``access.break_glass``) naming the scope it opens, e.g.
``incidents.address:42``; it lasts ``DAPOLICE_BREAK_GLASS_MINUTES``. The audit trail is the
only store, so a grant can never exist without its justification on record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.models import User
from dapolice.audit.models import AuditEvent
from dapolice.audit.services import record_access
from dapolice.common.errors import DomainError

ACTION = "access.break_glass"
MIN_REASON_LENGTH = 10


def scope_for(subject: Any, what: str = "") -> str:
    base = f"{subject._meta.label_lower}:{subject.pk}"
    return f"{base}:{what}" if what else base


def break_glass_grant(
    *, actor: User, subject: Any, reason: str, what: str = "", case: str = ""
) -> AuditEvent:
    """Open ``subject`` (or one part of it, ``what``) to ``actor`` for a short time.

    ``case`` names the case the access was for (an incident reference), kept in the audit row.
    """
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise DomainError(
            _("Give the reason you need this (at least %(n)d characters).")
            % {"n": MIN_REASON_LENGTH},
            field="reason",
        )
    minutes = settings.DAPOLICE_BREAK_GLASS_MINUTES
    if hasattr(actor, _CACHE_ATTR):
        delattr(actor, _CACHE_ATTR)
    return record_access(
        actor=actor,
        action=ACTION,
        subject=subject,
        reason=reason,
        changes={
            "scope": [None, scope_for(subject, what)],
            "minutes": [None, minutes],
            **({"case": [None, case]} if case else {}),
        },
    )


_CACHE_ATTR = "_dapolice_break_glass_scopes"


def active_scopes(actor: User) -> frozenset[str]:
    """Every scope ``actor`` has opened and not yet expired: one query, kept on the user object
    (which lives for one request), so a page of restricted addresses costs one query, not one
    per address."""
    cached: frozenset[str] | None = getattr(actor, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    since = timezone.now() - timedelta(minutes=settings.DAPOLICE_BREAK_GLASS_MINUTES)
    scopes = frozenset(
        changes.get("scope", [None, None])[1]
        for changes in AuditEvent.objects.filter(
            actor=actor, action=ACTION, at__gte=since
        ).values_list("changes", flat=True)
    )
    setattr(actor, _CACHE_ATTR, scopes)
    return scopes


def break_glass_active(*, actor: User, subject: Any, what: str = "") -> bool:
    """True while a grant for this scope, made by ``actor``, has not expired."""
    return scope_for(subject, what) in active_scopes(actor)


def break_glass_expires_at(*, actor: User, subject: Any, what: str = "") -> datetime | None:
    """When ``actor``'s latest live grant for this scope ends, or None if there is none."""
    minutes = settings.DAPOLICE_BREAK_GLASS_MINUTES
    since = timezone.now() - timedelta(minutes=minutes)
    scope = scope_for(subject, what)
    latest = (
        AuditEvent.objects.filter(
            actor=actor, action=ACTION, at__gte=since, changes__scope__1=scope
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return None if latest is None else latest + timedelta(minutes=minutes)

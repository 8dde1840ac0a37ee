"""Who sees which alerts: their own, and those sent to a role they hold."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice import access
from dapolice.audit import values as audit_values


def alert_visibility(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    same_agency = Q(recipient_agency__isnull=True) | Q(recipient_agency_id=user.agency_id)
    return Q(recipient=user) | (
        Q(recipient__isnull=True, recipient_role__in=list(user.roles)) & same_agency
    )


@access.rule("alerts.inbox")
def can_use_inbox(user: Any, obj: Any = None) -> bool:
    return not user.is_system


@access.rule("alerts.acknowledge", who=_("its recipients, except the person it is about"))
def can_acknowledge(user: Any, alert: Any = None) -> bool:
    if alert is None:
        return True
    if alert.about_id is not None and alert.about_id == user.pk:
        return False  # nobody acknowledges an alert about themselves
    return alert.recipient_id == user.pk or (
        alert.recipient_id is None
        and alert.recipient_role in user.roles
        and alert.recipient_agency_id in (None, user.agency_id)
    )


#: The audit trail's values (dapolice.audit.values): alerts name records, not their content.
audit_values.auditor("alerts.deadline", "alerts.alert", "alerts.alertdelivery", "alerts.heartbeat")

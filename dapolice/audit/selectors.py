"""Reads of the audit trail (for auditors)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dapolice.audit.models import AuditEvent
from dapolice.audit.services import record_list


def audit_event_list(
    *, actor: Any, action: str = "", subject_type: str = "", subject_id: str = "", limit: int = 200
) -> list[AuditEvent]:
    qs: QuerySet[AuditEvent] = AuditEvent.objects.select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
        if subject_id:
            qs = qs.filter(subject_id=subject_id)
    events = list(qs[:limit])
    record_list(
        actor=actor,
        action="audit.event.listed",
        model=AuditEvent,
        ids=[e.pk for e in events],
        changes={"filters": [None, {"action": action, "type": subject_type, "id": subject_id}]},
    )
    return events

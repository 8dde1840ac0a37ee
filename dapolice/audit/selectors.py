"""Reads of the audit trail (for auditors). Reading the trail is itself audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from dapolice.audit.filters import AuditEventFilter
from dapolice.audit.models import AuditEvent, AuditEventQuerySet
from dapolice.audit.services import record_list, record_read

if TYPE_CHECKING:
    from dapolice.accounts.models import User

AUDIT_PAGE_LIMIT = 200


def audit_event_queryset(
    *, actor: User, filters: Mapping[str, object] | None = None
) -> AuditEventQuerySet:
    """Events matching ``AuditEventFilter`` data, newest first; none if the filters are invalid.
    Not audited: the caller audits the page it shows (``audit_event_list``, the API's list)."""
    qs: AuditEventQuerySet = AuditEvent.objects.select_related("actor").order_by("-id")
    if not filters:
        return qs
    filterset = AuditEventFilter(filters, queryset=qs)
    if not filterset.is_valid():
        return qs.none()
    filtered: AuditEventQuerySet = filterset.qs
    return filtered


def audit_event_list(
    *, actor: User, filters: Mapping[str, object] | None = None, limit: int = AUDIT_PAGE_LIMIT
) -> list[AuditEvent]:
    """The newest ``limit`` events matching the filters; the page of ids is audited, with the
    (non-personal) filters used."""
    events = list(audit_event_queryset(actor=actor, filters=filters)[:limit])
    used = {
        k: str(v) for k, v in (filters or {}).items() if k in AuditEventFilter.base_filters and v
    }
    record_list(
        actor=actor,
        action="audit.event.listed",
        model=AuditEvent,
        ids=[e.pk for e in events],
        changes={"filters": [None, used]},
    )
    return events


def audit_event_get(*, actor: User, pk: int) -> AuditEvent:
    """One event (the admin's detail page), its read audited."""
    event = get_object_or_404(AuditEvent.objects.select_related("actor"), pk=pk)
    record_read(actor=actor, action="audit.event.read", subject=event)
    return event

"""Every read of call-intake data: visibility applied, and the read audited."""

from __future__ import annotations

from typing import Any

from dapolice.audit.services import record_list
from incidents.models import Incident

INCIDENT_PAGE_SIZE = 50


def incident_list(
    *, user: Any, page: int = 1, page_size: int = INCIDENT_PAGE_SIZE
) -> list[Incident]:
    """Newest first, one page; the ids shown are written to the audit trail."""
    start = (max(page, 1) - 1) * page_size
    incidents = list(
        Incident.objects.visible_to(user)
        .select_related("category", "location")
        .order_by("-received_at", "-pk")[start : start + page_size]
    )
    record_list(
        actor=user,
        action="incidents.incident.listed",
        model=Incident,
        ids=[i.pk for i in incidents],
    )
    return incidents

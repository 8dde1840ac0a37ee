"""Reads for the approvers' page (role requests); shown requests are audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from dapolice.accounts.models import RoleRequest, User
from dapolice.audit.services import record_list

DECIDED_SHOWN = 50


@dataclass
class RoleRequestQueue:
    pending: list[RoleRequest]
    decided: list[RoleRequest]


def role_request_queue(*, actor: User) -> RoleRequestQueue:
    """Open requests, oldest first, and the most recent decisions."""
    base = RoleRequest.objects.select_related("user", "user__agency", "requested_by", "decided_by")
    pending = list(base.filter(status=RoleRequest.Status.PENDING).order_by("created_at", "pk"))
    decided = list(
        base.exclude(status=RoleRequest.Status.PENDING).order_by("-decided_at", "-pk")[
            :DECIDED_SHOWN
        ]
    )
    record_list(
        actor=actor,
        action="accounts.role_request.listed",
        model=RoleRequest,
        ids=[r.pk for r in pending + decided],
    )
    return RoleRequestQueue(pending=pending, decided=decided)


def role_request_get(*, pk: int) -> RoleRequest:
    return get_object_or_404(RoleRequest.objects.select_related("user"), pk=pk)

"""DRF helpers that keep the read audit on every API list."""

from __future__ import annotations

from typing import Any


class AuditedListMixin:
    """Records the ids on each returned page (``audit_list_action``) as a list read."""

    audit_list_action: str

    def paginate_queryset(self, queryset: Any) -> Any:
        from dapolice.audit.services import record_list

        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        rows = page if page is not None else list(queryset)
        record_list(
            actor=self.request.user,  # type: ignore[attr-defined]
            action=self.audit_list_action,
            model=queryset.model,
            ids=[row.pk for row in rows],
        )
        return page

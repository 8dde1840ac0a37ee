from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from dapolice.access.views import PolicyRequiredMixin
from dapolice.audit.filters import AuditEventFilter
from dapolice.audit.selectors import audit_event_list
from dapolice.audit.values import shown_values


class AuditEventListView(PolicyRequiredMixin, TemplateView):
    """The audit trail, newest first, filtered by who, action, record, kind and dates; values
    and reasons only where the reader is entitled to the record (``dapolice.audit.values``)."""

    policy = "audit.view"
    template_name = "audit/auditevent_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        data = self.request.GET or None
        filterset = AuditEventFilter(data)
        valid = filterset.is_valid() if data else True
        ctx["form"] = filterset.form
        user = self.request.user
        events = audit_event_list(actor=user, filters=data) if valid else []  # type: ignore[arg-type]
        # Values only where the reader is entitled to the record (dapolice.audit.values).
        shown = shown_values(user, events)  # type: ignore[arg-type]
        ctx["events"] = events
        ctx["rows"] = [(event, shown[event.pk]) for event in events]
        return ctx

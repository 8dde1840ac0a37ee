from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.audit.filters import AuditEventFilter
from dapolice.audit.selectors import audit_event_list


class AuditEventListView(PolicyRequiredMixin, TemplateView):
    """The audit trail, newest first, filtered by who, action, record, kind and dates."""

    policy = "audit.view"
    template_name = "audit/auditevent_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        data = self.request.GET or None
        filterset = AuditEventFilter(data)
        valid = filterset.is_valid() if data else True
        ctx["form"] = filterset.form
        ctx["events"] = audit_event_list(actor=self.request.user, filters=data) if valid else []  # type: ignore[arg-type]
        ctx["show_values"] = access.check(self.request.user, "audit.view_values")
        return ctx

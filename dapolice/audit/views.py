from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.audit.forms import AuditFilterForm
from dapolice.audit.selectors import audit_event_list


class AuditEventListView(PolicyRequiredMixin, TemplateView):
    """The audit trail, newest first, filtered by action prefix or record."""

    policy = "audit.view"
    template_name = "audit/auditevent_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        form = AuditFilterForm(self.request.GET or None)
        ctx["form"] = form
        ctx["events"] = audit_event_list(actor=self.request.user, **form.filters())
        ctx["show_values"] = access.check(self.request.user, "audit.view_values")
        return ctx

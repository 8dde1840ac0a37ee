from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from dapolice.access.views import PolicyRequiredMixin
from incidents import selectors


class IncidentListView(PolicyRequiredMixin, TemplateView):
    policy = "incidents.view"
    template_name = "incidents/incident_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        try:
            page = int(self.request.GET.get("page", "1"))
        except ValueError:
            page = 1
        ctx["page"] = page
        ctx["incidents"] = selectors.incident_list(user=self.request.user, page=page)
        return ctx

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.alerts import selectors, services
from dapolice.common.errors import DomainError

INBOX_PAGE_SIZE = 100


class AlertListView(PolicyRequiredMixin, TemplateView):
    policy = "alerts.inbox"
    template_name = "alerts/alert_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        show_all = self.request.GET.get("show") == "all"
        alerts = selectors.alert_list_for_user(
            user=self.request.user, include_acknowledged=show_all
        )
        ctx["alerts"] = list(alerts[:INBOX_PAGE_SIZE])
        ctx["show_all"] = show_all
        return ctx


class AlertCountView(PolicyRequiredMixin, View):
    """The inbox badge, polled by htmx (marked as background so it keeps no session alive)."""

    policy = "alerts.inbox"

    def get(self, request: HttpRequest) -> HttpResponse:
        count = selectors.alert_open_count(user=request.user)
        return render(request, "alerts/_inbox_count.html", {"inbox_count": count})


class AlertAcknowledgeView(PolicyRequiredMixin, View):
    policy = "alerts.inbox"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = selectors.alert_get_for_user(user=request.user, pk=pk)
        access.require(request.user, "alerts.acknowledge", alert)
        try:
            services.alert_acknowledge(actor=request.user, alert=alert)
        except DomainError as exc:
            messages.warning(request, exc.message)
        else:
            messages.success(request, _("Alert acknowledged."))
        return redirect("alerts:list")

"""The analysts' page of the matching models (issue 14): compare a trained model with the one
in use (figures, the match-weight chart as a table and an inline SVG) and promote it.

Not the Django admin: promotion goes through ``services.matching_model_promote``, which
re-evaluates both models and refuses a worse one; everything is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from dapolice.access.views import ObjectPolicyMixin, PolicyRequiredMixin
from dapolice.common.errors import DomainError
from dapolice.common.forms import error_summary, put_error
from dapolice.common.http import AuthenticatedHttpRequest
from incidents.matching import selectors, services
from incidents.matching.forms import PromotionForm
from incidents.matching.models import MatchingModel


class MatchingModelListView(PolicyRequiredMixin, TemplateView):
    """Every matching model, the one in use first."""

    policy = "incidents.matching.models"
    template_name = "incidents/matching_model_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["models"] = selectors.matching_model_list(user=self.user)
        return ctx


class MatchingModelDetailView(ObjectPolicyMixin, View):
    """One model beside the one in use; POST promotes it (with a reason)."""

    policy = "incidents.matching.models"
    template_name = "incidents/matching_model_detail.html"

    def get_object(self) -> MatchingModel:
        return selectors.matching_model_get_for_user(user=self.user, pk=self.kwargs["pk"])

    def _page(self, form: PromotionForm, *, status: int = 200) -> TemplateResponse:
        model = self.object
        ctx = selectors.matching_model_comparison(model=model)
        ctx.update(
            model=model,
            form=form,
            error_list=error_summary(form),
            labels=services.matching_model_evaluate(model=model),
            active_labels=services.matching_model_evaluate(model=ctx["active"]),
            bench=model.metrics.get("bench") or {},
            training=model.metrics.get("training") or {},
        )
        return TemplateResponse(self.request, self.template_name, ctx, status=status)

    def get(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        return self._page(PromotionForm())

    def post(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        form = PromotionForm(request.POST)
        if form.is_valid():
            try:
                services.matching_model_promote(
                    actor=request.user, model=self.object, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                put_error(form, exc)
            else:
                messages.success(request, _("The engine now serves this model's weights."))
                return redirect("incidents:matching-model", pk=self.object.pk)
        return self._page(form, status=400)

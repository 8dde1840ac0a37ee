from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.generic import TemplateView
from two_factor import views as two_factor_views

from dapolice.access.views import PolicyRequiredMixin


class HomeView(PolicyRequiredMixin, TemplateView):
    """The signed-in landing page: the user's tasks, by role."""

    policy = "accounts.home"
    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["roles"] = self.request.user.role_labels  # type: ignore[union-attr]
        return ctx


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through the same two-factor login (and lockout) as everyone else."""
    return redirect_to_login(request.get_full_path())


class MFADisableView(two_factor_views.DisableView):
    """Turning the second factor off is refused while the force requires it (403)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.MFA_REQUIRED:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

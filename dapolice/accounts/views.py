from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from two_factor import views as two_factor_views
from two_factor.utils import default_device

from dapolice import access
from dapolice.access.views import PolicyRequiredMixin
from dapolice.accounts import selectors, services
from dapolice.accounts.forms import ResetSetPasswordForm, RoleRequestDecisionForm
from dapolice.common.errors import Conflict, DomainError


class HomeView(PolicyRequiredMixin, TemplateView):
    """The signed-in landing page: the user's tasks, by role."""

    policy = "accounts.home"
    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["roles"] = self.request.user.role_labels  # type: ignore[union-attr]
        return ctx


class ActivityView(PolicyRequiredMixin, View):
    """The page says the user is at work (typing a long call note sends no other request).

    Any request without the background header counts as activity in ``IdleTimeoutMiddleware``;
    this one only answers, so the script can keep the session alive without loading a page.
    """

    policy = None  # every signed-in user: it reads and changes nothing

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=204)


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through the same two-factor login (and lockout) as everyone else; a
    user already signed in without admin access is refused (403), not shown a sign-in form."""
    if request.user.is_authenticated:
        raise PermissionDenied(_("The administration site is for system administrators."))
    return redirect_to_login(request.get_full_path())


class LoginView(two_factor_views.LoginView):
    """django-two-factor-auth's sign-in, without the repeated reads of a shift-change storm.

    The upstream view asks "has this user a second factor?" on every evaluation of its step
    conditions (four device queries per sign-in for a user without one), and reads the user
    back from the database after the password form has just authenticated them. Here the
    device lookup is made once per user per request and the authenticated user is kept, so a
    sign-in costs the password hash and the writes it must make (lockout reset, audit row,
    session) and little else. Lockout (axes), the audit row and the token step are unchanged.
    """

    def process_step(self, form: Any) -> Any:
        authenticating = self.steps.current == self.AUTH_STEP
        result = super().process_step(form)
        if authenticating:
            # The user the password form authenticated (backend set), not a second read of it.
            self.user_cache = (form.is_valid() and form.user_cache) or None
        return result

    def _default_device(self) -> Any:
        user = self.get_user()
        if not user:
            return None
        memo = self.__dict__.get("_device_memo")
        if memo is None or memo[0] != user.pk:  # keyed by user: never another user's answer
            memo = self._device_memo = (user.pk, default_device(user))
        return memo[1]

    def has_token_step(self) -> bool:
        return bool(self._default_device()) and not self.remember_agent

    def has_backup_step(self) -> bool:
        return (
            bool(self._default_device())
            and self.TOKEN_STEP not in self.storage.validated_step_data
            and not self.remember_agent
        )

    condition_dict = {
        two_factor_views.LoginView.TOKEN_STEP: has_token_step,
        two_factor_views.LoginView.BACKUP_STEP: has_backup_step,
    }


class MFADisableView(two_factor_views.DisableView):
    """Turning the second factor off is refused while the force requires it (403)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.MFA_REQUIRED:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RoleRequestListView(PolicyRequiredMixin, TemplateView):
    """The approvers' page: open role requests (approve or refuse each) and recent decisions."""

    policy = "accounts.decide_role_requests"
    template_name = "accounts/rolerequest_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        queue = selectors.role_request_queue(actor=user)  # type: ignore[arg-type]
        bound: dict[int, RoleRequestDecisionForm] = kwargs.get("bound_forms", {})
        ctx["pending"] = [
            (
                req,
                access.check(user, "accounts.decide_role_requests", req),
                bound.get(req.pk) or RoleRequestDecisionForm(prefix=f"r{req.pk}"),
            )
            for req in queue.pending
        ]
        ctx["decided"] = queue.decided
        return ctx


class RoleRequestDecideView(RoleRequestListView):
    """POST one decision; a refused form re-renders the page with its errors and what was typed."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        role_request = selectors.role_request_get(pk=pk)
        access.require(request.user, "accounts.decide_role_requests", role_request)
        form = RoleRequestDecisionForm(request.POST, prefix=f"r{pk}")
        if form.is_valid():
            try:
                services.role_request_decide(
                    actor=request.user,  # type: ignore[arg-type]
                    request=role_request,
                    approve=form.approve,
                    reason=form.cleaned_data["reason"],
                )
            except Conflict as exc:  # decided meanwhile: nothing left to re-render
                messages.warning(request, exc.message)
                return redirect("accounts:role-requests")
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                done = (
                    _("Approved: %(role)s for %(user)s.")
                    if form.approve
                    else _("Refused: %(role)s for %(user)s.")
                )
                names = {"role": role_request.get_role_display(), "user": role_request.user}
                messages.success(request, done % names)
                return redirect("accounts:role-requests")
        ctx = self.get_context_data(bound_forms={pk: form})
        return self.render_to_response(ctx, status=400)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link an administrator's reset sends: the user sets their own password, through
    ``user_password_reset_complete`` (audited; the user is told by e-mail)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        services.user_password_reset_complete(
            user=form.user, password=form.cleaned_data["new_password1"]
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"

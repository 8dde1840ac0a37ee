"""Idle timeout, the absolute session limit and enforced multi-factor authentication."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

#: Requests sent by the page itself (polling the inbox, refreshing the board) carry this header;
#: they must not keep an unattended session alive.
BACKGROUND_HEADER = "X-Dapolice-Background"
SESSION_KEY = "dapolice_last_activity"
#: When the user signed in (set by the ``user_logged_in`` receiver); never moved afterwards.
SIGNED_IN_KEY = "dapolice_signed_in_at"

# Pages a signed-in user without a verified second factor may open: signing in and out, setting
# up the second factor, and completing a password reset.
_MFA_EXEMPT_PREFIXES = (
    "/account/login/",
    "/account/logout/",
    "/account/two_factor/",
    "/account/reset/",
    "/static/",
    "/healthz",
    "/i18n/",
)


def mark_signed_in(request: HttpRequest) -> None:
    """Start the absolute session clock (called when the user signs in)."""
    request.session[SIGNED_IN_KEY] = time.time()


class IdleTimeoutMiddleware:
    """Signs a user out after ``SESSION_IDLE_TIMEOUT_MINUTES`` without a user action, and in
    any case ``SESSION_MAX_HOURS`` after they signed in (activity does not extend that)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            signed_in = request.session.get(SIGNED_IN_KEY)
            if signed_in is None or now - float(signed_in) > settings.SESSION_MAX_HOURS * 3600:
                # No sign-in time: a session from before the limit was kept; it ends once.
                return _end_session(
                    request,
                    "accounts.session.expired",
                    _("You were signed out %(h)d hours after you signed in. Sign in again.")
                    % {"h": settings.SESSION_MAX_HOURS},
                )
            last = request.session.get(SESSION_KEY)
            if last is not None and now - float(last) > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                return _end_session(
                    request,
                    "accounts.session.idle_timeout",
                    _("You were signed out after %(m)d minutes without activity.")
                    % {"m": settings.SESSION_IDLE_TIMEOUT_MINUTES},
                )
            if not request.headers.get(BACKGROUND_HEADER) and (
                last is None or now - float(last) >= settings.SESSION_ACTIVITY_WRITE_SECONDS
            ):
                # Not on every keystroke's search: a session write is a database write, and
                # the idle clock is counted from the last stamp written, so it can only end a
                # session up to SESSION_ACTIVITY_WRITE_SECONDS early, never late.
                request.session[SESSION_KEY] = now
        return self.get_response(request)


def _end_session(request: HttpRequest, action: str, message: str) -> HttpResponse:
    from dapolice.audit.services import record_access

    record_access(actor=request.user, action=action)  # type: ignore[arg-type]
    logout(request)
    messages.info(request, message)
    return _to_login(request)


class MFARequiredMiddleware:
    """With ``MFA_REQUIRED`` on, every page needs a session verified by a second factor.

    A user without a device is sent to set one up; one with a device but an unverified session
    (it cannot normally happen through our login) is sent back to sign in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.MFA_REQUIRED
            and request.user.is_authenticated
            and not request.user.is_verified()  # type: ignore[union-attr,attr-defined,unused-ignore]
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
        ):
            from django_otp import user_has_device

            if user_has_device(request.user):
                logout(request)
                return _to_login(request)
            return _redirect(request, reverse("two_factor:setup"))
        return self.get_response(request)


def _to_login(request: HttpRequest) -> HttpResponse:
    url = reverse(settings.LOGIN_URL)
    back = _back_to(request)
    if back:
        url = f"{url}?{urlencode({'next': back})}"
    return _redirect(request, url)


def _back_to(request: HttpRequest) -> str:
    """Where to return after signing in again: the page asked for, or, for a form sent after
    the session ended, the page of that form when it opens with GET (the intake page, where the
    script puts back what was typed); for htmx (a panel, a background poll), the page it came
    from. The path only: a query string may hold a search."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        return urlsplit(htmx.current_url_abs_path or "").path
    if request.method == "GET":
        return request.get_full_path()
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return ""
    view_class = getattr(view, "view_class", None)
    return request.path if view_class is not None and hasattr(view_class, "get") else ""


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        # An htmx swap would otherwise paste the login page into a panel.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)

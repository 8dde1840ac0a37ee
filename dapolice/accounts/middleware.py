"""Idle timeout and enforced multi-factor authentication."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

#: Requests sent by the page itself (polling the inbox, refreshing the board) carry this header;
#: they must not keep an unattended session alive.
BACKGROUND_HEADER = "X-Dapolice-Background"
SESSION_KEY = "dapolice_last_activity"

_MFA_EXEMPT_PREFIXES = ("/account/", "/static/", "/healthz", "/i18n/")


class IdleTimeoutMiddleware:
    """Signs a user out after ``SESSION_IDLE_TIMEOUT_MINUTES`` without a user action."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(SESSION_KEY)
            limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - float(last) > limit:
                from dapolice.audit.services import record_access

                record_access(actor=request.user, action="accounts.session.idle_timeout")
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(m)d minutes without activity.")
                    % {"m": settings.SESSION_IDLE_TIMEOUT_MINUTES},
                )
                return _to_login(request)
            if not request.headers.get(BACKGROUND_HEADER):
                request.session[SESSION_KEY] = now
        return self.get_response(request)


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
            and not request.user.is_verified()  # type: ignore[attr-defined]  # django-otp adds it
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
    if request.method == "GET" and not request.htmx:  # type: ignore[attr-defined]
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return _redirect(request, url)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        # An htmx swap would otherwise paste the login page into a panel.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)

"""Binds the request id and client address for the audit trail and log lines; keeps every
response out of caches."""

from __future__ import annotations

import re
from collections.abc import Callable

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from dapolice.common import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def _behind_proxy() -> bool:
    return settings.DAPOLICE_TRUSTED_PROXY_COUNT > 0


def client_ip(request: HttpRequest) -> str | None:
    """The client address exactly as django-axes reads it for the lockout log: django-ipware
    configured by ``AXES_IPWARE_*`` (X-Forwarded-For trusted only behind
    ``DAPOLICE_TRUSTED_PROXY_COUNT`` proxies), so the audit trail and axes never disagree."""
    return get_client_ip_address(request) or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A client-chosen id would let anyone make audit rows collide: trust the header only from
        # a configured reverse proxy that sets it.
        incoming = request.headers.get("X-Request-ID", "") if _behind_proxy() else ""
        request_id = incoming if _REQUEST_ID.match(incoming) else context.new_request_id()
        ctx = context.RequestContext(request_id=request_id, ip=client_ip(request))
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bound(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and ``private``) on every response the application makes.

    Case pages, a revealed refuge address, API answers and the admin must not stay in a shared
    computer's browser cache or a proxy. Static files are answered earlier by WhiteNoise and keep
    their long cache lifetimes; nothing personal is in them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response

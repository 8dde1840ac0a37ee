"""Turns a refused bulk read into a 429 page (or JSON for the API), with nothing personal."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from dapolice.audit.throttle import ReadRateExceeded
from dapolice.common.api import PROBLEM_CONTENT_TYPE, problem


class ReadRateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReadRateExceeded):
            return None
        message = _(
            "You have opened an unusually large number of records in a short time, so this "
            "has been stopped for a few minutes and the system administrators and control-room "
            "supervisors have been told. If you need bulk access, ask them."
        )
        response: HttpResponse
        if request.path.startswith("/api/"):
            # Problem details, as every API error (issue 13).
            response = JsonResponse(
                problem(429, message, code="read_rate"),
                status=429,
                content_type=PROBLEM_CONTENT_TYPE,
            )
        else:
            response = TemplateResponse(
                request,
                "audit/read_rate_exceeded.html",
                {"message": message, "minutes": settings.DAPOLICE_READ_RATE_WINDOW_MINUTES},
                status=429,
            )
            response.render()
        response["Retry-After"] = str(exception.retry_after)
        return response

"""API errors: a refused change is a clear 400/409 with the field, never a 500; and whatever the
cause (validation, a refusal, the database or Redis not answering, a bug), an error under ``/api/``
is JSON problem details (RFC 9457: ``type``, ``title``, ``status``, ``detail``), never the HTML
error page (issue 13, item 7).

DRF's own errors are also under ``errors`` (``{"errors": {"received_at": [...]}}``) and keep their
field keys as top-level extension members beside the problem-details members, except a field named
like a member (``status``), which is under ``errors`` only. An infrastructure fault answers 503
with ``Retry-After``; any other unhandled exception 500. Neither says more than its title and the
request id (no host, query or value): the traceback goes to the log.
"""

from __future__ import annotations

import copy
import logging
import sys
from http import HTTPStatus
from typing import Any

import redis
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import cached_property
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dapolice.common import context
from dapolice.common.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "request_id", "errors"})
#: Faults of what the app stands on, not of the request: 503, try again shortly.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (DatabaseError, redis.RedisError)
RETRY_AFTER_SECONDS = 5


def problem(status_code: int, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem-details members for ``status_code`` (``extra``: extension members)."""
    ctx = context.current()
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if ctx is not None:
        body["request_id"] = ctx.request_id
    body.update(extra)
    return body


def _infrastructure_detail() -> str:
    return "A service this request needs is not answering. Try again in a few seconds."


def exception_handler(exc: Exception, context_: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        code = (
            status.HTTP_409_CONFLICT if isinstance(exc, Conflict) else status.HTTP_400_BAD_REQUEST
        )
        body = problem(code, exc.message, code=exc.code)
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
            if exc.field not in _MEMBERS:
                body[exc.field] = [exc.message]
        return Response(body, status=code, content_type=PROBLEM_CONTENT_TYPE)
    response = drf_exception_handler(exc, context_)
    if response is not None:
        data = response.data
        if isinstance(data, dict):
            detail = data.get("detail")
            fields = {k: v for k, v in data.items() if k != "detail"}
            text = str(detail) if detail is not None else _validation_summary(fields)
        else:  # a list of non-field errors
            fields, text = {"non_field_errors": data}, "; ".join(str(e) for e in data)
        members = {k: v for k, v in fields.items() if k not in _MEMBERS}
        if fields:
            members["errors"] = fields
        response.data = problem(response.status_code, text, **members)
        response.content_type = PROBLEM_CONTENT_TYPE
        return response
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        request = context_.get("request")
        logger.error(
            "API request failed: %s unavailable (%s)",
            "database" if isinstance(exc, DatabaseError) else "Redis",
            type(exc).__name__,
            exc_info=exc,
            extra={"path": getattr(request, "path", "")},
        )
        return Response(
            problem(503, _infrastructure_detail()),
            status=503,
            content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return None  # Django's handler500 (below) answers, and logs the traceback.


def _validation_summary(members: dict[str, Any]) -> str:
    fields = ", ".join(sorted(members))
    return f"Invalid input: {fields}." if fields else "Invalid input."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _problem_response(status_code: int, detail: str) -> HttpResponse:
    response = JsonResponse(
        problem(status_code, detail), status=status_code, content_type=PROBLEM_CONTENT_TYPE
    )
    if status_code == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: problem details under ``/api/`` (503 for a database or Redis fault), the
    HTML 503 page elsewhere for such a fault, else the HTML 500 page. Django has already logged
    the traceback."""
    exc = sys.exc_info()[1]
    if not _is_api(request):
        if isinstance(exc, INFRASTRUCTURE_ERRORS):
            # The database or Redis is away for a moment: 503, so a page or an htmx region (the
            # match panel, the board) says "unavailable — retrying", never a 500 (issue 13).
            response = defaults.server_error(request, template_name="503.html")
            response.status_code = 503
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return defaults.server_error(request)
    if isinstance(exc, INFRASTRUCTURE_ERRORS):
        return _problem_response(503, _infrastructure_detail())
    return _problem_response(500, "Something went wrong. It has been logged; try again.")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _problem_response(404, "Not found.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _problem_response(403, "You do not have permission to do this.")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    return _problem_response(400, "Bad request.")


class CachedModelFieldsMixin:
    """For a ``ModelSerializer``: its fields built from the model once per class, then copied
    for each use (as DRF copies declared fields). DRF builds them again for every serializer
    (model field -> serializer field, labels, validators): on ``POST /api/incidents/`` that was
    about a tenth of the request's CPU. The fields depend on ``Meta`` and the declarations only
    (never on the instance or the request); labels and messages stay lazy (translated when
    shown)."""

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built: dict[str, Any] | None = cls.__dict__.get("_dapolice_built_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._dapolice_built_fields = built  # type: ignore[attr-defined]
        return copy.deepcopy(built)


class SharedFieldsMixin:
    """For an input-only ``Serializer`` whose fields read nothing of the request, the context,
    the instance or the parent serializer (plain fields: no related fields, no ``HiddenField``,
    no default that takes the serializer, never ``partial``): its fields built and bound once
    per class, on a prototype serializer with no data, and shared by every instance. DRF copies
    every declared field again for each serializer (``copy.deepcopy``, each field built anew):
    on ``POST /api/persons/match/``, sent at every keystroke, that was most of its validation.
    Validation keeps nothing on a field (errors and values are on the serializer), so the
    shared fields give the same values and errors; the prototype holds no request's data."""

    @cached_property
    def fields(self) -> Any:
        cls = type(self)
        shared = cls.__dict__.get("_dapolice_shared_fields")
        if shared is None:
            shared = super(SharedFieldsMixin, cls()).fields  # type: ignore[misc]
            cls._dapolice_shared_fields = shared  # type: ignore[attr-defined]
        return shared

"""DRF exception handling: a refused change is a clear 400/409 with the field, never a 500."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dapolice.common.errors import Conflict, DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        code = (
            status.HTTP_409_CONFLICT if isinstance(exc, Conflict) else status.HTTP_400_BAD_REQUEST
        )
        key = exc.field or "detail"
        return Response({key: [exc.message], "code": exc.code}, status=code)
    return drf_exception_handler(exc, context)

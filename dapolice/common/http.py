"""Typed requests: behind sign-in (``access.views``, ``access.api``), the user is a ``User``.

For annotations only: Django and DRF build the request objects; these classes say what the
access check before the handler has already made true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from dapolice.accounts.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        """The request of a view behind ``PolicyRequiredMixin``."""

        user: User

    class AuthenticatedRequest(Request):
        """The DRF request of an endpoint behind ``PolicyPermission``."""

        user: User

else:
    AuthenticatedHttpRequest = HttpRequest
    AuthenticatedRequest = Request


#: The highest list page a request may ask for: page 99999999999999999999 was an OFFSET out of
#: bigint's range, a 500 (issue 7, finding 9).
MAX_PAGE = 100_000


def page_number(params: Any) -> int:
    """The ``page`` of a query string (``request.GET`` or DRF's ``query_params``): 1 when absent
    or not a number, clamped to ``1..MAX_PAGE``."""
    try:
        return min(max(int(params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1

"""Typed requests: behind sign-in (``access.views``, ``access.api``), the user is a ``User``.

For annotations only: Django and DRF build the request objects; these classes say what the
access check before the handler has already made true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

"""Typed requests: behind sign-in (``access.views``, ``access.api``), the user is a ``User``.

For annotations only: Django and DRF build the request objects; these classes say what the
access check before the handler has already made true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property
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


class CappedPaginator(Paginator):
    """A ``Paginator`` that counts at most ``cap`` rows (``DAPOLICE_LIST_COUNT_CAP``).

    ``COUNT(*)`` of a filtered list reads every matching row: at a million incidents a broad
    filter ("received since last year") counted hundreds of thousands for a page of 50 (issue 8,
    item 9). This one counts ``cap + 1`` rows at most, in any order, and says whether there were
    more (``more``); the pages reach as far as the cap, and the page says to narrow the search.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap if cap is not None else settings.DAPOLICE_LIST_COUNT_CAP
        self.more = False

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list  # a QuerySet (a list would need no cap)
        counted = int(rows.order_by().values("pk")[: self.cap + 1].count())
        self.more = counted > self.cap
        return min(counted, self.cap)

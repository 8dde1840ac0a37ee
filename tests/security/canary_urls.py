"""The project's URLs plus one view that fails, for the canary's 500 page (test_canary.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


class CanaryBoom(RuntimeError):
    """An unexpected error in a view (its message carries nothing of the request)."""


def boom(request: HttpRequest) -> HttpResponse:
    raise CanaryBoom("unexpected failure in a view")


urlpatterns = [
    path("canary-boom/", boom, name="canary-boom"),
    path("", include("dapolice.urls")),
]

"""What the base layout needs on every page: navigation by role, inbox count, banners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def layout(request: HttpRequest) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "force_name": settings.DAPOLICE_FORCE_NAME,
        "embedded_demo": settings.EMBEDDED_DATABASE,
        "environment": settings.DAPOLICE_ENV,
        "protective_marking": "OFFICIAL-SENSITIVE",
        "mfa_required": settings.MFA_REQUIRED,
        # The live match panel searches this long after the last key (issue 8, item 7).
        "match_delay_ms": settings.DAPOLICE_MATCH_PANEL_DELAY_MS,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from dapolice.access.navigation import items_for
        from dapolice.alerts.selectors import alert_open_count

        ctx["nav_items"] = items_for(user)
        # Counted when a template shows it (the base layout), not for every fragment rendered
        # with the request (a live match panel on each keystroke).
        ctx["inbox_count"] = _Once(lambda: alert_open_count(user=user))
        # The idle warning (static/js/session.js) counts down the same limit as the middleware.
        ctx["idle_seconds"] = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        ctx["idle_warning_seconds"] = settings.SESSION_IDLE_WARNING_MINUTES * 60
    return ctx


class _Once:
    """A value computed on first use in a template (templates call callables), then kept."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._done = False
        self._value: Any = None

    def __call__(self) -> Any:
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value

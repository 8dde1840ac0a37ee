import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from health_check.views import HealthCheckView

from dapolice.accounts.choices import Role


class HealthzView(HealthCheckView):
    """``/healthz``: 200 when every check passes, 503 otherwise (issue 13, item 6).

    Anyone (a load balancer, a monitor) sees only ``OK`` or ``failing`` per check: no host, port
    or error text. A signed-in system administrator sees why a check fails. JSON by default
    (``?format=json`` too); ``?format=text`` or ``Accept: text/plain`` for one line per check.
    """

    checks = (
        "health_check.checks.Database",
        "dapolice.health.checks.Broker",
        "dapolice.health.checks.Worker",
        "dapolice.alerts.health.Alerting",
    )

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        status = 503 if any(result.error for result in self.results) else 200
        detailed = await _is_signed_in_administrator(request)
        body = {
            type(result.check).__name__: (
                "OK" if not result.error else (str(result.error) if detailed else "failing")
            )
            for result in self.results
        }
        wants_text = request.GET.get("format") == "text" or (
            "format" not in request.GET and "text/plain" in request.headers.get("accept", "")
        )
        if wants_text:
            text = "".join(f"{name}: {outcome}\n" for name, outcome in body.items())
            return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
        return JsonResponse(body, status=status)


async def _is_signed_in_administrator(request: HttpRequest) -> bool:
    """A signed-in (and, where required, second-factor verified) system administrator. Any fault
    reading the session (the database may be the failing check) means "no"."""

    def check() -> bool:
        user: Any = request.user
        if not user.is_authenticated or not user.has_role(Role.SYSADMIN):
            return False
        return not settings.MFA_REQUIRED or bool(getattr(user, "is_verified", lambda: False)())

    try:
        return await sync_to_async(check)()
    except Exception:  # noqa: BLE001 (a failing database must not turn /healthz into a 500)
        return False

"""Sign-in and sign-out go into the audit trail; a refused bulk read raises a security alert."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from dapolice.accounts.middleware import mark_signed_in
from dapolice.accounts.models import User
from dapolice.audit.services import record_access
from dapolice.audit.throttle import read_rate_exceeded


@receiver(user_logged_in, dispatch_uid="dapolice.audit.login")
def audit_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        mark_signed_in(request)
    record_access(actor=user, action="accounts.session.signed_in")


@receiver(user_logged_out, dispatch_uid="dapolice.audit.logout")
def audit_logout(
    sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        record_access(actor=user, action="accounts.session.signed_out")


@receiver(read_rate_exceeded, dispatch_uid="dapolice.accounts.read_rate_alert")
def alert_read_rate(
    sender: object, actor: User, records: int, window_minutes: int, **kwargs: Any
) -> None:
    from dapolice.accounts.services import read_rate_alert

    read_rate_alert(user=actor, records=records, window_minutes=window_minutes)

"""Sign-in and sign-out go into the audit trail."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from dapolice.audit.services import record_access


@receiver(user_logged_in, dispatch_uid="dapolice.audit.login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_access(actor=user, action="accounts.session.signed_in")


@receiver(user_logged_out, dispatch_uid="dapolice.audit.logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_access(actor=user, action="accounts.session.signed_out")

"""API authentication that keeps the second factor meaningful."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class MFATokenAuthentication(TokenAuthentication):
    """A token is a single factor: refused while the force requires two-factor sign-in.

    With ``DAPOLICE_MFA_REQUIRED`` on (production) the API is used through the signed-in,
    second-factor-verified browser session, which also carries the idle timeout.
    """

    def authenticate(self, request: Any) -> Any:
        result = super().authenticate(request)
        if result is not None and settings.MFA_REQUIRED:
            raise exceptions.AuthenticationFailed(
                _("API tokens are refused while two-factor sign-in is required.")
            )
        return result

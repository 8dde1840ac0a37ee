"""The DRF permission class: the same registry as the HTML views."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from dapolice import access


class PolicyPermission(BasePermission):
    """Requires an authenticated user and the view's ``policy`` (or ``policies[action]``).

    A view without a policy is refused, so a new endpoint is closed until someone opens it.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        policies: dict[str, str | None] = getattr(view, "policies", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action in policies:
            name = policies[action]
        elif hasattr(view, "policy"):
            name = view.policy
        else:
            return False
        return True if name is None else access.check(user, name)

"""The DRF side of ``access.views``: the same registry, checked once, before the handler.

:class:`PolicyPermission` (the default permission class) checks the view's policy;
:class:`ObjectPolicyApiMixin` loads one object through the view's selector (404 when not
visible) and checks the policy on it through DRF's object permissions. A refusal is a 403 whose
``detail`` says who may do it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from dapolice import access

if TYPE_CHECKING:
    from rest_framework.views import APIView


def _policy_name(request: Request, view: Any) -> tuple[bool, str | None]:
    """(declared, name): the view's policy for this request; ``None`` means open to anyone
    signed in."""
    policies: dict[str, str | None] = getattr(view, "policies", {})
    action = getattr(view, "action", None) or (request.method or "").lower()
    if action in policies:
        return True, policies[action]
    if hasattr(view, "policy"):
        return True, view.policy
    return False, None


class PolicyPermission(BasePermission):
    """Requires an authenticated user and the view's ``policy`` (or ``policies[action]``).

    A view without a policy is refused, so a new endpoint is closed until someone opens it.
    """

    message: str = ""

    def _allows(self, request: Request, view: Any, obj: Any = None) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        declared, name = _policy_name(request, view)
        if not declared:
            return False
        if name is None:
            return True
        if access.check(user, name, obj):
            return True
        self.message = access.refusal(name)
        return False

    def has_permission(self, request: Request, view: Any) -> bool:
        return self._allows(request, view)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return self._allows(request, view, obj)


class ObjectPolicyApiMixin:
    """For an ``APIView`` about one object: :meth:`select_object` (the selector: 404 when not
    visible, read audited), then the policy on it (:class:`PolicyPermission`, 403).

    A mixin, not an ``APIView`` subclass: DRF imports this module (the default permission class)
    while ``rest_framework.views`` is still loading."""

    def select_object(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must load its object via a selector")

    def get_object(self) -> Any:
        view = cast("APIView", self)
        obj = self.select_object()
        view.check_object_permissions(view.request, obj)
        return obj


class ApiDocsPermission(BasePermission):
    """The schema and Swagger views of drf-spectacular (``SERVE_PERMISSIONS``): the
    ``api.docs`` rule."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and access.check(user, "api.docs")

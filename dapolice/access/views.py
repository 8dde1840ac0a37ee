"""The base mixins every HTML view uses: access is decided here, once, so no view can forget it.

A view names its ``policy`` (a rule from the registry, which answers *who*); the mixin checks it
before the handler runs. The service the handler calls answers *when* (the record's state). So
no view calls ``access.check`` to allow or refuse, and no service repeats the view's check.

* :class:`PolicyRequiredMixin`: sign-in, then the policy.
* :class:`ObjectPolicyMixin`: also loads the view's object through its selector (404 when the
  user may not see it, the same as "does not exist") and checks the policy on that object.

A refusal is a 403 page that says who may do it (``access.refusal``); a view with a form
overrides :meth:`PolicyRequiredMixin.policy_denied` to re-render its page with what was typed and
the refusal above the form, never a bare 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse

from dapolice import access

if TYPE_CHECKING:
    from dapolice.accounts.models import User


class PolicyRequiredMixin(LoginRequiredMixin):
    """Requires sign-in, then the named access rule (a 403 page naming who may, when refused).

    ``policy`` names a rule from the registry; set it to ``None`` explicitly (with a comment)
    only for pages every signed-in user may open.
    """

    policy: ClassVar[str | None]
    request: HttpRequest
    kwargs: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not hasattr(type(self), "policy"):
            raise ImproperlyConfigured(f"{type(self).__name__} must set `policy`")
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.policy is not None and not self.has_access(self.policy):
            return self.policy_denied(access.refusal(self.policy))
        return super().dispatch(request, *args, **kwargs)

    @property
    def user(self) -> User:
        """The signed-in user: :meth:`dispatch` has sent anyone else to sign in."""
        return cast("User", self.request.user)

    def has_access(self, policy: str) -> bool:
        return access.check(self.request.user, policy)

    def policy_denied(self, message: str) -> HttpResponseBase:
        """The response to a refusal: the 403 page with ``message`` (who may do this)."""
        return TemplateResponse(self.request, "403.html", {"refusal": message}, status=403)


class ObjectPolicyMixin(PolicyRequiredMixin):
    """A page about one object: the role first, then the object loaded through its selector
    (404 when not visible; the selector writes the read audit), then the policy on the object.

    Subclasses implement :meth:`get_object` with their selector; handlers use ``self.object``.
    """

    object: Any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(type(self), "policy", None) is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must name the policy of its object")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must load its object via a selector")

    def has_access(self, policy: str) -> bool:
        if not super().has_access(policy):
            return False
        self.object = self.get_object()
        return access.check(self.request.user, policy, self.object)

"""The base mixins every HTML view uses, so no view can forget its access check."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

from dapolice import access


class PolicyRequiredMixin(LoginRequiredMixin):
    """Requires sign-in, then the named access rule (403 when refused).

    ``policy`` names a rule from the registry; set it to ``None`` explicitly (with a comment)
    only for pages every signed-in user may open. Object-level checks happen in the selector
    that loads the object (404 when not visible) and in the service (403 when not changeable).
    """

    policy: ClassVar[str | None]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not hasattr(type(self), "policy"):
            raise ImproperlyConfigured(f"{type(self).__name__} must set `policy`")
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.policy is not None:
            access.require(request.user, self.policy)
        return super().dispatch(request, *args, **kwargs)

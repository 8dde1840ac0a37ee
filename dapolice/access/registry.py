"""The policy registry: named predicates ``(user, obj) -> bool``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

Predicate = Callable[[Any, Any], bool]

_rules: dict[str, Predicate] = {}


def rule(name: str) -> Callable[[Predicate], Predicate]:
    """Register ``fn(user, obj=None) -> bool`` under a dotted name such as ``incidents.create``."""

    def register(fn: Predicate) -> Predicate:
        if name in _rules and _rules[name] is not fn:
            raise ImproperlyConfigured(f"access rule {name!r} registered twice")
        _rules[name] = fn
        return fn

    return register


def rules() -> dict[str, Predicate]:
    return dict(_rules)


def check(user: Any, name: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``name`` (to ``obj``). Inactive or anonymous users may not."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    try:
        predicate = _rules[name]
    except KeyError:
        # An unknown rule name is a programming error; failing closed hides it, so raise.
        raise ImproperlyConfigured(f"no access rule named {name!r}") from None
    return bool(predicate(user, obj))


def require(user: Any, name: str, obj: Any = None) -> None:
    """Raise ``PermissionDenied`` (403) unless :func:`check` allows it."""
    if not check(user, name, obj):
        raise PermissionDenied

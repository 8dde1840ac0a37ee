"""The policy registry: named predicates ``(user, obj) -> bool`` that answer *who*.

A rule says who may see or do something (role, object visibility), never *when* (the state of
the record: an incident already attended, a deadline passed). State preconditions are the
services' (``DomainError`` / ``Conflict``), checked under the lock they take.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise

    from dapolice.accounts.models import User

Predicate = Callable[[Any, Any], bool]
P = TypeVar("P", bound=Callable[..., bool])


@dataclass(frozen=True)
class Rule:
    predicate: Predicate
    #: Who may, in words for the refusal page ("a control-room supervisor").
    who: StrOrPromise


_rules: dict[str, Rule] = {}

DEFAULT_WHO = _("another role")


def rule(name: str, *, who: StrOrPromise = DEFAULT_WHO) -> Callable[[P], P]:
    """Register ``fn(user, obj=None) -> bool`` under a dotted name such as ``incidents.create``.

    ``who`` names, for a person refused, the roles that may (shown on the 403 page).
    """

    def register(fn: P) -> P:
        if name in _rules and _rules[name].predicate is not fn:
            raise ImproperlyConfigured(f"access rule {name!r} registered twice")
        _rules[name] = Rule(predicate=fn, who=who)
        return fn

    return register


def rules() -> dict[str, Predicate]:
    return {name: r.predicate for name, r in _rules.items()}


def _get(name: str) -> Rule:
    try:
        return _rules[name]
    except KeyError:
        # An unknown rule name is a programming error; failing closed hides it, so raise.
        raise ImproperlyConfigured(f"no access rule named {name!r}") from None


def check(user: User | AnonymousUser | None, name: str, obj: Any = None) -> bool:
    """True when ``user`` may do ``name`` (to ``obj``). Inactive or anonymous users may not."""
    registered = _get(name)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(registered.predicate(user, obj))


def refusal(name: str) -> str:
    """The sentence a refused person reads: who may do this instead (no record detail)."""
    return gettext("Only %(who)s may do this.") % {"who": _get(name).who}


def require(
    user: User | AnonymousUser | None, name: str, obj: Any = None, *, message: str | None = None
) -> None:
    """Raise ``PermissionDenied`` (403) naming who may, unless :func:`check` allows it."""
    if not check(user, name, obj):
        raise PermissionDenied(message or refusal(name))

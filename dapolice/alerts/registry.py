"""Deadline kinds and who is told when one passes.

Upper apps register a handler per deadline kind in their ``AppConfig.ready``; the handler turns a
fired deadline into the alerts to raise. This keeps ``alerts`` below every domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from dapolice.alerts.choices import Severity
from dapolice.alerts.models import Deadline


@dataclass(frozen=True)
class AlertSpec:
    title: str
    link: str = ""
    recipient_id: int | None = None
    recipient_role: str = ""
    recipient_agency_id: int | None = None
    severity: str = Severity.WARNING
    #: The user the alert is about; they may not acknowledge it.
    about_id: int | None = None


Handler = Callable[[Deadline], list[AlertSpec]]
_handlers: dict[str, Handler] = {}


def deadline_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not fn:
            raise ImproperlyConfigured(f"deadline kind {kind!r} has two handlers")
        _handlers[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler:
    try:
        return _handlers[kind]
    except KeyError:
        raise ImproperlyConfigured(f"no handler for deadline kind {kind!r}") from None

"""Deadline kinds and who is told when one passes.

Upper apps register a handler per deadline kind in their ``AppConfig.ready``; the handler turns a
fired deadline into the alerts to raise. This keeps ``alerts`` below every domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
#: ``(deadline, now) -> the next due time, or None``: a kind that recurs (a re-assessment every
#: 28 days until the case is closed) is re-armed in the transaction that fires it.
Repeat = Callable[[Deadline, datetime], datetime | None]
_repeats: dict[str, Repeat] = {}


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


def deadline_repeat(kind: str) -> Callable[[Repeat], Repeat]:
    """Register when a fired deadline of ``kind`` falls due again (``None``: it does not).

    The sweep re-arms the row in the transaction that raised its alerts, so a recurrence can
    never be lost between two transactions; the previous round's alerts stay in the inbox.
    """

    def register(fn: Repeat) -> Repeat:
        if kind in _repeats and _repeats[kind] is not fn:
            raise ImproperlyConfigured(f"deadline kind {kind!r} has two repeat rules")
        _repeats[kind] = fn
        return fn

    return register


def repeat_for(kind: str) -> Repeat | None:
    return _repeats.get(kind)

"""Per-request (or per-task) context for the audit trail: request id and client address.

The *actor* is never taken from here: every service receives it as a keyword argument, so a
background change cannot silently lose its author (style.md, example 2). Only the request id and
the client address travel this way, because a service has no request object and a background
change simply has neither.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "dapolice_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def unbind(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token = bind(ctx)
    try:
        yield ctx
    finally:
        unbind(token)

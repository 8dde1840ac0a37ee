"""A competing write landed at one chosen statement, for the race tests (one connection).

A service that looks a row up and inserts it when the look-up found none has a window between
the two in which a colleague's request may commit the same row; the unique constraint then
refuses the insert and the service's recovery path runs. Two real connections would hit that
window only by luck: these helpers land the competing write in it deterministically, through a
``connection.execute_wrapper`` on the test's own connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection

T = TypeVar("T")


@dataclass
class Landed(Generic[T]):
    """What the competing ``action`` returned (``value``), once its statement was met (``ran``)."""

    ran: bool = False
    value: T | None = None


@contextmanager
def after_first(start: str, *fragments: str, action: Callable[[], T]) -> Iterator[Landed[T]]:
    """While the block runs, ``action`` runs once, just after the first statement that starts
    with ``start`` (case-insensitive, e.g. ``"SELECT"``) and contains every one of
    ``fragments`` (verbatim) has run: a colleague's request committing between the block's
    look-up and its insert. The statements ``action`` runs itself pass through (its own look-up
    does not trigger it again). Yields a :class:`Landed` that receives what ``action`` returned;
    a block that ends without meeting the statement fails, as the race was never run."""
    with _at_first(start, fragments, action, after=True) as landed:
        yield landed


@contextmanager
def before_first(start: str, *fragments: str, action: Callable[[], T]) -> Iterator[Landed[T]]:
    """As :func:`after_first`, but ``action`` runs just before the first matching statement
    (e.g. a row taking the id an ``INSERT`` is about to be given)."""
    with _at_first(start, fragments, action, after=False) as landed:
        yield landed


@contextmanager
def _at_first(
    start: str, fragments: tuple[str, ...], action: Callable[[], T], *, after: bool
) -> Iterator[Landed[T]]:
    landed: Landed[T] = Landed()
    start = start.upper()

    def hook(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        met = (
            not landed.ran
            and sql.lstrip().upper().startswith(start)
            and all(fragment in sql for fragment in fragments)
        )
        if not met:
            return execute(sql, params, many, context)
        landed.ran = True  # before ``action``: its own statements pass through
        if after:
            result = execute(sql, params, many, context)
            landed.value = action()
            return result
        landed.value = action()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield landed
    assert landed.ran, f"no statement starting {start!r} with {fragments!r} ran in the block"

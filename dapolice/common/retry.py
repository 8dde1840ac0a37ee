"""Running a write again when PostgreSQL chose it as a deadlock's victim.

Every audited write takes the audit chain's advisory lock at its first audit row and holds it to
commit (``dapolice.audit.chain``), so a transaction that locks rows after auditing (a second new
address, a second linked person) can deadlock with one that locked those rows first and now waits
for the chain. PostgreSQL breaks the cycle by failing one transaction; since that transaction was
rolled back whole, running it once more is safe and is what the user expects (their call lands).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, transaction

T = TypeVar("T")
#: PostgreSQL's SQLSTATE for "deadlock detected" (psycopg2.DEADLOCK_DETECTED).
DEADLOCK_DETECTED = "40P01"
log = logging.getLogger(__name__)

#: Attempts in all (the first and its retries); a deadlock is rare, three in a row rarer still.
ATTEMPTS = 3


def is_deadlock(exc: BaseException) -> bool:
    """True when ``exc`` is PostgreSQL's "deadlock detected" (SQLSTATE 40P01)."""
    cause = exc.__cause__
    return getattr(cause, "pgcode", None) == DEADLOCK_DETECTED


def atomic_retrying_deadlocks(work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in ``transaction.atomic()``; if PostgreSQL fails it as a deadlock's victim,
    run it again (up to ``attempts`` in all). Any other error propagates at once. Inside an outer
    transaction the block is a savepoint, whose rollback releases the locks taken within it."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except OperationalError as exc:
            if attempt == attempts or not is_deadlock(exc):
                raise
            log.warning(
                "deadlock, retrying the transaction (attempt %d of %d)", attempt + 1, attempts
            )
    raise AssertionError("unreachable")  # pragma: no cover

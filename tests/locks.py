"""A row held by another transaction, for the SKIP LOCKED tests (two real connections)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


@contextmanager
def held_by_another_transaction(rows: Any, *, lock_timeout: str = "5s") -> Iterator[None]:
    """While the block runs, another connection (a colleague's page reading it for update)
    holds the row lock of ``rows``' one row and writes nothing. The block runs in a transaction
    whose lock waits end after ``lock_timeout``: code that waits on the held row fails with an
    error instead of hanging. Needs ``django_db(transaction=True)``: the row must be committed."""
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def colleague() -> None:
        try:
            with transaction.atomic():
                rows.select_for_update().values_list("pk").get()
                holding.set()
                release.wait(timeout=20)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    holder = threading.Thread(target=colleague)
    holder.start()
    try:
        assert holding.wait(timeout=20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
            yield
    finally:
        release.set()
        holder.join(timeout=20)
    assert not errors, errors

"""The hash chain that makes the audit trail tamper-evident.

Each row carries ``prev_hash`` (the ``chain_hash`` of the row before it) and its own
``chain_hash = HMAC-SHA256(key, prev_hash + canonical(row))``. The key (``AUDIT_CHAIN_KEY``) is
in the application's environment, never in the database, so someone who can write to the table
(the table owner, a stolen migration password) can remove, alter or insert rows but cannot make
the chain whole again: ``manage.py audit_verify`` finds the break.

Appending needs a serialisation point, or two concurrent requests would both chain to the same
predecessor. It is a PostgreSQL transaction-level advisory lock: taken before reading the head,
released when the writer's transaction commits (or rolls back), so the next writer reads the
committed head. It needs no privilege, and no row is ever updated (the runtime role has INSERT and
SELECT on the audit table only). On SQLite the writer's ``BEGIN IMMEDIATE`` already serialises.
Audited transactions queue for the lock.

On PostgreSQL the write is optimistic (:func:`append_if_head`): the application chains the rows
after the head it expects (read earlier, or the last one it wrote) and one statement takes the
lock, compares the head and inserts; only when another writer came first does it chain again
after the head the statement found (a second round trip). Either way the head is compared
under the lock, so the chain stays one line.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections
from django.utils import timezone

GENESIS = "0" * 64
#: ``int.from_bytes(b"dpaudit\0")``: the advisory lock that orders the chain.
LOCK_KEY = 7237391758008087552
#: The fields a row's hash covers (the id is not: the links fix the order).
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_roles",
    "kind",
    "action",
    "subject_type",
    "subject_id",
    "object_ids",
    "changes",
    "reason",
    "ip",
    "request_id",
)


def chain_key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode()


def _normalise(value: object) -> object:
    """JSON values as they come back from PostgreSQL ``jsonb``: an integral float is read back
    as an int (``1e16`` → ``10000000000000000``), so both sides hash it as an int."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    return value


def _canonical(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if name == "ip":
        return str(ipaddress.ip_address(str(value)))
    return _normalise(value)


def digest(prev_hash: str, row: Mapping[str, object], key: bytes | None = None) -> str:
    """The ``chain_hash`` of ``row`` (a mapping of :data:`HASHED_FIELDS`) after ``prev_hash``."""
    body = {name: _canonical(name, row.get(name)) for name in HASHED_FIELDS}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(
        key or chain_key(), f"{prev_hash}\n{payload}".encode(), hashlib.sha256
    ).hexdigest()


def head_for_append(using: str, table: str) -> str:
    """Take the chain lock (PostgreSQL) and return the hash of the last row.

    Must run inside the transaction that inserts the row. The lock and the read are two
    statements in one round trip: the read must start after the lock is held, so that it sees
    the row the previous holder committed (each statement takes its own snapshot).
    """
    connection = connections[using]
    read = f"SELECT chain_hash FROM {connection.ops.quote_name(table)} ORDER BY id DESC LIMIT 1"  # noqa: S608 (our own table name)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No parameters: a constant key, so the two statements go as one simple query.
            cursor.execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY}); {read}")
        else:
            cursor.execute(read)
        row = cursor.fetchone()
    return str(row[0]) if row and row[0] else GENESIS


def append_if_head(
    using: str, expected: str, rows: list[Mapping[str, object]]
) -> tuple[list[int] | None, str]:
    """Insert ``rows`` (chained after ``expected``) if ``expected`` is still the head: one
    statement, PostgreSQL only (``audit_append``, migration 0005).

    The function takes the chain lock and reads the head under it; it returns the new rows'
    ids, or ``None`` and the head it found when another writer came first (nothing inserted:
    chain after that head and write again; inside a transaction the lock is still held).
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ids, head FROM audit_append(%s, %s::jsonb)",
            [expected, json.dumps(rows, separators=(",", ":"))],
        )
        ids, head = cursor.fetchone()
    return (None, str(head)) if ids is None else ([int(i) for i in ids], expected)


def stamp() -> datetime:
    """The row's time, taken under the lock so the chain's times follow its order."""
    return timezone.now()


@dataclass(frozen=True)
class Problem:
    event_id: int
    kind: str  # "altered" (the row's own hash fails) or "broken" (its link to the one before)
    message: str


def verify(rows: Iterator[Mapping[str, object]], key: bytes | None = None) -> Iterator[Problem]:
    """Walk ``rows`` (in id order, each with ``id``, ``prev_hash``, ``chain_hash`` and the
    hashed fields) and yield every break.

    A removed row breaks the link of the row after it; an altered row fails its own hash; an
    inserted row (backdated or not) fails its own hash and breaks the link of the row after it.
    Each row is checked against its *stored* predecessor hash, so one change gives one or two
    problems, not a cascade to the end of the table.
    """
    key = key or chain_key()
    expected = GENESIS
    previous_id: int | None = None
    for row in rows:
        event_id = int(str(row["id"]))
        if not row["chain_hash"]:
            yield Problem(event_id, "altered", f"row {event_id} is not sealed (no hash)")
        elif digest(str(row["prev_hash"]), row, key) != row["chain_hash"]:
            yield Problem(
                event_id,
                "altered",
                f"row {event_id} does not match its hash: altered, or not written by the "
                "application (an inserted row)",
            )
        if row["prev_hash"] != expected:
            after = f"row {previous_id}" if previous_id is not None else "the start"
            yield Problem(
                event_id,
                "broken",
                f"row {event_id} does not follow {after}: a row was removed or inserted "
                "between them",
            )
        expected = str(row["chain_hash"])
        previous_id = event_id

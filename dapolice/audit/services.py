"""Write the audit trail. Call these inside the transaction of the change they describe."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models, router, transaction

from dapolice.audit import chain, throttle
from dapolice.audit.models import AuditEvent
from dapolice.common import context
from dapolice.common.compiled import CompiledQuery
from dapolice.common.json import to_json_value

if TYPE_CHECKING:
    from dapolice.accounts.models import User

#: Kinds that show records to the actor: counted by the per-user read rate.
READ_KINDS = frozenset({AuditEvent.Kind.READ, AuditEvent.Kind.LIST, AuditEvent.Kind.SEARCH})
#: Record types the read rate does not count: staff accounts and the audit trail itself (an
#: auditor pages through hundreds of audit rows; those reads are audited, not throttled). Case
#: records (incidents, persons, addresses, and what risk, MASH and MARAC add) are counted.
UNTHROTTLED_TYPES = ("audit.", "accounts.")


def _jsonable(value: object) -> Any:  # JSON: whatever json.loads gives
    """``value`` exactly as the JSON column will give it back (so the row's hash is stable)."""
    return to_json_value(value)


def diff(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, list[object]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, object]:
    """The current values of ``fields`` (foreign keys as ids), for :func:`diff`."""
    out: dict[str, object] = {}
    for name in fields:
        field = cast("models.Field[Any, Any]", obj._meta.get_field(name))
        out[name] = getattr(obj, field.attname)
    return out


def _write(
    *,
    actor: User,
    kind: str,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    object_ids: Iterable[object] = (),
    changes: Mapping[str, object] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one row to the chain, in the caller's transaction (or one of its own).

    A read (``READ_KINDS``) first counts against the actor's read rate: over the limit it raises
    ``throttle.ReadRateExceeded`` and nothing is shown. If the row cannot be written, the
    exception propagates and the caller shows nothing either (fail closed).
    """
    if actor is None or getattr(actor, "pk", None) is None:
        raise ValueError("every audit event needs a named actor (use the system user for tasks)")
    if subject is not None:
        subject_type = subject._meta.label_lower
        subject_id = str(subject.pk)
    ids = [str(i) for i in object_ids]
    if kind in READ_KINDS and not subject_type.startswith(UNTHROTTLED_TYPES):
        shown = ids if ids else ([subject_id] if subject_id else [])
        throttle.reads_allow(actor=actor, records=[f"{subject_type}:{i}" for i in shown])
    ctx = context.current()
    event = AuditEvent(
        actor=actor,
        actor_roles=",".join(sorted(getattr(actor, "roles", ()) or ())),
        kind=kind,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        object_ids=ids,
        changes=_jsonable(dict(changes or {})),
        reason=reason,
        ip=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
    )
    pending = _batch.get()
    if pending is not None:  # written with the others when the batch ends (``batched``)
        pending.append(event)
        return event
    _append([event])
    return event


#: Attempts of the optimistic write outside a transaction before taking the lock first.
OPTIMISTIC_ATTEMPTS = 3
#: The head this process last wrote or found, per database: the guess of the next write (a
#: guess only; the database compares it under the lock). Shared by threads: a stale guess
#: costs a round trip, never a wrong link.
_last_head: dict[str, str] = {}


def _chain(events: list[AuditEvent], prev: str) -> None:
    """Stamp and hash ``events`` in order after ``prev``."""
    for event in events:
        event.prev_hash = prev
        event.at = chain.stamp()
        event.chain_hash = chain.digest(
            prev, {name: getattr(event, name) for name in chain.HASHED_FIELDS}
        )
        prev = event.chain_hash


def _insert(events: list[AuditEvent], using: str) -> None:
    if len(events) == 1:
        events[0].save(force_insert=True, using=using)
    else:
        AuditEvent.objects.using(using).bulk_create(events)


def _row(event: AuditEvent) -> dict[str, object]:
    """``event``'s columns as ``audit_append`` reads them (``jsonb_populate_recordset``)."""
    return {
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_roles": event.actor_roles,
        "kind": str(event.kind),
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "object_ids": event.object_ids,
        "changes": event.changes,
        "reason": event.reason,
        "ip": None if event.ip is None else str(event.ip),
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "chain_hash": event.chain_hash,
    }


def _append(events: list[AuditEvent], head: str | None = None) -> None:
    """Chain ``events`` in order after the head and insert them, however many rows.

    PostgreSQL: one statement when ``head`` (read earlier by the caller, or else the last head
    this process saw) is still the head (:func:`chain.append_if_head`); when another writer came
    first, the rows are chained again after the head found. Elsewhere (SQLite): the head read,
    then the INSERT, in one transaction."""
    using = router.db_for_write(AuditEvent)
    connection = connections[using]
    if connection.vendor != "postgresql":
        # No savepoint inside a caller's transaction: a failed audit write must fail it.
        with transaction.atomic(using=using, savepoint=False):
            _chain(events, chain.head_for_append(using, AuditEvent._meta.db_table))
            _insert(events, using)
        return
    guess = head or _last_head.get(using, chain.GENESIS)
    if connection.in_atomic_block:
        # Inside the caller's transaction: a failed write fails it (no savepoint). The lock
        # the statement takes is held until that transaction ends, so after a conflict the
        # head it found is still the head: a plain INSERT follows.
        with transaction.atomic(using=using, savepoint=False):
            _chain(events, guess)
            ids, found = chain.append_if_head(using, guess, [_row(e) for e in events])
            if ids is None:
                _chain(events, found)
                _insert(events, using)
            else:
                _inserted(events, ids, using)
        _last_head[using] = events[-1].chain_hash
        return
    # Autocommit: the statement is its own transaction (no BEGIN or COMMIT round trips), and
    # its lock ends with it: after a conflict, try again after the head found; then, if the
    # chain is that busy, take the lock first.
    for _ in range(OPTIMISTIC_ATTEMPTS):
        _chain(events, guess)
        ids, guess = chain.append_if_head(using, guess, [_row(e) for e in events])
        if ids is not None:
            _inserted(events, ids, using)
            _last_head[using] = events[-1].chain_hash
            return
    with transaction.atomic(using=using):
        _chain(events, chain.head_for_append(using, AuditEvent._meta.db_table))
        _insert(events, using)
    _last_head[using] = events[-1].chain_hash


def _inserted(events: list[AuditEvent], ids: list[int], using: str) -> None:
    """Mark ``events`` as the rows ``audit_append`` inserted (as ``save`` would)."""
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = using


_batch: ContextVar[list[AuditEvent] | None] = ContextVar("dapolice_audit_batch", default=None)


@contextmanager
def batched(head: str | None = None) -> Iterator[None]:
    """Audit rows recorded inside the block are written together when it ends: one statement
    for all of them (the live match panel records the people and the open incidents it
    shows). Use it around the reads of one response, and leave the block before the response
    is built: if the write fails, the exception propagates and nothing is shown (fail closed).
    Nothing is written when the block raises. The read-rate check still runs at each record.

    ``head`` is the chain's head as the caller read it (:data:`HEAD`, in a statement it sends
    anyway): the rows are chained after it, and written in one round trip if no other writer
    came first."""
    if _batch.get() is not None:  # already batching: the outer block writes
        yield
        return
    pending: list[AuditEvent] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending:
        _append(pending, head)


def _head_queryset() -> models.QuerySet[AuditEvent, Any]:
    return AuditEvent.objects.order_by("-id").values("chain_hash")[:1]


#: The chain's head, to read with other queries (``run_together``) before a :func:`batched`
#: write: ``head_of(rows)`` gives what to pass as its ``head``.
HEAD = CompiledQuery("audit.chain_head", _head_queryset, {})


def head_of(rows: list[dict[str, Any]]) -> str:
    """The head hash from :data:`HEAD`'s rows."""
    return str(rows[0]["chain_hash"] or chain.GENESIS) if rows else chain.GENESIS


def record_create(
    *, actor: User, action: str, subject: models.Model, fields: Iterable[str] = (), reason: str = ""
) -> AuditEvent:
    """A new record; ``fields`` are logged as ``[None, value]``."""
    changes = {name: [None, v] for name, v in snapshot(subject, fields).items()}
    return _write(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        action=action,
        subject=subject,
        changes=changes,
        reason=reason,
    )


def record_change(
    *,
    actor: User,
    action: str,
    subject: models.Model,
    changes: Mapping[str, object] | None = None,
    reason: str = "",
) -> AuditEvent:
    """A change to one record; ``changes`` is ``{field: [old, new]}`` (see :func:`diff`)."""
    return _write(
        actor=actor,
        kind=AuditEvent.Kind.CHANGE,
        action=action,
        subject=subject,
        changes=changes,
        reason=reason,
    )


def record_delete(
    *, actor: User, action: str, subject: models.Model, reason: str = ""
) -> AuditEvent:
    return _write(
        actor=actor, kind=AuditEvent.Kind.DELETE, action=action, subject=subject, reason=reason
    )


def record_read(*, actor: User, action: str, subject: models.Model, reason: str = "") -> AuditEvent:
    """One record was shown to ``actor``."""
    return _write(
        actor=actor, kind=AuditEvent.Kind.READ, action=action, subject=subject, reason=reason
    )


def record_list(
    *,
    actor: User,
    action: str,
    model: type[models.Model],
    ids: Iterable[object],
    kind: str = AuditEvent.Kind.LIST,
    changes: Mapping[str, object] | None = None,
) -> AuditEvent:
    """A list or search result was shown: one row naming every record on the page.

    ``changes`` may carry the (non-personal) filter names used; search terms are not stored.
    """
    return _write(
        actor=actor,
        kind=kind,
        action=action,
        subject_type=model._meta.label_lower,
        object_ids=ids,
        changes=changes,
    )


def record_access(
    *,
    actor: User,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    reason: str = "",
    changes: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Sign-in, sign-out, break-glass and exports."""
    return _write(
        actor=actor,
        kind=AuditEvent.Kind.ACCESS,
        action=action,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        changes=changes,
    )


def configuration_save(
    *, actor: User, obj: models.Model, fields: Iterable[str], created: bool
) -> models.Model:
    """Save an admin-edited configuration row (an agency, an attendance category, a rural area)
    with its audit row: ``<app>.<model>.created`` with the values, or ``.changed`` with
    ``[old, new]`` of the ``fields`` that changed. Rows with rules of their own have services of
    their own; this is for plain configuration that a form has already validated."""
    names = [f for f in fields if f in {x.name for x in obj._meta.concrete_fields}]
    prefix = obj._meta.label_lower
    with transaction.atomic():
        model = type(obj)
        before = {} if created else snapshot(model._default_manager.get(pk=obj.pk), names)
        obj.save()
        if created:
            record_create(actor=actor, action=f"{prefix}.created", subject=obj, fields=names)
        else:
            changes = diff(before, snapshot(obj, names))
            if changes:
                record_change(actor=actor, action=f"{prefix}.changed", subject=obj, changes=changes)
    return obj


def configuration_delete(*, actor: User, obj: models.Model) -> None:
    """Delete an admin-edited configuration row, with its audit row."""
    with transaction.atomic():
        record_delete(actor=actor, action=f"{obj._meta.label_lower}.deleted", subject=obj)
        obj.delete()

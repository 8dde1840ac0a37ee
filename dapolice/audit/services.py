"""Write the audit trail. Call these inside the transaction of the change they describe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import models

from dapolice.audit.models import AuditEvent
from dapolice.common import context
from dapolice.common.json import to_json_value

_jsonable = to_json_value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        key: [_jsonable(before.get(key)), _jsonable(after.get(key))]
        for key in after
        if before.get(key) != after.get(key)
    }


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (foreign keys as ids), for :func:`diff`."""
    out: dict[str, Any] = {}
    for name in fields:
        field = cast("models.Field[Any, Any]", obj._meta.get_field(name))
        out[name] = getattr(obj, field.attname)
    return out


def _write(
    *,
    actor: Any,
    kind: str,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    object_ids: Iterable[Any] = (),
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    if actor is None or getattr(actor, "pk", None) is None:
        raise ValueError("every audit event needs a named actor (use the system user for tasks)")
    if subject is not None:
        subject_type = subject._meta.label_lower
        subject_id = str(subject.pk)
    ctx = context.current()
    return AuditEvent.objects.create(
        actor=actor,
        actor_roles=",".join(sorted(getattr(actor, "roles", ()) or ())),
        kind=kind,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        object_ids=[str(i) for i in object_ids],
        changes=_jsonable(dict(changes or {})),
        reason=reason,
        ip=ctx.ip if ctx else None,
        request_id=ctx.request_id if ctx else "",
    )


def record_create(
    *, actor: Any, action: str, subject: models.Model, fields: Iterable[str] = (), reason: str = ""
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
    actor: Any,
    action: str,
    subject: models.Model,
    changes: Mapping[str, Any] | None = None,
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
    *, actor: Any, action: str, subject: models.Model, reason: str = ""
) -> AuditEvent:
    return _write(
        actor=actor, kind=AuditEvent.Kind.DELETE, action=action, subject=subject, reason=reason
    )


def record_read(*, actor: Any, action: str, subject: models.Model, reason: str = "") -> AuditEvent:
    """One record was shown to ``actor``."""
    return _write(
        actor=actor, kind=AuditEvent.Kind.READ, action=action, subject=subject, reason=reason
    )


def record_list(
    *,
    actor: Any,
    action: str,
    model: type[models.Model],
    ids: Iterable[Any],
    kind: str = AuditEvent.Kind.LIST,
    changes: Mapping[str, Any] | None = None,
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
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
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

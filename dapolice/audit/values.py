"""Who sees the values an audit row holds (issue 7: the audit trail must not show case content
to an auditor whose role may not open the case).

An audit row's ``changes`` (``{field: [old, new]}``) and ``reason`` can be case content: a DASH's
children's details, the MASH's police intelligence, a MARAC action. Reading the trail
(``audit.view``) shows *that* a record was read or changed, by whom and when, to every auditor:
"who looked at this victim?" is always answerable. The *values* are shown only to a police
auditor (``audit.view_values``) who is also entitled to the record the row is about:

* **Record types** are classified by the app that owns them, next to its access rules
  (``policies.py``), with :func:`auditor` (configuration and staff records: a police auditor
  sees their values) or :func:`record` (case records: only a viewer the record's own
  ``QuerySet.visible_to`` shows it to, or, for a part of a record, the record it belongs to
  through ``via``). A record type nobody classified shows no values at all (fail closed);
  ``tests/dapolice/test_audit_values.py`` fails when a model of ours is not classified.
* **Fields** that are never shown in the trail, whoever reads it (the location of an address,
  which may be a refuge), are named with ``withheld=``.

Anything not shown reads :data:`WITHHELD`; the field's name stays, so the auditor sees which
fields changed. A system administrator (no ``audit.view_values``) sees field names only, as
before. Used by the audit page, its API and its admin alike (:func:`shown_values`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models

from dapolice import access

if TYPE_CHECKING:
    from dapolice.accounts.models import User
    from dapolice.audit.models import AuditEvent

#: What a value the reader is not entitled to reads as.
WITHHELD = "(withheld)"
#: What a reason reads as for a reader who sees no values (a system administrator).
RECORDED = "(recorded)"


@dataclass(frozen=True)
class Classification:
    """How the values of one record type's audit rows are shown.

    ``via`` is ``None`` for configuration and staff records (any police auditor), ``()`` for a
    case record (the record itself must be visible to the reader) or the names of its foreign
    keys to the records it belongs to (every one set must be visible). ``withheld`` fields are
    never shown."""

    via: tuple[str, ...] | None
    withheld: frozenset[str] = frozenset()


_CLASSES: dict[str, Classification] = {}


def auditor(*labels: str, withheld: Iterable[str] = ()) -> None:
    """Record types (``app.model``; ``""`` for rows about no record) whose audited values any
    police auditor may see: configuration, staff accounts, alerts, the trail itself."""
    for label in labels:
        _CLASSES[label] = Classification(via=None, withheld=frozenset(withheld))


def record(label: str, *, via: Sequence[str] = (), withheld: Iterable[str] = ()) -> None:
    """A case record type: its audited values are shown to a police auditor who may see the
    record (``visible_to``) or, with ``via``, the record(s) it belongs to."""
    _CLASSES[label] = Classification(via=tuple(via), withheld=frozenset(withheld))


def classification(label: str) -> Classification | None:
    return _CLASSES.get(label)


def classified() -> dict[str, Classification]:
    return dict(_CLASSES)


@dataclass
class Shown:
    """What a reader is shown of one row: ``values`` is False for a reader who sees field names
    only (``changes`` then maps each field to ``None``); withheld values read :data:`WITHHELD`."""

    values: bool
    changes: dict[str, list[Any] | None] = field(default_factory=dict)
    reason: str = ""

    @property
    def names(self) -> list[str]:
        return sorted(self.changes)


def _visible_to(model: type[models.Model], user: User) -> models.QuerySet[Any]:
    queryset = model._default_manager.all()
    visible_to = getattr(queryset, "visible_to", None)
    if visible_to is None:
        raise ImproperlyConfigured(
            f"{model._meta.label_lower} is classified as a case record for the audit trail's "
            "values but has no QuerySet.visible_to: classify it with via= its parent record"
        )
    result: models.QuerySet[Any] = visible_to(user)
    return result


def _clean_pks(model: type[models.Model], ids: Iterable[str]) -> dict[str, Any]:
    """``{stored id: primary key}`` for the ids that are valid keys of ``model``."""
    pk_field = model._meta.pk
    out: dict[str, Any] = {}
    for raw in ids:
        try:
            out[raw] = pk_field.to_python(raw)
        except (ValidationError, ValueError, TypeError):
            continue
    return out


def _visible_ids(model: type[models.Model], user: User, ids: set[str]) -> set[str]:
    """Which of ``ids`` (as stored in the trail) ``user`` may see, in one query."""
    pks = _clean_pks(model, ids)
    if not pks:
        return set()
    seen = {
        str(pk)
        for pk in _visible_to(model, user).filter(pk__in=pks.values()).values_list("pk", flat=True)
    }
    return {raw for raw, pk in pks.items() if str(pk) in seen}


def _entitled_ids(label: str, klass: Classification, user: User, ids: set[str]) -> set[str]:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return set()
    if not klass.via:
        return _visible_ids(model, user, ids)
    pks = _clean_pks(model, ids)
    fks = [model._meta.get_field(name) for name in klass.via]
    attnames = [f.attname for f in fks]
    rows = list(model._default_manager.filter(pk__in=pks.values()).values_list("pk", *attnames))
    parents_visible: list[set[str]] = []
    for position, fk in enumerate(fks):
        wanted = {str(row[position + 1]) for row in rows if row[position + 1] is not None}
        related = cast("type[models.Model]", fk.related_model)
        parents_visible.append(_visible_ids(related, user, wanted))
    entitled: set[str] = set()
    for row in rows:
        parents = [(str(v), parents_visible[i]) for i, v in enumerate(row[1:]) if v is not None]
        if parents and all(value in visible for value, visible in parents):
            entitled.add(str(row[0]))
    return {raw for raw, pk in pks.items() if str(pk) in entitled}


def _ids_of(event: AuditEvent) -> set[str]:
    if event.subject_id:
        return {event.subject_id}
    return {str(i) for i in event.object_ids or ()}


def shown_values(user: User, events: Sequence[AuditEvent]) -> dict[int, Shown]:
    """What ``user`` is shown of each event's values and reason, by event id: one query per
    record type on the page (two for a type classified ``via`` its parent)."""
    if not access.check(user, "audit.view_values"):
        return {
            e.pk: Shown(
                values=False,
                changes=dict.fromkeys(e.changes or {}),
                reason=RECORDED if e.reason else "",
            )
            for e in events
        }
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        klass = _CLASSES.get(event.subject_type)
        if klass is not None and klass.via is not None:
            wanted[event.subject_type] |= _ids_of(event)
    entitled = {
        label: _entitled_ids(label, _CLASSES[label], user, ids) for label, ids in wanted.items()
    }
    return {event.pk: _shown(event, entitled) for event in events}


def _shown(event: AuditEvent, entitled: dict[str, set[str]]) -> Shown:
    klass = _CLASSES.get(event.subject_type)
    if klass is None:
        allowed = False
    elif klass.via is None:
        allowed = True
    else:
        # A row about one record, or a list of them: entitled to every one shown.
        allowed = _ids_of(event) <= entitled.get(event.subject_type, set())
    withheld = klass.withheld if klass is not None else frozenset()
    changes: dict[str, list[Any] | None] = {}
    for name, change in (event.changes or {}).items():
        if allowed and name not in withheld:
            changes[name] = list(change) if isinstance(change, list | tuple) else [None, change]
        else:
            changes[name] = [WITHHELD, WITHHELD]
    reason = event.reason if allowed else (WITHHELD if event.reason else "")
    return Shown(values=True, changes=changes, reason=reason)

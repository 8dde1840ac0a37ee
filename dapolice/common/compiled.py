"""Querysets compiled to SQL once per shape, then run with other values (the hot paths).

Building and compiling a queryset (``filter`` -> ``build_filter``, ``as_sql``) costs more CPU
than PostgreSQL spends answering the small indexed queries of the call taker's search: on the
match endpoint it was most of the request outside the database (issues 8 and 13). A
:class:`CompiledQuery` builds its queryset with *sentinel* values in place of the ones that
change from call to call (ids, a time, a key typed), compiles it once, and afterwards only puts
the real values where the sentinels were: the same SQL text, the same rows, the same model
instances (``from_db``, ``select_related``, annotations, database converters) as the queryset
would give.

What may change between calls is only what is passed as a value. Anything else the builder
reads (a user's roles and permissions, which decide the visibility ``Q``) must be in ``key``:
an entry is reused only for the same key and the same list lengths. With
``DAPOLICE_COMPILED_SQL_CHECK`` (on in tests) every call also builds and compiles the queryset
with the real values and fails if the SQL or the parameters differ, so a builder that reads
something not in its key is caught by any test that runs it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

#: Entries kept per compiled query (users x list lengths); the least recently used go first.
#: A plan is ~40 KB (the compiled query it keeps to read rows with).
MAX_ENTRIES = 1024
#: A list of ids (``"[pk]"``) is padded to a multiple of this with ids no row has (negative),
#: so one plan serves 1 to 8 ids: a few plans per user instead of one per list length.
PK_PAD = 8


class _Sentinels:
    """Distinct values no real call passes, by kind: ints, strings, aware datetimes."""

    def __init__(self) -> None:
        self.n = 0

    def make(self, kind: str) -> Any:
        self.n += 1
        if kind == "int":
            return -7_300_000_000_000_000 - self.n
        if kind == "str":
            return f"~dapolice-sentinel-{self.n}~"
        if kind == "datetime":
            return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.n)
        raise ValueError(f"no sentinel for {kind!r}")


class _Plan:
    """One compiled shape: the SQL, its parameters with sentinels, and how to read the rows."""

    def __init__(self, queryset: QuerySet[Any], slots: dict[Any, tuple[str, int | None]]) -> None:
        self.db = queryset.db
        query = queryset.query
        self.compiler = query.get_compiler(using=self.db)
        self.empty = False
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:
            self.empty, self.sql, params = True, "", ()
        self.params = list(params)
        # Where each sentinel went: (parameter index, argument name, list position or None).
        self.where: list[tuple[int, str, int | None]] = []
        for index, value in enumerate(self.params):
            if isinstance(value, Hashable) and value in slots:
                name, position = slots[value]
                self.where.append((index, name, position))
        found = {(name, position) for _, name, position in self.where}
        if not self.empty and found != set(slots.values()):
            missing = sorted(str(s) for s in set(slots.values()) - found)
            raise ValueError(f"compiled query: values not found in its parameters: {missing}")
        self.values_names: list[str] | None = None
        self.select = self.compiler.select
        if getattr(queryset, "_fields", None) is not None or query.values_select:  # values()
            self.values_names = [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
            return
        klass_info = self.compiler.klass_info
        self.model: type[Model] = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in self.select[self.start : self.end]]
        self.related = get_related_populators(klass_info, self.select, self.db)
        self.annotations = dict(self.compiler.annotation_col_map)

    def bind(self, values: dict[str, Any]) -> list[Any]:
        params = list(self.params)
        for index, name, position in self.where:
            value = values[name]
            params[index] = value if position is None else value[position]
        return params

    def rows(self, params: list[Any]) -> list[Any]:
        if self.empty:
            return []
        cursor = connections[self.db].cursor()
        try:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        rows = self.compiler.results_iter([fetched]) if fetched else []
        if self.values_names is not None:
            names = self.values_names
            return [dict(zip(names, row, strict=True)) for row in rows]
        out = []
        for row in rows:
            obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.related:
                populator.populate(row, obj)
            for attr, position in self.annotations.items():
                setattr(obj, attr, row[position])
            out.append(obj)
        return out


class CompiledQuery:
    """``build(**values) -> QuerySet``, compiled once per ``key`` and list lengths.

    ``kinds`` names each argument's kind: ``"int"``, ``"str"``, ``"datetime"``, or a list of
    one of them (``"[int]"``: each element is a value; a list is deduplicated in order and its
    ``None`` dropped first, as ``__in`` does); ``"[pk]"`` is a list of row ids (positive),
    padded to a multiple of ``PK_PAD`` with negative ids that match nothing. Arguments not named
    in ``kinds`` are passed to ``build`` as they are and must be in ``key``.
    """

    def __init__(self, name: str, build: Callable[..., QuerySet[Any]], kinds: dict[str, str]):
        self.name = name
        self.build = build
        self.kinds = kinds
        self._plans: OrderedDict[Hashable, _Plan] = OrderedDict()
        self._lock = threading.Lock()

    def _normalise(self, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for name, kind in self.kinds.items():
            if kind.startswith("["):
                items = list(dict.fromkeys(v for v in values[name] if v is not None))
                if kind == "[pk]" and items:  # an empty list stays empty: no query at all
                    items += [-i for i in range(1, -len(items) % PK_PAD + 1)]
                out[name] = items
        return out

    def _plan(self, key: Hashable, values: dict[str, Any]) -> _Plan:
        lengths = tuple(len(values[n]) for n, kind in self.kinds.items() if kind.startswith("["))
        full_key = (key, lengths)
        with self._lock:
            plan = self._plans.get(full_key)
            if plan is not None:
                self._plans.move_to_end(full_key)
                return plan
        sentinels = _Sentinels()
        slots: dict[Any, tuple[str, int | None]] = {}
        args = dict(values)
        for name, kind in self.kinds.items():
            if kind.startswith("["):
                element = "int" if kind == "[pk]" else kind[1:-1]
                made = [sentinels.make(element) for _ in values[name]]
                slots.update({s: (name, i) for i, s in enumerate(made)})
                args[name] = made
            else:
                made = sentinels.make(kind)
                slots[made] = (name, None)
                args[name] = made
        plan = _Plan(self.build(**args), slots)
        with self._lock:
            self._plans[full_key] = plan
            while len(self._plans) > MAX_ENTRIES:
                self._plans.popitem(last=False)
        return plan

    def run(self, key: Hashable, **values: Any) -> list[Any]:
        """The rows (model instances, or dicts for a ``values()`` queryset)."""
        values = self._normalise(values)
        plan = self._plan(key, values)
        params = plan.bind(values)
        if settings.DAPOLICE_COMPILED_SQL_CHECK:
            self._check(plan, params, values)
        return plan.rows(params)

    def _check(self, plan: _Plan, params: Sequence[Any], values: dict[str, Any]) -> None:
        queryset = self.build(**values)
        try:
            sql, fresh = queryset.query.get_compiler(using=plan.db).as_sql()
        except EmptyResultSet:
            sql, fresh = "", ()
        if sql != plan.sql or (not plan.empty and list(fresh) != list(params)):
            raise AssertionError(
                f"compiled query {self.name}: the cached SQL differs from the queryset's "
                "(the builder reads something that is not in its key)"
            )


def user_key(user: Any) -> Hashable:
    """What the visibility rules (``visible_to``) read of a signed-in user, as a cache key:
    the user (their must-not-see list is a subquery on their id), whether they are active or a
    superuser, and their roles and permissions (``User.role_grants``)."""
    return (
        user.pk,
        bool(user.is_active),
        bool(getattr(user, "is_superuser", False)),
        user.role_grants(),
    )

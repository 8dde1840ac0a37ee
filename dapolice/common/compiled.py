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

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
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
        # A backend may pass a time as text (SQLite): the sentinel is found in that form and
        # the real value is put there in the same form.
        adapt = connections[self.db].ops.adapt_datetimefield_value
        adapted: dict[Any, tuple[str, int | None]] = {
            adapt(v): slot for v, slot in slots.items() if isinstance(v, datetime)
        }
        adapted = {v: slot for v, slot in adapted.items() if v not in slots}
        # Where each sentinel went: (parameter index, argument name, list position or None,
        # the adapter its value goes through or None).
        self.where: list[tuple[int, str, int | None, Callable[[Any], Any] | None]] = []
        for index, value in enumerate(self.params):
            if isinstance(value, Hashable) and value in slots:
                name, position = slots[value]
                self.where.append((index, name, position, None))
            elif isinstance(value, Hashable) and value in adapted:
                name, position = adapted[value]
                self.where.append((index, name, position, adapt))
        found = {(name, position) for _, name, position, _ in self.where}
        if not self.empty and found != set(slots.values()):
            missing = sorted(str(s) for s in set(slots.values()) - found)
            raise ValueError(f"compiled query: values not found in its parameters: {missing}")
        self.values_names: list[str] | None = None
        self.select = self.compiler.select
        self._json_sql: str | None = None
        self._readers: list[Callable[[Any], Any]] | None = None
        self._converters: tuple[dict[int, Any], bool, list[Any]] | None = None
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
        for index, name, position, adapt in self.where:
            value = values[name] if position is None else values[name][position]
            params[index] = value if adapt is None else adapt(value)
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
        return self.read(fetched)

    def as_json_column(self) -> str:
        """This query as one column of a :func:`run_together` statement: its rows as a JSON
        array of arrays (text), in the query's order (an aggregate over an ordered subquery
        with no join or grouping reads it in that order)."""
        if self._json_sql is None:
            self._json_readers()  # refuses a column JSON cannot carry exactly
            names = [f"c{i}" for i in range(len(self.select))]
            columns = ", ".join(f"t.{name}" for name in names)
            self._json_sql = (
                f"(SELECT coalesce(json_agg(json_build_array({columns})), '[]')::text "  # noqa: S608 (compiled SQL)
                f"FROM ({self.sql}) AS t({', '.join(names)}))"
            )
        return self._json_sql

    def _json_readers(self) -> list[Callable[[Any], Any]]:
        """Per column, what turns its JSON value into the value the database driver gives."""
        if self._readers is None:
            self._readers = [_json_reader(expr.output_field) for expr, _, _ in self.select]
        return self._readers

    def read_json(self, text: str) -> list[Any]:
        readers = self._json_readers()
        fetched = [
            tuple(v if v is None else read(v) for read, v in zip(readers, row, strict=True))
            for row in json.loads(text)
        ]
        return self.read(fetched)

    def _converted(self, fetched: list[Any]) -> Iterator[Any]:
        """``compiler.results_iter([fetched])``, with the column converters looked up once per
        plan (Django looks them up for every call: a tenth of reading a search's rows)."""
        if self._converters is None:
            fields = [s[0] for s in self.select[0 : self.compiler.col_count]]
            self._converters = (
                self.compiler.get_converters(fields),
                self.compiler.has_composite_fields(fields),
                fields,
            )
        converters, composite, fields = self._converters
        rows: Iterator[Any] = iter(fetched)
        if converters:
            rows = self.compiler.apply_converters(rows, converters)
        if composite:
            rows = self.compiler.composite_fields_to_tuples(rows, fields)
        return rows

    def read(self, fetched: list[Any]) -> list[Any]:
        """Model instances (or dicts) from the driver's rows, as the queryset makes them."""
        rows = self._converted(fetched) if fetched else []
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
        plan, params = self.prepare(key, values)
        return plan.rows(params)

    def prepare(self, key: Hashable, values: dict[str, Any]) -> tuple[_Plan, list[Any]]:
        """The plan for these values and its parameters (checked, see ``_check``)."""
        values = self._normalise(values)
        plan = self._plan(key, values)
        params = plan.bind(values)
        if settings.DAPOLICE_COMPILED_SQL_CHECK:
            self._check(plan, params, values)
        return plan, params

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


#: Column types whose JSON value is the driver's value (ints, strings, booleans); dates and
#: times are read back from their ISO text. Any other type is refused by :func:`run_together`.
_JSON_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "BooleanField",
    }
)


def _as_is(value: Any) -> Any:
    return value


def _json_reader(field: Any) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    if kind in ("ForeignKey", "OneToOneField"):
        field, kind = field.target_field, field.target_field.get_internal_type()
    if kind in _JSON_AS_IS:
        return _as_is
    if kind == "DateTimeField":
        return datetime.fromisoformat
    if kind == "DateField":
        return date.fromisoformat
    if kind == "UUIDField":
        return uuid.UUID
    if kind == "ArrayField" and field.base_field.get_internal_type() in _JSON_AS_IS:
        return _as_is
    raise ValueError(f"run_together: a {kind} column cannot be read from JSON exactly")


def run_together(*calls: tuple[CompiledQuery, Hashable, dict[str, Any]]) -> list[list[Any]]:
    """The rows of each ``(query, key, values)`` as ``query.run(key, **values)`` gives them, in
    one round trip on PostgreSQL: one statement whose columns are the queries, each a JSON
    array of its rows (PostgreSQL plans each as a subquery, with its own indexes). Elsewhere
    (SQLite) the queries run one after the other. The queries do not see each other's rows:
    one that needs another's result takes it as a subquery of its own."""
    plans = [query.prepare(key, values) for query, key, values in calls]
    if not plans:
        return []
    db = connections[plans[0][0].db]
    if db.vendor != "postgresql" or any(plan.db != db.alias for plan, _ in plans):
        return [plan.rows(params) for plan, params in plans]
    live = [(i, plan, params) for i, (plan, params) in enumerate(plans) if not plan.empty]
    out: list[list[Any]] = [[] for _ in calls]
    if not live:
        return out
    sql = "SELECT " + ", ".join(plan.as_json_column() for _, plan, _ in live)
    params = [value for _, _, plan_params in live for value in plan_params]
    cursor = db.cursor()
    try:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    for (i, plan, _), text in zip(live, row, strict=True):
        out[i] = plan.read_json(text)
    return out


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

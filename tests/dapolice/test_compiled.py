"""Querysets compiled once per shape (``dapolice.common.compiled``): the same rows as the
queryset, new values each run, and a builder that reads something outside its key is caught."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db.models import F, Value
from django.db.models.functions import Concat

from dapolice.common.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


def _permissions(ids: list[int], app: str):
    return (
        Permission.objects.filter(pk__in=ids, content_type__app_label=app)
        .select_related("content_type")
        .annotate(code=Concat(F("content_type__app_label"), Value("."), F("codename")))
        .order_by("pk")
    )


def _some(app: str, n: int) -> list[int]:
    return list(
        Permission.objects.filter(content_type__app_label=app)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )


def test_rows_are_the_querysets_with_new_values_each_run():
    compiled = CompiledQuery("test.permissions", _permissions, {"ids": "[int]", "app": "str"})
    for app in ("incidents", "accounts", "incidents"):
        ids = _some(app, 3)
        rows = compiled.run(None, ids=ids + [ids[0], None], app=app)  # as __in: once, no None
        expected = list(_permissions(ids, app))
        assert [p.pk for p in rows] == [p.pk for p in expected]
        assert [p.code for p in rows] == [p.code for p in expected]  # annotations
        assert [p.content_type.app_label for p in rows] == [app] * 3  # select_related
        assert rows[0].__dict__.keys() == expected[0].__dict__.keys()
    assert compiled.run(None, ids=[], app="incidents") == []  # an empty list: no query


def test_values_querysets_give_dicts():
    def build(ids: list[int]):
        return Permission.objects.filter(pk__in=ids).order_by("pk").values("pk", "codename")

    compiled = CompiledQuery("test.values", build, {"ids": "[int]"})
    ids = _some("incidents", 2)
    assert compiled.run(None, ids=ids) == list(build(ids))


def test_a_builder_reading_something_outside_its_key_is_caught(settings):
    settings.DAPOLICE_COMPILED_SQL_CHECK = True
    outside = {"app": "incidents"}

    def build(ids: list[int]):
        return Permission.objects.filter(pk__in=ids, content_type__app_label=outside["app"])

    compiled = CompiledQuery("test.outside", build, {"ids": "[int]"})
    compiled.run(None, ids=[1])
    outside["app"] = "accounts"  # not a value, not in the key: the cached SQL is stale
    with pytest.raises(AssertionError, match="not in its key"):
        compiled.run(None, ids=[1])
    assert len(compiled.run("accounts", ids=[1])) <= 1  # in the key: compiled afresh


def test_a_value_the_sql_does_not_carry_is_refused():
    def build(ids: list[int], app: str):
        return Permission.objects.filter(pk__in=ids)  # ``app`` is never used

    compiled = CompiledQuery("test.unused", build, {"ids": "[int]", "app": "str"})
    with pytest.raises(ValueError, match="not found"):
        compiled.run(None, ids=[1], app="incidents")


def test_the_redis_cache_reuses_one_client():
    from django.conf import settings as django_settings
    from django.core.cache import cache

    if not django_settings.REDIS_URL:
        pytest.skip("the Redis cache is used only with REDIS_URL")
    client = cache._cache.get_client("k")  # type: ignore[attr-defined]
    assert cache._cache.get_client("k") is client  # type: ignore[attr-defined]
    cache.set("dapolice-test-compiled", 1, 5)
    assert cache.get("dapolice-test-compiled") == 1


def test_lists_of_ids_share_one_plan_up_to_the_pad():
    """``"[pk]"`` lists are padded with ids no row has: one to eight ids, one compiled plan,
    and the same rows as the unpadded queryset; an empty list still sends no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dapolice.common import compiled as module

    def build(ids: list[int]):
        return Permission.objects.filter(pk__in=ids).order_by("pk")

    query = CompiledQuery("test.padded", build, {"ids": "[pk]"})
    ids = _some("incidents", module.PK_PAD + 1)
    for n in range(1, module.PK_PAD + 1):
        assert [p.pk for p in query.run(None, ids=ids[:n])] == ids[:n]
    assert len(query._plans) == 1
    assert [p.pk for p in query.run(None, ids=ids)] == ids  # nine: the next multiple
    assert len(query._plans) == 2
    with CaptureQueriesContext(connection) as captured:
        assert query.run(None, ids=[]) == []
    assert not captured.captured_queries


def _fields(obj: object) -> dict[str, object]:
    """An instance's values, its select_related objects' too (what a template or API reads)."""
    out: dict[str, object] = {}
    for name, value in vars(obj).items():
        if name == "_state":
            continue
        out[name] = value
    cached = obj._state.fields_cache  # type: ignore[attr-defined]
    for name, related in cached.items():
        out[f"{name}."] = _fields(related) if related is not None else None
    return out


def test_queries_run_together_give_what_each_gives_alone_in_one_round_trip(
    call_taker, log_incident
):
    """``run_together``: the match's own queries (dates, times, UUIDs, booleans, an array of
    phones, ``select_related``, a ``values()`` query, ordered and limited ones) give the same
    rows and values, in the same order, as each run alone; on PostgreSQL in one statement."""
    from datetime import date, timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dapolice.common.compiled import run_together, user_key
    from incidents import selectors as s
    from incidents.models import IncidentPerson, Marker

    victim = {"given_name": "Ann", "family_name": "Lee", "date_of_birth": date(1990, 2, 3)}
    victim["phones"] = ("07700 900123", "01603 000111")
    victim["lives_at_location"] = True  # 12 Mill Road, NR1 2AB: residents there
    incidents = [log_incident(victim=victim, category="A") for _ in range(3)]
    people = list(IncidentPerson.objects.values_list("person_id", flat=True).order_by("pk"))
    Marker.objects.create(kind="firearm", person_id=people[0])
    Marker.objects.create(kind="emergency", address=incidents[0].location)
    at = timezone.now()
    key = user_key(call_taker)
    pg = connection.vendor == "postgresql"  # the phones' array: PostgreSQL only
    where = {"postcode_key": "NR12AB", "house_key": "12"}
    calls = [
        (s._MATCH_PERSONS, (key, pg), {"user": call_taker, "ids": people, "with_phones": pg}),
        (s._MATCH_MARKERS_TYPED, key, {"user": call_taker, "ids": people[:2], **where}),
        (s._FLAG_ROWS, False, {"ids": people, "at": at, "window_start": at - timedelta(days=400)}),
        (s._RESIDENTS, (key, 3), {"user": call_taker, "exclude": people[:1], "limit": 3, **where}),
        (s._OPEN_INCIDENTS_AT, key, {"user": call_taker, "person_ids": people[:1], **where}),
        (s._MATCH_PERSONS, (key, False), {"user": call_taker, "ids": [], "with_phones": False}),
    ]
    alone = [query.run(k, **values) for query, k, values in calls]
    with CaptureQueriesContext(connection) as captured:
        together = run_together(*calls)
    assert len(captured.captured_queries) == (1 if pg else 5)
    assert [len(rows) for rows in alone] == [len(rows) for rows in together]
    assert all(alone[:5]), "every query returns rows: the comparison compares something"
    assert alone[5] == together[5] == []  # no ids: no query, no rows
    assert together[2] == alone[2]  # dicts
    pairs = zip(alone[:2] + alone[3:5], together[:2] + together[3:5], strict=True)
    for rows_alone, rows_together in pairs:
        assert [_fields(o) for o in rows_alone] == [_fields(o) for o in rows_together]
    if pg:
        assert sorted(together[0][0].phone_numbers) == ["+441603000111", "+447700900123"]
    assert together[4][0].reference == incidents[0].reference


@pytest.mark.postgres
def test_a_column_json_cannot_carry_exactly_is_refused():
    """Only the column types whose values come back exactly are read through JSON (a decimal
    or a JSON document would not): anything else is refused, not read approximately."""

    from dapolice.audit.models import AuditEvent
    from dapolice.common.compiled import run_together

    def build(ids: list[int]):
        return AuditEvent.objects.filter(pk__in=ids)  # its changes: a JSON document

    query = CompiledQuery("test.json_refused", build, {"ids": "[pk]"})
    with pytest.raises(ValueError, match="JSONField"):
        run_together((query, None, {"ids": [1]}))

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

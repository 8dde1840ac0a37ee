"""The benchmark harness runs end to end at a tiny size (in the test database), and its pieces."""

from __future__ import annotations

import pytest

from bench.datasets import DEFAULT_URL as DEFAULT
from bench.datasets import home_url, parse_sizes, size_label
from bench.harness import Context, Row, Timing, add_growth, discover, render, run_all
from incidents.models import Incident


def test_harness_runs_the_incident_benchmarks_end_to_end_at_a_tiny_size(db):
    lines: list[str] = []
    ctx = Context(sizes=[120], repeat=2, say=lines.append)
    assert ctx.in_place
    rows = run_all(ctx, discover(["bench_incidents"]))
    assert Incident.objects.count() == 120  # loaded once, creations rolled back
    names = {row.name for row in rows}
    assert "GET /incidents/ (default page, call taker)" in names
    assert "  bare SQL of its incident query" in names
    page = next(r for r in rows if r.name.startswith("GET /incidents/ (default"))
    assert page.n == 2
    assert page.median_ms > 0
    assert page.p95_ms >= page.median_ms
    assert page.ratios["÷ bare SQL"] > 0
    assert page.figures["queries"] > 0
    per_page = next(r for r in rows if r.name == "GET /incidents/ queries per page")
    assert set(per_page.figures) == {"10 rows", "100 rows"}
    created = [r for r in rows if r.name.startswith("incident_create")]
    assert len(created) == 2
    assert all(r.n == 2 for r in created)
    table = render(rows, ctx.notes)
    assert table.splitlines()[0].split()[:2] == ["benchmark", "size"]
    assert "120 incidents" in table
    assert not [n for n in ctx.notes if "failed" in n]


def test_discovery_lists_modules_and_packages_and_explains_a_missing_run():
    found = {name: (module, why) for name, module, why in discover()}
    assert found["bench_incidents"][0] is not None
    for _name, (module, why) in found.items():
        assert module is not None or "run(ctx)" in why


def test_a_failing_benchmark_is_noted_and_the_others_still_run():
    class Broken:
        @staticmethod
        def run(ctx):
            raise RuntimeError("boom")

    class Fine:
        @staticmethod
        def run(ctx):
            return [Row("fine", n=1, median_ms=1.0, p95_ms=1.0)]

    ctx = Context(sizes=[10], say=lambda _text: None)
    ctx.home = lambda: None  # no database needed
    rows = run_all(ctx, [("broken", Broken, ""), ("fine", Fine, ""), ("absent", None, "no run")])
    assert [r.name for r in rows] == ["fine"]
    assert any("broken: failed (RuntimeError: boom)" in n for n in ctx.notes)
    assert any("absent: skipped" in n for n in ctx.notes)


def test_growth_ratio_is_added_to_the_largest_size():
    rows = [
        Row("list", size=10_000, median_ms=2.0, module="m"),
        Row("list", size=100_000, median_ms=3.0, module="m"),
        Row("other", size=10_000, median_ms=5.0, module="m"),
    ]
    add_growth(rows)
    assert rows[1].ratios == {"100k/10k": 1.5}
    assert rows[0].ratios == {}
    assert rows[2].ratios == {}


def test_timing_median_and_nearest_rank_p95():
    timing = Timing([float(i) for i in range(1, 21)])
    assert timing.median == 10.5
    assert timing.p95 == 19.0
    assert Timing([4.0]).p95 == 4.0


def test_sizes_parse_and_label():
    assert parse_sizes("10k, 100k,1M") == [10_000, 100_000, 1_000_000]
    assert parse_sizes("2500") == [2500]
    assert [size_label(s) for s in (10_000, 1_000_000, 2500)] == ["10k", "1M", "2500"]
    with pytest.raises(ValueError, match="not a size"):
        parse_sizes("ten")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, DEFAULT),
        (
            {"DATABASE_URL": "postgres://u:p@db:5433/dapolice"},
            "postgres://u:p@db:5433/dapolice_bench",
        ),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dapolice_bench"},
            "postgres://postgres@127.0.0.1:5432/dapolice_bench",
        ),
        ({"DATABASE_URL": "sqlite:///var/x.sqlite3"}, DEFAULT),
        (
            {"BENCH_DATABASE_URL": "postgres://x@h/b", "DATABASE_URL": "postgres://y@h/dev"},
            "postgres://x@h/b",
        ),
    ],
)
def test_the_bench_never_uses_the_developers_database(environ, expected):
    assert home_url(environ) == expected


def test_the_sign_in_benchmark_measures_a_sign_in_and_its_hash(db):
    from bench import bench_sign_in

    rows = bench_sign_in.run(Context(sizes=[1], repeat=2, databases=None))
    post, hash_, rest = rows
    assert post.n == bench_sign_in.USERS  # one round: each user once
    assert post.median_ms > hash_.median_ms > 0
    assert post.figures["queries"] > 0
    assert "KiB" in hash_.note
    assert "ms" in rest.figures

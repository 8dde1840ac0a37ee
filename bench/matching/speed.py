"""Latency of a match search on PostgreSQL, server side, against the bare SQL it sends.

Rows for one data set size:

* ``match_persons: name + DOB/phone/address``: the engine (its one statement, then scoring in
  Python) for callers' queries as the panel sends them once a name and at least one other
  detail are typed (corrupted duplicates of persons on record, and new people), each query
  timed once after a warm-up pass over all of them;
* ``bare SQL of its candidate statement``: the very statement the engine sends for the same
  query (compiled beforehand), run with a cursor and fetched, interleaved with the engine so
  load on the shared machine skews both alike; the engine row shows engine ÷ bare SQL;
* ``POST /api/persons/match/``: the lead's endpoint through ``django.test.Client`` signed in
  as a call taker (visibility, flags, the audit row, JSON), in a transaction rolled back so
  the cached data set is left as loaded; the throttle's rate is raised for the bench only;
* the same two engine rows for name-only searches;
* ``EXPLAIN`` of each block of a full query and of a name-only query (``EXPLAIN ANALYZE``):
  which index each block uses, and that none scans a table.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.harness import Context, Row, Timing
from incidents.matching.engine import MatchQuery, candidate_statement, explain, match_persons

_SAVEPOINT = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")
_INDEX = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (\w+)")


def _compiled(query: MatchQuery) -> tuple[str, tuple] | None:
    return candidate_statement(query)


def _interleaved(
    ctx: Context, queries: Sequence[MatchQuery]
) -> tuple[Timing, Timing, float] | None:
    """(engine, bare SQL, mean candidates) over ``queries``, each timed once, interleaved."""
    compiled = [(q, c) for q in queries if (c := _compiled(q)) is not None]
    if not compiled:
        return None
    candidates = 0
    with connection.cursor() as cursor:
        for query, (sql, params) in compiled:  # warm-up: every query once, both ways
            candidates += len(match_persons(query, limit=10))
            cursor.execute(sql, params)
            cursor.fetchall()
        state = {"i": 0}

        def engine() -> None:
            match_persons(compiled[state["i"]][0], limit=10)

        def bare() -> None:
            sql, params = compiled[state["i"]][1]
            cursor.execute(sql, params)
            cursor.fetchall()
            state["i"] += 1

        timings = ctx.measure_interleaved(
            {"engine": engine, "bare": bare}, n=len(compiled), warmup=0
        )
    return timings["engine"], timings["bare"], candidates / len(compiled)


def _queries_per_search(query: MatchQuery) -> int:
    with CaptureQueriesContext(connection) as captured:
        match_persons(query)
    return len(captured.captured_queries)


def engine_rows(
    ctx: Context, size: int, label: str, queries: Sequence[MatchQuery]
) -> tuple[list[Row], Timing | None]:
    """The engine's row and its bare SQL's row; and the bare SQL timing."""
    measured = _interleaved(ctx, queries)
    if measured is None:
        return [], None
    engine, bare, shown = measured
    rows = [
        Row.timed(
            f"match_persons: {label}",
            engine,
            size=size,
            unit="persons",
            ratios={
                "÷ bare SQL": engine.median / bare.median,
                "p95 ÷ bare p95": engine.p95 / bare.p95,
            },
            figures={
                "queries per search": _queries_per_search(queries[0]),
                "candidates shown": f"{shown:.1f}",
            },
        ),
        Row.timed(
            f"  bare SQL of its candidate statement ({label})", bare, size=size, unit="persons"
        ),
    ]
    return rows, bare


@contextmanager
def _unthrottled() -> Any:
    from rest_framework.throttling import ScopedRateThrottle

    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "match": "1000000/min"}
    try:
        yield
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original


def _body(query: MatchQuery) -> str:
    """The JSON body the endpoint takes (a POST: no personal data in the URL)."""
    return json.dumps(
        {
            "given_name": query.given_name,
            "family_name": query.family_name,
            "postcode": query.postcode,
            "house": query.house,
            "date_of_birth": query.date_of_birth.isoformat() if query.date_of_birth else None,
            "phones": list(query.phones),
        }
    )


def endpoint_row(
    ctx: Context, size: int, queries: Sequence[MatchQuery], bare: Timing | None
) -> list[Row]:
    """The endpoint, in a transaction rolled back at the end (it writes an audit row)."""
    from django.test import Client

    from dapolice.accounts.choices import Role
    from dapolice.accounts.services import system_user, user_create

    bodies = [_body(q) for q in queries]
    rows: list[Row] = []
    with _unthrottled(), transaction.atomic():
        user = user_create(
            actor=system_user(),
            username="bench.matching.calltaker",
            password=None,
            roles=[Role.CALL_TAKER],
            first_name="Bench",
            last_name="Matching",
        )
        client = Client()
        client.force_login(user)
        state = {"i": 0}

        def get() -> None:
            # Each request's writes (its audit row, the session's last-activity time) are rolled
            # back at once: hundreds of updates of one session row in one open transaction
            # leave a chain of row versions every later request walks (the endpoint measured
            # ~150 ms at 100k persons for that alone).
            savepoint = transaction.savepoint()
            try:
                response = client.post(
                    "/api/persons/match/",
                    bodies[state["i"] % len(bodies)],
                    content_type="application/json",
                )
            finally:
                transaction.savepoint_rollback(savepoint)
            state["i"] += 1
            if response.status_code != 200:
                raise RuntimeError(f"/api/persons/match/ answered {response.status_code}")

        for _ in bodies:
            get()
        state["i"] = 0
        timing = ctx.measure(get, n=len(bodies), warmup=0)
        cpu = []  # this process's CPU per request: the endpoint's own work, without the waits
        for _ in range(min(len(bodies), ctx.repeat)):
            started = time.process_time()
            get()
            cpu.append((time.process_time() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            get()
        sent = [
            q for q in captured.captured_queries if not _SAVEPOINT.match(q["sql"])
        ]  # the bench's own savepoints, and the view's (a transaction when not under test)
        ratios = {"÷ engine's bare SQL": timing.median / bare.median} if bare else {}
        rows.append(
            Row.timed(
                "POST /api/persons/match/ (call taker): name + DOB/phone/address",
                timing,
                size=size,
                unit="persons",
                ratios=ratios,
                figures={
                    "queries per request": len(sent),
                    "CPU ms (median)": f"{statistics.median(cpu):.1f}",
                },
            )
        )
        transaction.set_rollback(True)
    return rows


def explain_blocks(ctx: Context, size: int, label: str, query: MatchQuery, *, verbose: bool) -> str:
    """One line: each block and the index its plan uses (``EXPLAIN ANALYZE``)."""
    plans = explain(query, analyze=True)
    parts = []
    for block, plan in plans.items():
        indexes = sorted(set(_INDEX.findall(plan)))
        scan = " + SEQ SCAN" if "Seq Scan" in plan else ""
        timing = re.search(r"Execution Time: ([\d.]+) ms", plan)
        took = f" {float(timing.group(1)):.2f} ms" if timing else ""
        parts.append(f"{block}: {'+'.join(indexes) or 'NO INDEX'}{scan}{took}")
        if verbose:
            ctx.say(f"   EXPLAIN ANALYZE {label} / {block}:")
            for line in plan.splitlines():
                ctx.say(f"      {line}")
    return f"EXPLAIN ANALYZE at {size:,} persons, {label}: " + "; ".join(parts)


def run_speed(
    ctx: Context,
    size: int,
    full: Sequence[MatchQuery],
    name_only: Sequence[MatchQuery],
    *,
    verbose_explain: bool,
) -> list[Row]:
    rows, bare = engine_rows(ctx, size, "name + DOB/phone/address", full)
    try:
        rows += endpoint_row(ctx, size, full, bare)
    except Exception as exc:  # the lead's endpoint may change under us; say so, keep the rest
        ctx.note(f"matching: POST /api/persons/match/ not timed at {size:,}: {exc}")
    more, _ = engine_rows(ctx, size, "name only", name_only)
    rows += more
    rich = next(
        (q for q in full if q.date_of_birth and q.phones and q.postcode and q.given_name), full[0]
    )
    ctx.note(explain_blocks(ctx, size, "a full query", rich, verbose=verbose_explain))
    ctx.note(explain_blocks(ctx, size, "a name-only query", name_only[0], verbose=verbose_explain))
    return rows

"""The incident list as sergeants, MASH and investigators use it (issue 8, item 9): a filtered,
sorted page and a searched page, server-side, at each data set size (target: p95 <= 50 ms at
1M incidents), with the queries per page.

Requests go through ``django.test.Client`` signed in as the bench call taker
(``bench_incidents``); the search term is posted once and kept in the session, as the page does.
Reads only: the audit rows each page writes are the page's real cost.
"""

from __future__ import annotations

from typing import Any

from bench.bench_incidents import _call_taker
from bench.harness import Context, Row

LIST_URL = "/incidents/"
FILTERED = {"status": "awaiting", "category": "A", "sort": "-deadline", "overdue": "true"}
DATED = {"received_after": "2025-01-01", "sort": "received"}
SEARCH = "Smith"


def run(ctx: Context) -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows: list[Row] = []
    for size in ctx.sizes:
        ctx.dataset("incidents", size)
        user = _call_taker()
        plain, searching = Client(), Client()
        plain.force_login(user)
        searching.force_login(user)
        searching.post(LIST_URL, {"q": SEARCH})

        def get(client: Any, params: dict[str, str]) -> Any:
            def call() -> None:
                response = client.get(LIST_URL, params)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {LIST_URL} answered {response.status_code}")

            return call

        fns = {
            "filtered": get(plain, FILTERED),
            "dated": get(plain, DATED),
            "searched": get(searching, {"status": "awaiting"}),
        }
        counts = {}
        for name, fn in fns.items():
            fn()  # steady state: the first request of a session also stamps its activity
            with CaptureQueriesContext(connection) as captured:
                fn()
            counts[name] = len(captured.captured_queries)
        timings = ctx.measure_interleaved(fns)
        cpu = {name: _cpu_ms(fn, ctx.repeat) for name, fn in fns.items()}
        labels = {
            "filtered": "GET /incidents/ open A overdue, by deadline",
            "dated": "GET /incidents/ received since a date, oldest first",
            "searched": f"GET /incidents/ search '{SEARCH}' (session), awaiting",
        }
        for name, label in labels.items():
            rows.append(
                Row.timed(
                    label,
                    timings[name],
                    size=size,
                    figures={"queries": counts[name], "CPU ms (median)": f"{cpu[name]:.1f}"},
                )
            )
    return rows


def _cpu_ms(fn: Any, n: int) -> float:
    """Median CPU time of this process per call: the page's own work, without the waits that a
    shared, loaded machine adds to the wall-clock figures (the database's time is not in it)."""
    import statistics
    import time

    samples = []
    for _ in range(n):
        started = time.process_time()
        fn()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)

"""Server CPU per request of the call taker's two hot endpoints (issues 8 and 13).

``POST /api/persons/match/`` (the search each call taker sends once a second), the intake
page's panel that runs the same search (``POST /incidents/new/match/``) and
``POST /api/incidents/`` (logging a call), through ``django.test.Client`` with the whole
middleware stack, signed in as a call taker, on the cached ``incidents`` data set the load test
serves (``bench/README.md``). Prints, per endpoint, this process's CPU per request
(``time.process_time`` over ``--n`` requests: the work the server does, whatever else the shared
machine runs), the wall-clock median and p95, and the SQL queries per request; ``--profile``
prints the top of a cProfile of one endpoint's requests.

Each request runs in a savepoint rolled back at once (the audit rows, the incident, the
session's last-activity stamp), inside a transaction rolled back at the end, so the cached set
is left as loaded; a rolled-back request does not commit, so on-commit work (task publishing)
is not counted. The throttles' rates are raised for the run only.

    DAPOLICE_ENV=demo .venv/bin/python -m bench.endpoint_cpu --size 10k --n 300
    DAPOLICE_ENV=demo .venv/bin/python -m bench.endpoint_cpu --only match --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.datasets import bench_call_taker, open_dataset, say

_SAVEPOINT = re.compile(r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")


def _measure(
    name: str, send: Callable[[int], Any], n: int, profile: bool, say: Callable[[str], None]
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(min(n, 30)):  # warm-up: caches, compiled templates, connection
        send(i)
    with CaptureQueriesContext(connection) as captured:
        send(n)
    sent = [q["sql"] for q in captured.captured_queries if not _SAVEPOINT.match(q["sql"])]
    wall = []
    cpu_started = time.process_time()
    for i in range(n):
        started = time.perf_counter()
        send(i)
        wall.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu_started) * 1000 / n
    wall.sort()
    result = {
        "endpoint": name,
        "n": n,
        "cpu_ms_per_request": round(cpu, 2),
        "wall_median_ms": round(statistics.median(wall), 2),
        "wall_p95_ms": round(wall[max(0, -(-95 * n // 100) - 1)], 2),
        "queries": len(sent),
    }
    say(
        f"{name}: CPU {cpu:.2f} ms/request over {n}; wall median {result['wall_median_ms']:.2f} "
        f"ms, p95 {result['wall_p95_ms']:.2f} ms; {len(sent)} queries"
    )
    for sql in sent:
        say(f"   {sql[:160]}")
    if profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
        for i in range(n):
            send(i)
        profiler.disable()
        profiler.dump_stats(f"var/profile_{name.split('/')[-2]}.prof")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(60)
        out.write("\n--- by own time ---\n")
        stats.sort_stats("tottime").print_stats(40)
        say(out.getvalue())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.endpoint_cpu", description=__doc__)
    parser.add_argument("--size", default="10k")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=300, help="requests timed per endpoint")
    parser.add_argument("--only", choices=["match", "panel", "incident"], default=None)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each")
    parser.add_argument("--json", default="", help="write the figures to this file too")
    args = parser.parse_args(argv)

    # The per-user read rate is counted (its Redis call is part of each request's cost) but one
    # user here opens thousands of records: a limit it must not reach (as in ``python -m bench``).
    open_dataset(
        "incidents",
        args.size,
        args.seed,
        CELERY_TASK_ALWAYS_EAGER="false",
        DAPOLICE_READ_RATE_LIMIT="1000000000",
    )
    from django.db import transaction
    from django.test import Client
    from rest_framework.throttling import ScopedRateThrottle

    from bench.loadtest import incident_payload, search_queries

    queries = [json.dumps(q) for q in search_queries(30, args.seed)]
    incidents = [json.dumps(incident_payload(json.loads(q), str(uuid.uuid4()))) for q in queries]
    ScopedRateThrottle.THROTTLE_RATES = {
        **ScopedRateThrottle.THROTTLE_RATES,
        "match": "1000000/min",
        "create": "1000000/min",
    }
    results = []
    with transaction.atomic():
        user = bench_call_taker("bench.cpu.calltaker", "CPU")
        client = Client()
        client.force_login(user)

        def post(path: str, body: Any, expect: set[int]) -> Any:
            savepoint = transaction.savepoint()
            try:
                if isinstance(body, dict):  # the intake page's panel: a form, sent by htmx
                    response = client.post(path, body, HTTP_HX_REQUEST="true")
                else:
                    response = client.post(path, body, content_type="application/json")
            finally:
                transaction.savepoint_rollback(savepoint)
            if response.status_code not in expect:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.content!r}")
            return response

        if args.only in (None, "match"):
            results.append(
                _measure(
                    "POST /api/persons/match/",
                    lambda i: post("/api/persons/match/", queries[i % len(queries)], {200}),
                    args.n,
                    args.profile,
                    say,
                )
            )
        if args.only in (None, "panel"):
            forms = [
                {"panel": "victim", **{f"victim-{k}": v for k, v in json.loads(q).items()}}
                for q in queries
            ]
            results.append(
                _measure(
                    "POST /incidents/new/match/ (panel)",
                    lambda i: post("/incidents/new/match/", forms[i % len(forms)], {200}),
                    args.n,
                    args.profile,
                    say,
                )
            )
        if args.only in (None, "incident"):
            results.append(
                _measure(
                    "POST /api/incidents/",
                    lambda i: post("/api/incidents/", incidents[i % len(incidents)], {201}),
                    args.n,
                    args.profile,
                    say,
                )
            )
        transaction.set_rollback(True)
    load = os.getloadavg()
    say(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"results": results, "loadavg": load}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

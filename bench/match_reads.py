"""Server time of the match's reads after the engine (issue 8, "Five queries" in the README).

For each of the load test's searches (``--rounds`` times): the engine's candidates, then the
persons, markers and flag rows ``incidents.selectors.person_match`` reads for them (and the
audit chain's head, read with them), as the one statement it sends (``run_together``) and as
the same queries sent one by one. Each is timed by PostgreSQL itself (``EXPLAIN (ANALYZE,
SUMMARY)``: planning plus execution, no round trip, no client), so the figure says what the
database does, whatever the shared machine's load adds to the wall clock. Read-only: a call
taker is created in a transaction rolled back at the end.

    DAPOLICE_ENV=demo .venv/bin/python -m bench.match_reads --size 10k
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

from bench.datasets import bench_call_taker, open_dataset, say


def _server_ms(cursor: Any, sql: str, params: list[Any]) -> float:
    cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql, params)
    lines = [row[0] for row in cursor.fetchall()]
    times = [line for line in lines if line.startswith(("Planning Time", "Execution Time"))]
    return sum(float(line.split(": ")[1].split(" ")[0]) for line in times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.match_reads", description=__doc__)
    parser.add_argument("--size", default="10k")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    open_dataset("incidents", args.size, args.seed)
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.loadtest import search_queries
    from dapolice.audit import services as audit_services
    from dapolice.common.compiled import user_key
    from incidents import selectors
    from incidents.matching.engine import MatchQuery, match_persons

    together: list[float] = []
    alone: list[float] = []
    with transaction.atomic():
        user = bench_call_taker("bench.match.reads", "Reads")
        key = user_key(user)
        searches = search_queries(30, args.seed)
        with connection.cursor() as cursor:
            for _ in range(args.rounds):
                for q in searches:
                    query = MatchQuery(
                        given_name=q.get("given_name", ""), family_name=q.get("family_name", "")
                    )
                    ids = [c.person_id for c in match_persons(query, limit=5)]
                    if not ids:
                        continue
                    at = timezone.now()
                    window = selectors._flag_window(at)[2]
                    calls: list[tuple[Any, Any, dict[str, Any]]] = [
                        (selectors._MATCH_PERSONS, (key, True), {"user": user, "ids": ids}),
                        (selectors._MATCH_MARKERS, None, {"ids": ids}),
                        (
                            selectors._FLAG_ROWS,
                            False,
                            {"ids": ids, "at": at, "window_start": window},
                        ),
                        (audit_services.HEAD, None, {}),  # the audit row's head, read with them
                    ]
                    calls[0][2]["with_phones"] = True
                    plans = [query_.prepare(k, v) for query_, k, v in calls]
                    live = [(plan, params) for plan, params in plans if not plan.empty]
                    sql = "SELECT " + ", ".join(plan.as_json_column() for plan, _ in live)
                    together.append(_server_ms(cursor, sql, [x for _, p in live for x in p]))
                    alone.append(sum(_server_ms(cursor, plan.sql, p) for plan, p in live))
        transaction.set_rollback(True)
    for name, times in (("one statement (run_together)", together), ("one by one", alone)):
        times.sort()
        p95 = times[max(0, -(-95 * len(times) // 100) - 1)]
        say(
            f"{name}: server ms per search median {statistics.median(times):.3f}, "
            f"p95 {p95:.3f} (n={len(times)})"
        )
    load = os.getloadavg()
    say(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

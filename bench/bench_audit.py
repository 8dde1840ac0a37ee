"""The audit trail's append: what the hash chain costs.

* a bare ORM insert of an audit row (no chain, no lock: what the app did before the chain);
* ``record_change`` (the advisory lock and the chain head in one round trip, the HMAC, the insert);
* ``record_read`` (the same, plus the per-user read rate's Redis call when ``REDIS_URL`` is set);
* rows per second with 1 and 4 concurrent writers, chained and bare (the chain's lock orders the
  writers and is held to commit).

Each write commits (autocommit, as a page's read audit does), in the home bench database, whose
audit table grows by a few thousand rows a run; no data set is needed or touched.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.harness import Context, Row

BENCH_USERNAME = "bench.auditor"
CONCURRENT_ROWS = 200


def run(ctx: Context) -> list[Row]:
    from dapolice.audit.models import AuditEvent
    from dapolice.audit.services import record_change, record_read

    ctx.home()
    user = _user()

    def bare() -> None:
        AuditEvent.objects.create(
            actor=user, kind="change", action="bench.audit.bare", subject_type="accounts.user",
            subject_id=str(user.pk),
        )  # fmt: skip

    timings = ctx.measure_interleaved(
        {
            "bare": bare,
            "change": lambda: record_change(actor=user, action="bench.audit.change", subject=user),
            "read": lambda: record_read(actor=user, action="bench.audit.read", subject=user),
        }
    )
    rows = [
        Row.timed("audit row: bare insert (no chain)", timings["bare"], unit="rows"),
        Row.timed(
            "audit row: record_change (chained)",
            timings["change"],
            unit="rows",
            ratios={"÷ bare": timings["change"].median / timings["bare"].median},
        ),
        Row.timed(
            "audit row: record_read (chained + read rate)",
            timings["read"],
            unit="rows",
            ratios={"÷ bare": timings["read"].median / timings["bare"].median},
        ),
    ]
    for writers in (1, 4):
        chained = _concurrent(user, writers, chained=True)
        plain = _concurrent(user, writers, chained=False)
        rows.append(
            Row(
                f"audit rows/s, {writers} concurrent writer(s)",
                unit="rows",
                figures={"chained": round(chained), "bare": round(plain)},
            )  # fmt: skip
        )
    return rows


def _user() -> Any:
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = user_create(
            actor=system_user(), username=BENCH_USERNAME, roles=[Role.CONTROL_SUPERVISOR]
        )
    return user


def _concurrent(user: Any, writers: int, *, chained: bool) -> float:
    from django.db import connection

    from dapolice.audit.models import AuditEvent
    from dapolice.audit.services import record_change

    start = threading.Barrier(writers)

    def one() -> None:
        if chained:
            record_change(actor=user, action="bench.audit.concurrent", subject=user)
        else:
            AuditEvent.objects.create(actor=user, kind="change", action="bench.audit.bare")

    def write() -> None:
        try:
            start.wait(timeout=60)
            for _ in range(CONCURRENT_ROWS):
                one()
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return writers * CONCURRENT_ROWS / (time.perf_counter() - began)

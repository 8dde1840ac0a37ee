"""``make faults`` runs end to end at its quick size, with real processes, its own redis-server on
a spare loopback port and its own database, and reports no lost, doubled, late or undelivered
alert (issue 9), and no 500 and no lost or doubled incident or audit row in the control room
(issue 13). The full run is ``make faults``.

* a worker SIGKILLed mid-run (on the shared PostgreSQL, a database of its own);
* PostgreSQL unavailable for a short time (5 s here, 20 s in ``make faults``): on the harness's
  own cluster (``initdb`` into a temporary directory, its own port), never the shared server;
* the control room while that cluster is down: the panel, the match API and the board answer 503
  ("unavailable — retrying"), never 500; incidents retried with their key are all logged once.

Skipped only when a binary is missing (``redis-server``, PostgreSQL's ``initdb``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


def _can_initdb() -> bool:
    """``initdb`` is installed, and (as root, which it refuses) a ``postgres`` user to run it."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and shutil.which("initdb") is None:
        return False
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return shutil.which("runuser") is not None


needs_initdb = pytest.mark.skipif(
    not _can_initdb(),
    reason="needs PostgreSQL's initdb (and, as root, a postgres user) for a private cluster",
)
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_faults(*argv: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    run = subprocess.run(  # noqa: S603 (our own tool)
        [
            sys.executable,
            "-m",
            "bench.faults",
            "--quick",
            "--port",
            str(_free_port()),
            "--pg-port",
            str(_free_port()),
            "--suffix",
            f"faults_test_{worker}",
            *argv,
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    return run.stdout


def rows(out: str) -> dict[str, dict[str, str]]:
    """Every table's rows (the alert table and the control-room table), by scenario."""
    lines = out.splitlines()
    found: dict[str, dict[str, str]] = {}
    for at, line in enumerate(lines):
        if not line.startswith("scenario "):
            continue
        header = [c.strip() for c in line.split("|")]
        for row in lines[at + 2 :]:
            if row.startswith(" ") or "|" not in row:
                break
            cells = dict(zip(header, [c.strip() for c in row.split("|")], strict=True))
            found[cells["scenario"]] = cells
    return found


@needs_redis
@pytest.mark.timeout(300)
def test_fault_harness_quick_run_reports_nothing_lost_or_doubled():
    (row,) = rows(run_faults("kill-worker")).values()
    assert row["scenario"] == "kill-worker"
    assert int(row["deadlines"]) == 20
    assert (row["lost"], row["doubled"], row["late>60s"], row["undelivered"]) == (
        "0", "0", "0", "0",
    )  # fmt: skip


@needs_redis
@needs_initdb
@pytest.mark.timeout(300)
def test_postgres_unavailable_loses_and_doubles_no_alert_and_the_control_room_answers_503():
    out = run_faults("postgres-down", "web-postgres-down")
    assert "own PostgreSQL stopped (fast shutdown) mid-run" in out
    found = rows(out)
    assert set(found) == {"postgres-down", "web-postgres-down"}
    alerts, web = found["postgres-down"], found["web-postgres-down"]
    assert int(alerts["deadlines"]) == 20
    assert (alerts["lost"], alerts["doubled"], alerts["late>60s"], alerts["undelivered"]) == (
        "0", "0", "0", "0",
    )  # fmt: skip
    assert web["500s"] == "0"
    assert (web["lost"], web["doubled"], web["audit lost/doubled"]) == ("0", "0", "0/0")
    assert web["alerts lost/doubled"] == "0/0"
    assert web["healthz OK s after repair"] != "never"
    assert int(web["incidents"]) > 0
    # The users saw the database's absence as "unavailable, retrying", and nothing worse.
    errors = web["errors seen by users (during fault)"]
    assert "503 retrying" in errors
    assert all(part.endswith("503 retrying") for part in errors.split(", ")), errors
    assert "FAILED" not in out

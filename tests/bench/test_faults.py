"""``make faults`` runs end to end at its quick size: one scenario (a worker SIGKILLed mid-run)
with real processes, its own redis-server on a spare loopback port and its own database, and
reports no lost, doubled, late or undelivered alert. The full run is ``make faults``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
def test_fault_harness_quick_run_reports_nothing_lost_or_doubled():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    run = subprocess.run(  # noqa: S603 (our own tool)
        [
            sys.executable,
            "-m",
            "bench.faults",
            "--quick",
            "--port",
            "6392",
            "--suffix",
            f"faults_test_{worker}",
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    lines = run.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("scenario "))
    header, row = lines[at], lines[at + 2]
    cells = dict(zip(
        [c.strip() for c in header.split("|")], [c.strip() for c in row.split("|")], strict=True
    ))  # fmt: skip
    assert cells["scenario"] == "kill-worker"
    assert int(cells["deadlines"]) == 20
    assert (cells["lost"], cells["doubled"], cells["late>60s"], cells["undelivered"]) == (
        "0", "0", "0", "0",
    )  # fmt: skip

"""``make loadtest`` as a test of the tool: one tiny step, served by gunicorn, reconciled.

Bounded: 2 call takers for 3 s on the cached 1k data set (loaded on first use, about 5 s), a
sign-in storm of 2; the whole run stays well under a minute. Figures are printed, not asserted
(timings belong to ``make loadtest``); what is asserted is that every step reconciles.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.loadtest import StepResult, percentile, render_summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_the_load_test_serves_steps_and_reconciles():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the load test needs PostgreSQL (DATABASE_URL)")
    args = ["--steps", "2", "--duration", "3", "--size", "1k", "--storm", "2"]
    args += ["--board-every", "1", "--incident-every", "1", "--workers", "2"]
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-m", "bench.loadtest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        env={k: v for k, v in os.environ.items() if k != "DAPOLICE_ENV"},
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "sign-in storm, 2 at once, Argon2id (after)" in out
    assert "ok incidents created = distinct 201s" in out
    assert "ok searches served = search audit rows" in out
    assert "ok board refreshes served = board audit rows" in out
    assert "MISMATCH" not in out
    assert "| 2 |" in out  # the summary row of the step


def test_percentile_is_nearest_rank():
    assert percentile([], 95) == 0.0
    assert percentile([5.0], 99) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )


def test_a_step_with_an_unanswered_incident_does_not_reconcile():
    from bench.loadtest import Recorder

    rec = Recorder()
    rec.add("POST /api/incidents/", 201, 10.0)
    rec.created.add(1)
    step = StepResult(1, 1, 1.0, rec, incidents_in_db=2, matched_audit=0, board_audit=0)
    assert not step.ok()
    assert "NO" in render_summary([{
        "call_takers": 1, "req_per_s": 1, "errors": 0, "match_p50": 0, "match_p95": 0,
        "match_p99": 0, "incident_p50": 0, "incident_p95": 0, "incident_p99": 0,
        "board_p95": 0, "reconciled": step.ok(),
    }])[-1]  # fmt: skip


def test_storm_only_runs_no_steps_and_needs_a_storm(capsys):
    from bench.loadtest import parse_args

    assert parse_args(["--storm-only"]).step_list == []
    assert parse_args([]).step_list == [10, 20, 40, 80]
    with pytest.raises(SystemExit):
        parse_args(["--storm-only", "--storm", "0"])
    assert "--storm-only needs a storm" in capsys.readouterr().err


def test_the_generator_reads_a_response_only_once_it_is_whole():
    from bench.loadtest import parse_response

    head = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
    whole = head + b"Content-Length: 9\r\n\r\n" + b'{"id": 7}'
    assert parse_response(bytearray(whole[:-1])) is None
    response, used = parse_response(bytearray(whole + b"HTTP/1.1 200 OK"))
    assert (response.status, response.body, used, response.close) == (
        201,
        b'{"id": 7}',
        len(whole),
        False,
    )
    chunked = (
        head
        + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b'4\r\n{"id\r\n5\r\n": 7}\r\n0\r\n\r\n'
    )
    assert parse_response(bytearray(chunked[:-2])) is None
    response, used = parse_response(bytearray(chunked))
    assert (response.body, used, response.close) == (b'{"id": 7}', len(chunked), True)
    assert ("Content-Type", "application/json") in response.headers


def test_cpu_shares_split_the_machine_between_the_generator_the_server_and_the_rest():
    from bench.loadtest import cpu_shares

    before = {"machine": (100.0, 1000.0), "groups": {"web pool": {1: 5.0}, "PostgreSQL": {}}}
    after = {
        "machine": (160.0, 1100.0),
        "groups": {"web pool": {1: 25.0, 2: 10.0}, "PostgreSQL": {3: 5.0}},
    }
    # 100 s of CPU time passed on all cores, 60 of them busy: 2 the generator's, 20 + 10 the
    # web pool's (a worker started during the step counts from 0), 5 PostgreSQL's, 23 others'.
    assert cpu_shares(before, after, 2.0) == {
        "generator": 2.0,
        "web pool": 30.0,
        "PostgreSQL": 5.0,
        "rest of the machine": 23.0,
        "machine busy": 60.0,
    }

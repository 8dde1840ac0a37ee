"""``make run``'s Celery worker comes back by itself (issue 13).

After Redis was down a minute the worker process exited in 2 of 3 runs (kombu's "Unrecoverable
error"); docker-compose restarts it (``restart: unless-stopped``), honcho does not. The Procfile
runs the worker and beat through ``deploy/keep-running.sh``, tested here with real processes:
a command that exits by itself is started again, a real Celery worker whose main process dies is
replaced, and a SIGTERM to the process group (how honcho stops the Procfile) ends it for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "deploy" / "keep-running.sh"


def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)  # waiting on real processes, not on a time rule
    raise AssertionError(f"not within {timeout} s: {what}")


def _start(argv: list[str], **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own script)
        [str(WRAPPER), *argv],
        cwd=ROOT,
        env={**os.environ, "KEEP_RUNNING_DELAY": "0.2", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # as honcho starts each Procfile line
    )


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    os.killpg(proc.pid, signal.SIGTERM)  # honcho's stop
    return proc.wait(timeout=timeout)


def test_the_procfile_keeps_the_worker_and_beat_running():
    lines = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    for name in ("worker", "beat"):
        assert lines[name].split()[0] == "deploy/keep-running.sh", name
        assert "celery -A dapolice" in lines[name]
    assert os.access(WRAPPER, os.X_OK)


def test_a_command_that_exits_by_itself_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    proc = _start(["sh", "-c", f'echo run >> "{runs}"; exit 3'])
    try:
        _until(lambda: runs.exists() and len(runs.read_text().split()) >= 3, 20, "three runs")
    finally:
        status = _stop_group(proc)
    _, err = proc.communicate()
    assert b"exited by itself (status 3); starting it again" in err
    assert status in (0, 3)


def test_sigterm_to_the_group_stops_the_command_and_does_not_start_it_again(tmp_path):
    runs = tmp_path / "runs"
    proc = _start(["sh", "-c", f'echo run >> "{runs}"; exec sleep 60'])
    try:
        # The file exists a moment before the shell has written to it: wait for the line.
        _until(lambda: runs.exists() and runs.read_text().split(), 20, "the command started")
    finally:
        started = time.monotonic()
        _stop_group(proc)
        _, err = proc.communicate()  # read and close the pipes (an unclosed one fails a later test)
    assert time.monotonic() - started < 10, "stopped promptly, not after the command's 60 s"
    time.sleep(0.5)  # longer than KEEP_RUNNING_DELAY: a restart would have run by now
    assert runs.read_text().split() == ["run"]
    assert b"starting it again" not in err


def test_sigterm_to_the_wrapper_alone_stops_its_command(tmp_path):
    pid_file = tmp_path / "pid"
    proc = _start(["sh", "-c", f'echo $$ > "{pid_file}"; exec sleep 60'])
    _until(lambda: pid_file.exists() and pid_file.read_text().strip(), 20, "the command started")
    child = int(pid_file.read_text())
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM  # the command's status: killed by TERM
    proc.communicate()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a Redis broker")
def test_a_celery_worker_whose_process_died_is_replaced(tmp_path):
    """The worker's main process dies (as kombu's unrecoverable error makes it exit): a new
    worker starts and answers a ping through the broker."""
    from celery import Celery

    pid_file = tmp_path / "worker.pid"
    name = f"keep-running-{os.getpid()}@test"
    env = {"DAPOLICE_ENV": "test", "PYTHONUNBUFFERED": "1"}
    celery = [sys.executable, "-m", "celery", "-A", "dapolice", "worker", "--pool=solo"]
    argv = [*celery, "--without-mingle", "--without-gossip", "-n", name, "--loglevel=WARNING"]
    proc = _start([*argv, f"--pidfile={pid_file}"], **env)
    app = Celery(broker=os.environ["REDIS_URL"])

    def answers() -> bool:
        return bool(app.control.ping(destination=[name], timeout=0.5))

    try:
        _until(lambda: pid_file.exists() and answers(), 90, "the worker answered a ping")
        first = int(pid_file.read_text())
        os.kill(first, signal.SIGKILL)
        _until(
            lambda: (
                pid_file.exists()
                and pid_file.read_text().strip() not in ("", str(first))
                and answers()
            ),
            90,
            "a new worker answered a ping",
        )
    finally:
        _stop_group(proc, timeout=60)
    assert b"exited by itself" in proc.communicate()[1]

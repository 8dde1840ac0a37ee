"""``make faults``: the alert pipeline under injected faults (issue 9), asserted from the database.

Loopback only and bounded in time. The harness creates its own PostgreSQL database beside
``DATABASE_URL``'s (``<name>_faults``), starts its own ``redis-server`` on a spare port (6391 by
default, never the machine's 6379), and runs real processes: Celery workers and beat, and the
broker-free sweeper (``manage.py alerts_sweep --loop``). Each scenario logs incidents through
``incidents.services`` so that a few hundred attendance deadlines (warnings and breaches) fall
due over ``--window`` seconds, injects its fault, waits (at most ``--timeout`` seconds) for every
due deadline to be fired and every alert delivered, then counts from the database:

* lost: a due deadline without its alert, or an alert never delivered;
* doubled: a deadline with more than one alert per recipient (impossible by constraint);
* late: raised more than 60 s after it fell due (or after the fault was repaired);
* e-mail repeats: messages beyond one per alert and recipient (the file e-mail backend's files).

Scenarios: ``kill-worker`` (SIGKILL a worker's process group mid-run, start another),
``redis-nosave`` (``SHUTDOWN NOSAVE`` mid-run, restart after ``--outage`` seconds),
``redis-down-minute`` (the same for ``--long-outage``, 60 s), ``postgres-down`` (the harness's own
PostgreSQL stopped for ``--pg-outage`` seconds, 20), ``two-sweepers-two-beats``,
``save-while-redis-down`` (incidents logged during the outage), and the control room's
``web-*`` scenarios (``bench/faults_control.py``, issue 13: gunicorn serving users through each
fault). A scenario that stops PostgreSQL runs the whole invocation on the harness's own cluster
(``initdb`` into a temporary directory, ``--pg-port`` 5499, as the ``postgres`` user when run as
root), never on the shared server; ``--postgres own`` forces it.
``--quick`` is the tool's own test size (``tests/bench/test_faults.py``).

    .venv/bin/python -m bench.faults                     # every scenario
    .venv/bin/python -m bench.faults kill-worker --deadlines 300 --window 45
    .venv/bin/python -m bench.faults postgres-down web-postgres-down --pg-outage 20
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SCENARIOS = [
    "kill-worker",
    "redis-nosave",
    "redis-down-minute",
    "postgres-down",
    "two-sweepers-two-beats",
    "save-while-redis-down",
]
#: Scenarios that stop PostgreSQL: they run on the harness's own cluster, never the shared one.
OWN_POSTGRES = {"postgres-down"}
LATE_SECONDS = 60


@dataclass
class Result:
    scenario: str
    deadlines: int = 0
    alerts: int = 0
    lost: int = 0
    doubled: int = 0
    late: int = 0
    undelivered: int = 0
    repeats: int = 0
    max_delay: float = 0.0
    mean_delay: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- Environment ------------------------------------------------------------------------------


def faults_database_url(suffix: str = "faults") -> str:
    """``DATABASE_URL``'s server with the database ``<its name>_<suffix>``: never the
    developer's own database."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/dapolice"
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "dapolice"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def ensure_database(url: str) -> None:
    import psycopg2  # type: ignore[import-untyped]

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


class Env:
    """Environment of the harness and of every child: the faults database and Redis, a short
    sweep interval, e-mails into files, tasks really queued (not eager)."""

    def __init__(
        self, *, port: int, interval: int, suffix: str = "faults", database_url: str = ""
    ) -> None:
        self.port = port
        self.var = ROOT / "var" / suffix
        self.mail = self.var / "mail"
        self.var.mkdir(parents=True, exist_ok=True)
        self.vars = {
            **os.environ,
            "DAPOLICE_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "dapolice.settings",
            "DATABASE_URL": database_url or faults_database_url(suffix),
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DAPOLICE_VAR_DIR": str(self.var),
            "DAPOLICE_DEADLINE_SCAN_SECONDS": str(interval),
            "DAPOLICE_EMAIL_URL": f"filemail://{self.mail}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DAPOLICE_CACHE_PREFIX": f"dapolice-{suffix}",
        }

    def apply(self) -> None:
        os.environ.update(self.vars)


class Procs:
    """Child processes, each in its own session so a SIGKILL takes its whole process group.

    Like production's ``restart: unless-stopped`` (``docker-compose.yml``), a supervisor thread
    starts again any child that exits by itself (not one the harness kills), and counts it: a
    Celery worker can exit on a broker outage (kombu's "Unrecoverable error" when the connection
    drops with messages unacknowledged), and the table says so."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.argv: dict[str, tuple[str, ...]] = {}
        self.restarts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._supervise, daemon=True)
        self.thread.start()

    def _supervise(self) -> None:
        while not self.stopping.wait(1.0):
            with self.lock:
                for name, proc in list(self.running.items()):
                    if proc.poll() is not None and not self.stopping.is_set():
                        self.restarts[name] += 1
                        self._start(name, *self.argv[name])

    def start(self, name: str, *argv: str) -> None:
        with self.lock:
            self._start(name, *argv)

    def _start(self, name: str, *argv: str) -> None:
        log = open(self.env.var / f"{name}.log", "ab")  # noqa: SIM115 (kept open with the child)
        self.argv[name] = argv
        self.running[name] = subprocess.Popen(  # noqa: S603 (our own fixed commands)
            argv, cwd=ROOT, env=self.env.vars, stdout=log, stderr=log, start_new_session=True
        )

    def restarted(self) -> str:
        return ", ".join(f"{name} x {n}" for name, n in sorted(self.restarts.items()))

    def worker(self, name: str) -> None:
        self.start(
            name,
            PY,
            "-m",
            "celery",
            "-A",
            "dapolice",
            "worker",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@faults",
            "--loglevel=WARNING",
        )

    def beat(self, name: str) -> None:
        self.start(
            name,
            PY,
            "-m",
            "celery",
            "-A",
            "dapolice",
            "beat",
            "--loglevel=WARNING",
            "-s",
            str(self.env.var / f"{name}-schedule"),
        )

    def sweeper(self, name: str) -> None:
        self.start(name, PY, "manage.py", "alerts_sweep", "--loop")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        with self.lock:
            proc = self.running.pop(name)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        self.stopping.set()
        self.thread.join()
        for name in list(self.running):
            self.kill(name, signal.SIGTERM if name.startswith("sweeper") else signal.SIGKILL)


class Redis:
    """Our own redis-server on loopback, never saving to disk: a shutdown loses every queued
    message, as the scenarios intend."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [  # noqa: S607 (redis-server from PATH)
                "redis-server",
                "--port",
                str(self.env.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.env.var),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(50):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start on port {self.env.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.env.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def shutdown_nosave(self) -> None:
        import redis

        with suppress(redis.RedisError):  # the connection drops as the server exits
            redis.Redis(port=self.env.port).shutdown(nosave=True)
        if self.proc is not None:
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.shutdown_nosave()


class Postgres:
    """Our own PostgreSQL cluster on loopback (``--pg-port``, 5499 by default), trust
    authentication, no fsync: the harness stops and starts it at will, which it must never do
    to the machine's shared server. As root, ``initdb`` and ``pg_ctl`` run as the ``postgres``
    user (``initdb`` refuses root). A migrated cluster is kept under ``var/pg-template/<key>``
    (the key hashes the PostgreSQL version and every migration file), so a later run copies it
    instead of migrating again."""

    DB = "dapolice_faults"

    def __init__(self, port: int) -> None:
        self.port = port
        self.bin = self.find_bin()
        self.tmp = Path(tempfile.mkdtemp(prefix="dapolice-faults-pg-"))
        self.data = self.tmp / "data"
        self.log = self.tmp / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.tmp, user="postgres")

    @staticmethod
    def find_bin() -> Path:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found and shutil.which("initdb"):
            found = [str(shutil.which("initdb"))]
        if not found:
            raise RuntimeError("initdb not found (install the PostgreSQL server package)")
        return Path(found[-1]).parent

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.DB}"

    def _run(self, tool: str, *argv: str) -> None:
        cmd = [str(self.bin / tool), *argv]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def template_key(self) -> str:
        digest = hashlib.sha256(str(self.bin).encode())
        for path in sorted(ROOT.glob("*/migrations/*.py")) + sorted(
            ROOT.glob("dapolice/*/migrations/*.py")
        ):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def template(self) -> Path:
        return ROOT / "var" / "pg-template" / self.template_key()

    def init(self) -> bool:
        """A data directory: a copy of the migrated template when there is one (True), else a
        fresh ``initdb`` (False: migrate, then ``save_template``)."""
        template = self.template()
        if template.is_dir():
            shutil.copytree(template, self.data)
            if self.as_postgres:
                self._chown(self.data)
            self.data.chmod(0o700)
            return True
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        return False

    def _chown(self, top: Path) -> None:
        for path in [top, *top.rglob("*")]:
            shutil.chown(path, user="postgres", group="postgres")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: every connection is cut at once, as when the server goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self) -> None:
        ensure_database(self.url)

    def save_template(self) -> None:
        """Keep the migrated cluster for later runs (copied under a temporary name, then renamed,
        so two harnesses at once never see half a template); templates of other keys go."""
        self.stop()
        template = self.template()
        template.parent.mkdir(parents=True, exist_ok=True)
        for other in template.parent.iterdir():
            if other.name != template.name and not other.name.startswith("."):
                shutil.rmtree(other, ignore_errors=True)
        partial = template.parent / f".{template.name}.{os.getpid()}"
        shutil.copytree(self.data, partial, ignore=shutil.ignore_patterns("postmaster.pid"))
        try:
            partial.rename(template)
        except OSError:  # another harness saved it first
            shutil.rmtree(partial, ignore_errors=True)
        self.start()

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- Work and checks --------------------------------------------------------------------------


def reset() -> None:
    """Empty the alert tables; close every open incident of an earlier run."""
    from dapolice.alerts.models import Alert, AlertDelivery, Deadline, Heartbeat
    from incidents.choices import OPEN_STATUSES
    from incidents.models import Incident

    AlertDelivery.objects.all().delete()
    Alert.objects.all().delete()
    Deadline.objects.all().delete()
    Heartbeat.objects.all().delete()
    Incident.objects.filter(status__in=OPEN_STATUSES).update(status="closed")


def people() -> tuple[Any, list[Any]]:
    """A call taker, and three control-room supervisors with e-mail addresses."""
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    def user(name: str, role: str) -> Any:
        found = User.objects.filter(username=name).first()
        if found is None:
            found = user_create(
                actor=system_user(),
                username=name,
                password="faults-Password-1",  # noqa: S106 (a throwaway local user)
                roles=[role],
                first_name="Fault",
                last_name="Tester",
            )
        User.objects.filter(pk=found.pk).update(email=f"{name}@faults.example")
        return found

    taker = user("faults-taker", Role.CALL_TAKER)
    supervisors = [user(f"faults-sup{i}", Role.CONTROL_SUPERVISOR) for i in range(3)]
    return taker, supervisors


def log_incidents(taker: Any, n: int, *, start: float, window: float) -> Any:
    """``n`` category-B incidents whose deadlines fall due evenly over the next ``window``
    seconds from ``start`` (each also has a warning, due at once: two deadlines each)."""
    from django.utils import timezone

    from incidents import services
    from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput

    now = timezone.now()
    for i in range(n):
        due_in = start + window * i / max(n - 1, 1)
        data = IncidentInput(
            location=AddressInput(
                house="1", street="Fault Street", town="Testtown", postcode="TE1 1ST"
            ),
            relationship="partner",
            checklist=Checklist(
                immediate_risk=False,
                injuries=False,
                weapons=False,
                children_present=False,
                firearm_at_address=False,
                happened_before=False,
                victim_vulnerable=False,
            ),
            category_code="B",
            people=(PersonInput(role="victim", given_name="Fault", family_name=f"Victim{i}"),),
            received_at=now + timedelta(seconds=due_in) - timedelta(minutes=60),
        )
        services.incident_create(actor=taker, data=data)
    return now + timedelta(seconds=start + window + 1)


def mail_counts(env: Env) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    if not env.mail.exists():
        return counts
    for path in env.mail.iterdir():
        subject = to = ""
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Subject: "):
                subject = line[9:]
            elif line.startswith("To: "):
                to = line[4:]
            elif line.startswith("-" * 79):
                if subject:
                    counts[(subject, to)] += 1
                subject = to = ""
        if subject:
            counts[(subject, to)] += 1
    return counts


def settle(timeout: float, until: float) -> None:
    """Wait until every deadline due by now has fired and every alert is delivered."""
    from django.db import DatabaseError, close_old_connections, connection
    from django.utils import timezone

    from dapolice.alerts.models import Alert, Deadline

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        now = timezone.now()
        try:
            pending = Deadline.objects.filter(
                fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now
            ).exists()
            undelivered = Alert.objects.filter(delivered_at__isnull=True).exists()
        except DatabaseError:  # the database coming back: ask again
            connection.close()
            time.sleep(1)
            continue
        if time.time() >= until and not pending and not undelivered:
            return
        time.sleep(1)


def check(result: Result, env: Env, *, cutoff: Any, repaired_at: Any = None) -> None:
    from django.db.models import Count

    from dapolice.alerts.models import Alert, Deadline

    due = Deadline.objects.filter(due_at__lte=cutoff, cancelled_at__isnull=True)
    result.deadlines = due.count()
    per = dict(
        Alert.objects.filter(deadline__in=due)
        .values("deadline_id")
        .annotate(n=Count("id"))
        .values_list("deadline_id", "n")
    )
    result.alerts = sum(per.values())
    result.lost = sum(1 for d in due.values_list("pk", flat=True) if per.get(d, 0) == 0)
    result.doubled = sum(n - 1 for n in per.values() if n > 1)
    delays: list[float] = []
    for due_at, set_at, raised_at in Alert.objects.filter(deadline__in=due).values_list(
        "deadline__due_at", "deadline__created_at", "created_at"
    ):
        # A warning set when it was already due counts from when it was set; one raised after
        # the repair may count from the repair.
        delay = (raised_at - max(due_at, set_at)).total_seconds()
        delays.append(delay)
        result.max_delay = max(result.max_delay, delay)
        if repaired_at is not None and raised_at > repaired_at:
            delay = min(delay, (raised_at - max(due_at, set_at, repaired_at)).total_seconds())
        result.late += delay > LATE_SECONDS
    result.mean_delay = sum(delays) / len(delays) if delays else 0.0
    result.undelivered = Alert.objects.filter(delivered_at__isnull=True).count()
    result.repeats = sum(n - 1 for n in mail_counts(env).values() if n > 1)


# --- Scenarios --------------------------------------------------------------------------------


@contextmanager
def stack(
    env: Env, redis: Redis, *, workers: int = 1, beats: int = 1, sweepers: int = 1
) -> Iterator[Procs]:
    procs = Procs(env)
    for i in range(workers):
        procs.worker(f"worker{i}")
    for i in range(beats):
        procs.beat(f"beat{i}")
    for i in range(sweepers):
        procs.sweeper(f"sweeper{i}")
    try:
        yield procs
    finally:
        procs.stop_all()


def run_scenario(
    name: str, args: argparse.Namespace, env: Env, redis: Redis, pg: Postgres | None = None
) -> Result:
    from django.db import close_old_connections
    from django.utils import timezone

    result = Result(name)
    close_old_connections()
    reset()
    for path in env.mail.glob("*"):
        path.unlink()
    taker, _ = people()
    n, window = args.deadlines // 2, args.window
    began = time.monotonic()
    repaired_at = None
    shape = {"workers": 2} if name == "kill-worker" else {}
    if name == "two-sweepers-two-beats":
        shape = {"beats": 2, "sweepers": 2}
    with stack(env, redis, **shape) as procs:
        if name == "save-while-redis-down":
            time.sleep(2)
            redis.shutdown_nosave()
            cutoff = log_incidents(taker, n, start=5, window=window)
            time.sleep(args.outage)
            redis.start()
            repaired_at = timezone.now()
            result.notes.append(
                f"{n} incidents logged with Redis down; Redis back after {args.outage} s"
            )
        else:
            cutoff = log_incidents(taker, n, start=5, window=window)
            time.sleep(5 + window / 2)
            if name == "kill-worker":
                procs.kill("worker0")
                procs.worker("worker2")
                result.notes.append("worker0's process group SIGKILLed mid-run; worker2 started")
            elif name in ("redis-nosave", "redis-down-minute"):
                outage = args.outage if name == "redis-nosave" else args.long_outage
                redis.shutdown_nosave()
                time.sleep(outage)
                redis.start()
                repaired_at = timezone.now()
                result.notes.append(f"Redis SHUTDOWN NOSAVE mid-run, back after {outage:g} s")
            elif name == "postgres-down":
                if pg is None:
                    raise RuntimeError("postgres-down needs the harness's own PostgreSQL")
                close_old_connections()
                pg.stop()
                stopped = time.monotonic()
                time.sleep(args.pg_outage)
                pg.start()
                repaired_at = timezone.now()
                result.notes.append(
                    f"own PostgreSQL stopped (fast shutdown) mid-run for "
                    f"{time.monotonic() - stopped:.0f} s, then started again"
                )
        settle(args.timeout, until=cutoff.timestamp())
        close_old_connections()
        check(result, env, cutoff=cutoff, repaired_at=repaired_at)
        if procs.restarts:
            result.notes.append(f"exited by itself, started again: {procs.restarted()}")
    result.seconds = time.monotonic() - began
    return result


def table(results: list[Result]) -> str:
    head = (
        "scenario",
        "deadlines",
        "alerts",
        "lost",
        "doubled",
        "late>60s",
        "undelivered",
        "e-mail repeats",
        "mean delay s",
        "max delay s",
        "run s",
    )
    rows = [head] + [
        (
            r.scenario,
            str(r.deadlines),
            str(r.alerts),
            str(r.lost),
            str(r.doubled),
            str(r.late),
            str(r.undelivered),
            str(r.repeats),
            f"{r.mean_delay:.1f}",
            f"{r.max_delay:.1f}",
            f"{r.seconds:.0f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    for r in results:
        lines += [f"  {r.scenario}: {note}" for note in r.notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from bench import faults_control

    every = SCENARIOS + faults_control.SCENARIOS
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(every)}")
    parser.add_argument("--deadlines", type=int, default=300, help="deadlines per scenario")
    parser.add_argument("--window", type=float, default=40, help="seconds they fall due over")
    parser.add_argument("--interval", type=int, default=5, help="sweep interval, seconds")
    parser.add_argument("--outage", type=float, default=20, help="Redis down for, seconds")
    parser.add_argument(
        "--long-outage", type=float, default=60, help="redis-down-minute: Redis down for, seconds"
    )
    parser.add_argument(
        "--pg-outage", type=float, default=20, help="PostgreSQL stopped for, seconds"
    )
    parser.add_argument("--timeout", type=float, default=120, help="wait at most, seconds")
    parser.add_argument("--port", type=int, default=6391, help="our own redis-server's port")
    parser.add_argument("--pg-port", type=int, default=5499, help="our own PostgreSQL's port")
    parser.add_argument(
        "--postgres",
        choices=["auto", "own", "shared"],
        default="auto",
        help="own: a private cluster on --pg-port (auto: when a scenario stops PostgreSQL)",
    )
    parser.add_argument("--quick", action="store_true", help="the tool's own test size")
    parser.add_argument(
        "--suffix", default="faults", help="database <DATABASE_URL name>_<suffix>, var/<suffix>"
    )
    parser.add_argument("--json", default="", help="write the results to this file too")
    faults_control.add_arguments(parser)
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(every)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.quick:
        args.deadlines, args.window, args.outage, args.interval = 20, 6, 4, 2
        args.long_outage, args.pg_outage = 6, 5
        args.takers, args.before, args.after, args.frozen = 2, 4, 8, 5
    if args.port == 6379:
        parser.error("6379 is the machine's Redis: choose a spare port")
    if args.pg_port == 5432:
        parser.error("5432 is the machine's PostgreSQL: choose a spare port")
    chosen = args.scenarios or (SCENARIOS[:1] if args.quick else every)
    own = args.postgres == "own" or (
        args.postgres == "auto"
        and bool(OWN_POSTGRES.union(faults_control.OWN_POSTGRES) & set(chosen))
    )
    pg = Postgres(args.pg_port) if own else None
    try:
        return _run(args, chosen, pg)
    finally:
        if pg is not None:
            pg.destroy()


def _run(args: argparse.Namespace, chosen: list[str], pg: Postgres | None) -> int:
    from bench import faults_control

    migrated = False
    if pg is not None:
        migrated = pg.init()
        pg.start()
        pg.create_database()
    env = Env(
        port=args.port,
        interval=args.interval,
        suffix=args.suffix,
        database_url=pg.url if pg is not None else "",
    )
    env.apply()
    if pg is None:
        ensure_database(env.vars["DATABASE_URL"])
    subprocess.run(  # noqa: S603 (our own fixed command)
        [PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env.vars, check=True
    )
    if pg is not None and not migrated:
        pg.save_template()
    import django

    django.setup()
    redis = Redis(env)
    redis.start()
    results: list[Result] = []
    control: list[Any] = []
    try:
        for name in chosen:
            print(f"running {name} ...", flush=True)  # noqa: T201
            if name in faults_control.SCENARIOS:
                control.append(faults_control.run(name, args, env, redis, pg))
            else:
                results.append(run_scenario(name, args, env, redis, pg))
    finally:
        redis.stop()
    load = os.getloadavg()
    where = f"own PostgreSQL :{args.pg_port}" if pg is not None else "shared PostgreSQL"
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {where}")  # noqa: T201
    if results:
        print(table(results))  # noqa: T201
    if control:
        print(faults_control.table(control))  # noqa: T201
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "load": load,
                    "alerts": [vars(r) for r in results],
                    "control": [vars(r) for r in control],
                },
                indent=2,
                default=str,
            )
        )
    bad = [r for r in results if r.lost or r.doubled or r.late or r.undelivered]
    return 1 if bad or any(not r.ok() for r in control) else 0


def _sigterm(*_: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _sigterm)
    raise SystemExit(main())

"""The control room under injected faults (issue 13), in the timed-work harness (``bench.faults``).

Each scenario serves the app as in production (two gunicorn pools like ``docker-compose.yml``:
web gthread 2 x 4, searches gthread 2 x 4 of their own; a Celery worker, beat and the sweeper)
against the harness's own PostgreSQL and own Redis, runs a small control-room load on loopback
(call takers searching through the match panel and the match API, logging incidents through
``POST /api/incidents/`` with an idempotency key and retrying the same key until it is accepted,
a supervisor refreshing the board), injects one fault, repairs it (or lets it repair itself) and
counts, from what the users received and from the database:

* what users saw during the fault, per status (503 is the "unavailable — retrying" answer the
  panel and the board show; a 500 is a failure of the proof; 0 means no answer at all);
* incidents lost (a key never accepted, or answered 201 but not in the database) and doubled
  (more than one incident for a key); audit rows lost (a read served without its row) and
  doubled (more rows than reads served);
* the alerts of a few deadlines falling due during the run (lost, doubled), as in ``bench.faults``;
* recovery: seconds from the repair until the last failed request, and until ``/healthz`` is OK.

Scenarios: ``web-redis-down`` (``SHUTDOWN NOSAVE``, back after ``--long-outage``),
``web-redis-frozen`` (SIGSTOP for ``--frozen`` seconds), ``web-postgres-down`` (fast shutdown for
``--pg-outage`` seconds), ``web-kill-gunicorn`` (SIGKILL one web worker: its master starts
another), ``web-kill-celery`` (SIGKILL the Celery worker's pool processes: its master starts
others).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from bench.faults import Env, Postgres, Redis

SCENARIOS = [
    "web-redis-down",
    "web-redis-frozen",
    "web-postgres-down",
    "web-kill-gunicorn",
    "web-kill-celery",
]
OWN_POSTGRES = {"web-postgres-down"}
PASSWORD = "faults-Password-Quorn-1"  # noqa: S105 (throwaway users of a throwaway database)
SEARCH_PATHS = ("/api/persons/match/", "/incidents/new/match/")
PANEL = "POST /incidents/new/match/ (panel)"
MATCH_API = "POST /api/persons/match/"
BOARD = "GET /incidents/board/ (board)"
INCIDENT = "POST /api/incidents/"
READS = (PANEL, MATCH_API, BOARD)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("control-room scenarios (web-*)")
    group.add_argument("--takers", type=int, default=6, help="call takers")
    group.add_argument("--before", type=float, default=8, help="seconds of load before the fault")
    group.add_argument("--after", type=float, default=20, help="seconds of load after the repair")
    group.add_argument("--frozen", type=float, default=20, help="web-redis-frozen: seconds")
    group.add_argument("--incident-every", type=float, default=4, help="seconds, per call taker")


# --- Results ----------------------------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    status: int
    start: float
    end: float


@dataclass
class ControlResult:
    scenario: str
    fault: str = ""
    samples: list[Sample] = field(default_factory=list)
    fault_at: float = 0.0
    repaired_at: float = 0.0
    keys: int = 0
    lost: int = 0
    doubled: int = 0
    audit_lost: int = 0
    audit_doubled: int = 0
    alerts_lost: int = 0
    alerts_doubled: int = 0
    recovered_after: float = 0.0
    disrupted: float = 0.0
    healthz_after: float | None = None
    #: Seconds of load after the repair: the last failure must come well before their end.
    after: float = 0.0
    notes: list[str] = field(default_factory=list)

    def during(self) -> list[Sample]:
        """Requests started while the fault lasted (for a kill: the 5 s after it)."""
        until = max(self.repaired_at, self.fault_at + 5)
        return [s for s in self.samples if self.fault_at <= s.start <= until]

    def seen(self, samples: list[Sample] | None = None) -> Counter[int]:
        return Counter(s.status for s in (self.samples if samples is None else samples))

    def errors(self, samples: list[Sample] | None = None) -> Counter[int]:
        return Counter(
            {k: v for k, v in self.seen(samples).items() if not 200 <= k < 300 and k != 429}
        )

    def server_errors_of_reads(self) -> int:
        """500s (not 503) from the panel, the match API and the board: must be none."""
        return sum(1 for s in self.samples if s.endpoint in READS and s.status == 500)

    def incident_failures_during(self) -> int:
        return sum(1 for s in self.during() if s.endpoint == INCIDENT and s.status != 201)

    def redis_fault(self) -> bool:
        return self.scenario in ("web-redis-down", "web-redis-frozen")

    def ok(self) -> bool:
        counts = (self.lost, self.doubled, self.audit_lost, self.audit_doubled)
        return (
            not any(counts)
            and not self.alerts_lost
            and not self.alerts_doubled
            and self.server_errors_of_reads() == 0
            and not self.seen().get(500)
            and (not self.redis_fault() or self.incident_failures_during() == 0)
            and self.healthz_after is not None
            and self.recovered_after < self.after / 2
        )


def _status_text(counts: Counter[int]) -> str:
    names = {0: "no answer", 503: "503 retrying"}
    parts = [f"{n} x {names.get(status, str(status))}" for status, n in sorted(counts.items())]
    return ", ".join(parts) or "none"


def table(results: list[ControlResult]) -> str:
    head = (
        "scenario",
        "requests",
        "during fault",
        "errors seen by users (during fault)",
        "500s",
        "incidents",
        "lost",
        "doubled",
        "audit lost/doubled",
        "alerts lost/doubled",
        "users disrupted s",
        "recovered s after repair",
        "healthz OK s after repair",
    )
    rows = [head]
    for r in results:
        rows.append(
            (
                r.scenario,
                str(len(r.samples)),
                str(len(r.during())),
                _status_text(r.errors(r.during())),
                str(r.seen().get(500, 0)),
                str(r.keys),
                str(r.lost),
                str(r.doubled),
                f"{r.audit_lost}/{r.audit_doubled}",
                f"{r.alerts_lost}/{r.alerts_doubled}",
                f"{r.disrupted:.1f}",
                f"{r.recovered_after:.1f}",
                "never" if r.healthz_after is None else f"{r.healthz_after:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    for r in results:
        lines.append(f"  {r.scenario}: {r.fault}; whole run: {_status_text(r.errors())}")
        by_endpoint: dict[str, Counter[int]] = {}
        for s in r.during():
            by_endpoint.setdefault(s.endpoint, Counter())[s.status] += 1
        for endpoint, counts in sorted(by_endpoint.items()):
            lines.append(f"    during: {endpoint}: {_status_text(counts)}")
        lines += [f"    {note}" for note in r.notes]
        if not r.ok():
            lines.append(f"    FAILED: {r.scenario}")
    return "\n".join(lines)


# --- An HTTP client: one connection per request (no keep-alive, no silent retry) -------------


class Client:
    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        port = self.ports["search" if path in SEARCH_PATHS else "web"]
        h = {"Host": "127.0.0.1", "Connection": "close"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and "csrftoken" in self.cookies:
            h["X-CSRFToken"] = self.cookies["csrftoken"]
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)  # htmx's timeout
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            return 0, b""
        finally:
            conn.close()
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return resp.status, data

    def sign_in(self, username: str) -> None:
        self.request("GET", "/account/login/")
        form = {
            "auth-username": username,
            "auth-password": PASSWORD,
            "login_view-current_step": "auth",
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
        }
        status, _ = self.request(
            "POST",
            "/account/login/",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {username} answered {status}")


# --- The served app ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextmanager
def gunicorn(env: Env, procs: Any) -> Iterator[dict[str, Any]]:
    from bench.loadtest import free_port

    ports: dict[str, Any] = {}
    for pool in ("web", "search"):
        port = ports[pool] = free_port()
        procs.start(
            f"gunicorn-{pool}",
            str(Path(sys.executable).parent / "gunicorn"),
            "dapolice.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        )
    deadline = time.monotonic() + 60
    for pool in ("web", "search"):
        while True:
            status, _ = Client({"web": ports[pool], "search": ports[pool]}).request(
                "GET", "/account/login/"
            )
            if status == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn ({pool}) did not answer within 60 s")
            time.sleep(0.3)
    yield ports


# --- The load ---------------------------------------------------------------------------------


def users(count: int) -> tuple[list[str], list[str]]:
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    def user(name: str, role: str) -> str:
        if not User.objects.filter(username=name).exists():
            user_create(actor=system_user(), username=name, password=PASSWORD, roles=[role])
        return name

    takers = [user(f"faults-ct{i:02d}", Role.CALL_TAKER) for i in range(count)]
    return takers, [user("faults-board", Role.CONTROL_SUPERVISOR)]


def incident_body(i: int, key: str) -> bytes:
    return json.dumps(
        {
            "idempotency_key": key,
            "location": {
                "house": "7",
                "street": "Quorn Road",
                "town": "Diss",
                "postcode": "IP22 4AA",
            },
            "relationship": "ex_partner",
            "category": "C",
            "immediate_risk": False,
            "injuries": False,
            "weapons": False,
            "children_present": False,
            "firearm_at_address": False,
            "happened_before": False,
            "victim_vulnerable": False,
            "people": [
                {"role": "victim", "given_name": "Fault", "family_name": f"Caller{i}"},
                {"role": "suspect", "given_name": "Gary", "family_name": f"Caller{i}"},
            ],
        }
    ).encode()


class Load:
    """Call takers and a supervisor in threads; every request's outcome in ``samples``."""

    def __init__(self, ports: dict[str, int], takers: list[str], board: list[str], args: Any):
        self.samples: list[Sample] = []
        self.refused: dict[int, str] = {}  # status -> the first such answer (synthetic data)
        self.keys: dict[str, int | None] = {}  # key -> incident id answered with 201
        self.stop_at = float("inf")
        self.give_up_at = float("inf")
        self.args = args
        self.threads = []
        for i, name in enumerate(takers):
            client = Client(ports)
            client.sign_in(name)
            self.threads.append(threading.Thread(target=self.taker, args=(client, i), daemon=True))
        for name in board:
            client = Client(ports)
            client.sign_in(name)
            self.threads.append(threading.Thread(target=self.board, args=(client,), daemon=True))

    def record(self, endpoint: str, start: float, status: int) -> None:
        self.samples.append(Sample(endpoint, status, start, time.monotonic()))

    def taker(self, client: Client, i: int) -> None:
        rng = random.Random(i)
        pending: tuple[str, bytes] | None = None
        next_incident = time.monotonic() + rng.random() * self.args.incident_every
        n = searches = 0
        while True:
            now = time.monotonic()
            if now >= self.give_up_at or (now >= self.stop_at and pending is None):
                return
            if pending is None and now >= next_incident and now < self.stop_at:
                key = str(uuid.uuid4())
                pending = (key, incident_body(i * 10_000 + n, key))
                self.keys[key] = None
                n += 1
                next_incident = now + self.args.incident_every
            if pending is not None:
                key, body = pending
                start = time.monotonic()
                status, data = client.request(
                    "POST", "/api/incidents/", body, {"Content-Type": "application/json"}
                )
                self.record(INCIDENT, start, status)
                if status == 201:
                    self.keys[key] = json.loads(data)["id"]
                    pending = None
                else:
                    if 400 <= status < 500:
                        self.refused.setdefault(
                            status, data[:300].decode(errors="replace")
                        )  # the call taker presses "log" again: the same key
                    time.sleep(1)
                    continue
            if now >= self.stop_at:
                continue
            start = time.monotonic()
            searches += 1
            if searches % 2:
                form = {
                    "panel": "victim",
                    "victim-given_name": "Fault",
                    "victim-family_name": "Victim3",
                }
                status, _ = client.request(
                    "POST",
                    "/incidents/new/match/",
                    urlencode(form).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"},
                )
                self.record(PANEL, start, status)
            else:
                payload = {"given_name": "Fault", "family_name": f"Caller{rng.randrange(50)}"}
                status, _ = client.request(
                    "POST",
                    "/api/persons/match/",
                    json.dumps(payload).encode(),
                    {"Content-Type": "application/json"},
                )
                self.record(MATCH_API, start, status)
            time.sleep(max(0.0, 1.5 - (time.monotonic() - start)))

    def board(self, client: Client) -> None:
        while time.monotonic() < self.stop_at:
            start = time.monotonic()
            status, _ = client.request("GET", "/incidents/board/", headers={"HX-Request": "true"})
            self.record(BOARD, start, status)
            time.sleep(max(0.0, 2.0 - (time.monotonic() - start)))

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join()


def healthz_ok(ports: dict[str, int]) -> bool:
    status, _ = Client(ports).request("GET", "/healthz")
    return status == 200


# --- One scenario -----------------------------------------------------------------------------


def run(name: str, args: Any, env: Env, redis: Redis, pg: Postgres | None) -> ControlResult:
    from django.db import close_old_connections
    from django.utils import timezone

    from bench import faults

    result = ControlResult(name, after=args.after)
    close_old_connections()
    faults.reset()
    for path in env.mail.glob("*"):
        path.unlink()
    taker, _ = faults.people()
    takers, board = users(args.takers)
    from dapolice.accounts.models import User
    from dapolice.audit.models import AuditEvent

    ids = list(User.objects.filter(username__in=takers + board).values_list("pk", flat=True))
    audit_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with faults.stack(env, redis) as procs, gunicorn(env, procs) as ports:
        # A few deadlines falling due during the run, as in the alert scenarios.
        fault_in = args.before
        alerts_cutoff = faults.log_incidents(taker, 10, start=2, window=fault_in + 10)
        load = Load(ports, takers, board, args)
        load.start()
        time.sleep(args.before)
        result.fault_at = time.monotonic()
        repaired_wall = timezone.now()
        if name == "web-redis-down":
            redis.shutdown_nosave()
            time.sleep(args.long_outage)
            redis.start()
            result.fault = f"own Redis SHUTDOWN NOSAVE for {args.long_outage:g} s"
        elif name == "web-redis-frozen":
            assert redis.proc is not None
            os.kill(redis.proc.pid, signal.SIGSTOP)
            time.sleep(args.frozen)
            os.kill(redis.proc.pid, signal.SIGCONT)
            result.fault = f"own Redis frozen (SIGSTOP) for {args.frozen:g} s"
        elif name == "web-postgres-down":
            if pg is None:
                raise RuntimeError("web-postgres-down needs the harness's own PostgreSQL")
            close_old_connections()
            pg.stop()
            time.sleep(args.pg_outage)
            pg.start()
            result.fault = f"own PostgreSQL stopped (fast shutdown) for {args.pg_outage:g} s"
        elif name == "web-kill-gunicorn":
            master = procs.running["gunicorn-web"].pid
            victim = _children(master)[0]
            os.kill(victim, signal.SIGKILL)
            result.fault = "one web gunicorn worker SIGKILLed (its master starts another)"
        elif name == "web-kill-celery":
            master = procs.running["worker0"].pid
            pool = _children(master)
            for pid in pool:
                os.kill(pid, signal.SIGKILL)
            result.fault = f"the Celery worker's {len(pool)} pool processes SIGKILLed"
        result.repaired_at = time.monotonic()
        repaired_wall = timezone.now()
        # Health: seconds from the repair until /healthz answers 200.
        limit = result.repaired_at + args.timeout
        while time.monotonic() < limit:
            if healthz_ok(ports):
                result.healthz_after = time.monotonic() - result.repaired_at
                break
            time.sleep(1)
        rest = result.repaired_at + args.after - time.monotonic()
        time.sleep(max(0.0, rest))
        load.stop_at = time.monotonic()
        load.give_up_at = load.stop_at + args.timeout
        load.join()
        if name == "web-kill-gunicorn":
            result.notes.append(
                f"web workers after the kill: {len(_children(procs.running['gunicorn-web'].pid))}"
            )
        alert = faults.Result(name)
        faults.settle(args.timeout, until=alerts_cutoff.timestamp())
        close_old_connections()
        faults.check(alert, env, cutoff=alerts_cutoff, repaired_at=repaired_wall)
        result.alerts_lost = alert.lost + alert.undelivered
        result.alerts_doubled = alert.doubled
        result.notes.append(
            f"alerts: {alert.deadlines} deadlines due, {alert.alerts} raised, "
            f"max delay {alert.max_delay:.1f} s, {alert.late} late > 60 s"
        )
        if procs.restarts:
            result.notes.append(f"exited by itself, started again: {procs.restarted()}")
    result.samples = sorted(load.samples, key=lambda s: s.start)
    result.notes += [f"incident refused {k}: {v}" for k, v in load.refused.items()]
    failures = [s for s in result.samples if not 200 <= s.status < 300 and s.status != 429]
    if failures:
        # From the first failed request's start to the last one's answer; and how long after
        # the repair (or the kill) that last failure came.
        result.disrupted = failures[-1].end - failures[0].start
        result.recovered_after = max(0.0, failures[-1].end - result.repaired_at)
    reconcile(result, load, ids, audit_before)
    return result


def reconcile(result: ControlResult, load: Load, ids: list[int], audit_before: int) -> None:
    from django.db.models import Count

    from dapolice.audit.models import AuditEvent
    from incidents.models import Incident

    result.keys = len(load.keys)
    rows = (
        Incident.objects.filter(idempotency_key__in=list(load.keys))
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .values_list("idempotency_key", "n")
    )
    per_key: dict[str, int] = {str(k): int(n) for k, n in rows}
    answered = {k: v for k, v in load.keys.items() if v is not None}
    in_db = set(
        Incident.objects.filter(pk__in=list(answered.values())).values_list("pk", flat=True)
    )
    result.lost = sum(1 for k in load.keys if per_key.get(k, 0) == 0) + sum(
        1 for v in answered.values() if v not in in_db
    )
    result.doubled = sum(n - 1 for n in per_key.values() if n > 1)
    new = AuditEvent.objects.filter(pk__gt=audit_before, actor_id__in=ids)
    served_searches = sum(
        1 for s in result.samples if s.endpoint in (PANEL, MATCH_API) and s.status == 200
    )
    served_board = sum(1 for s in result.samples if s.endpoint == BOARD and s.status == 200)
    searches = new.filter(action="incidents.person.matched").count()
    boards = new.filter(action="incidents.incident.board_viewed").count()
    result.audit_lost = max(0, served_searches - searches) + max(0, served_board - boards)
    result.audit_doubled = max(0, searches - served_searches) + max(0, boards - served_board)
    result.notes.append(
        f"reads served: {served_searches} searches = {searches} audit rows, "
        f"{served_board} board refreshes = {boards} audit rows; "
        f"{len(load.keys)} incidents keyed, {len([v for v in load.keys.values() if v])} accepted"
    )

"""``make loadtest``: the control room at a full shift's load, served as in production (issue 13).

Bounded in count and time, on loopback only, and not part of ``make test`` (``tests/bench`` runs
one tiny step as a test of the tool). What it does:

1. Makes a throwaway database ``<bench home>_load`` as a copy (``CREATE DATABASE ... TEMPLATE``)
   of the cached synthetic data set (``bench/README.md``: ``dapolice_bench_incidents_10k_s1`` by
   default), adds the load's users (call takers, control-room supervisors) and picks the names
   they will search for from the data.
2. Serves the app with gunicorn on a free loopback port (``--worker-class``, ``--workers``,
   ``--threads``; DEBUG off, Argon2id, Redis cache and broker as configured by ``REDIS_URL``).
   With ``--search-workers N`` (default 2; 0: one pool) the searches go to a second gunicorn of
   their own (as the proxy routes ``/api/persons/match/`` and ``/incidents/new/match/``), so
   incident logging never queues behind searches.
3. Sign-in storm: ``--storm`` users sign in at the same moment, first with PBKDF2 hashes (as
   before issue 13), then again, upgraded to Argon2id by that first sign-in. Each sign-in is
   timed from sending the credentials to the response (the redirect), what a user waits for
   after "Sign in"; the sign-in page was fetched before. ``--storm-only``: the Argon2id storm
   three times and nothing else.
4. Steps the control-room mix (``--steps 10,20,40,80`` call takers, ``--duration`` seconds each):
   each call taker searches once a second (``POST /api/persons/match/``) and logs an incident
   every ``--incident-every`` seconds (``POST /api/incidents/``; one in ten is sent twice with
   the same idempotency key, as a client retrying after a timeout would); one control-room
   supervisor per ten call takers refreshes the board every ``--board-every`` seconds.
5. Prints per step requests/s, p50/p95/p99 per endpoint, errors, and the reconciliation:
   incidents created = distinct incidents answered 201, double submits answered with the same
   incident, searches and board refreshes served = their audit rows. Exit status 1 when the
   reconciliation fails. Also per step: the load generator's own CPU and timer lag, where the
   cores went (generator, each pool, the load database's PostgreSQL backends, the rest of the
   machine) and the load average, so a figure taken on a shared machine says how shared it was.

The load generator (``--client-procs`` processes, spawned, no Django in them) runs each person
as a coroutine on one asyncio event loop per process with a small HTTP/1.1 client of its own,
and times each request in the protocol's callbacks: from the bytes handed to the socket to the
last byte of the response read from it. ``--client-nice``, ``--server-nice`` and
``--search-nice`` set CPU priorities (see ``set_priority``).

    .venv/bin/python -m bench.loadtest --steps 10,20,40,80 --duration 60
    make loadtest LOADTEST_ARGS="--steps 10,20 --duration 30 --size 1k"
    make loadtest LOADTEST_ARGS="--storm-only --size 1k"    # the sign-in storm alone
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

PASSWORD = "loadtest-pass-Quorn-2026"  # noqa: S105 (throwaway users of a throwaway database)
SEARCH_PATHS = ("/api/persons/match/", "/incidents/new/match/")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n")[0])
    p.add_argument("--steps", default=os.environ.get("LOADTEST_STEPS", "10,20,40,80"))
    p.add_argument("--duration", type=float, default=float(os.environ.get("LOADTEST_DURATION", 60)))
    p.add_argument("--size", default=os.environ.get("LOADTEST_SIZE", "10k"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument(
        "--search-workers", type=int, default=2, help="a separate pool for searches (0: none)"
    )
    p.add_argument("--storm", type=int, default=40, help="concurrent sign-ins (0: skip)")
    p.add_argument(
        "--storm-only",
        action="store_true",
        help="only the sign-in storm, Argon2id, three times (no PBKDF2 storm, no steps)",
    )
    p.add_argument(
        "--search-nice",
        type=int,
        default=0,
        help="run the search pool at this nice value (lower CPU priority than logging)",
    )
    p.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="nice value of both pools and of the load database's PostgreSQL backends "
        "(negative, as root: the load test ahead of other work on a shared machine)",
    )
    p.add_argument(
        "--client-procs",
        type=int,
        default=2,
        help="load generator processes (each runs its share of the people on one event loop)",
    )
    p.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="nice value of the load generator processes (negative: ahead of the server; root)",
    )
    p.add_argument("--incident-every", type=float, default=60.0)
    p.add_argument("--board-every", type=float, default=10.0)
    p.add_argument("--json", default="", help="write the figures to this file too")
    args = p.parse_args(argv)
    args.step_list = [int(s) for s in str(args.steps).split(",") if s.strip()]
    if not args.step_list or max(args.step_list) > 200 or args.duration > 600:
        p.error("at most 200 call takers and 600 s per step (the load test is bounded)")
    if args.storm_only:
        if not args.storm:
            p.error("--storm-only needs a storm (--storm N, N > 0)")
        args.step_list = []
    return args


# --- Statistics --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Recorder:
    """Every request's (endpoint, status, milliseconds), the incidents answered 201, and how
    late the generator's event loop woke up for its timers (``lags``, milliseconds)."""

    samples: list[tuple[str, int, float]] = field(default_factory=list)
    created: set[int] = field(default_factory=set)
    doubles: int = 0
    doubles_same: int = 0
    lags: list[float] = field(default_factory=list)
    reconnects: int = 0

    def add(self, endpoint: str, status: int, ms: float) -> None:
        self.samples.append((endpoint, status, ms))

    async def sleep_until(self, when: float) -> None:
        """Sleep until ``when`` (``time.monotonic``) and note how late the wake-up was."""
        delay = when - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
            self.lags.append(max(0.0, time.monotonic() - when) * 1000)

    def by_endpoint(self) -> dict[str, list[tuple[int, float]]]:
        out: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for endpoint, status, ms in self.samples:
            out[endpoint].append((status, ms))
        return out


# --- HTTP client: asyncio, one keep-alive connection per port and a cookie jar per person ------
#
# The load generator shares the two cores with the server, so it must cost little and time
# honestly: each simulated person is a coroutine (no thread, no GIL hand-over between 80 threads),
# and a request is timed inside the event loop's protocol callbacks, from just before the bytes
# are handed to the socket to the moment the last byte of the response is read from it, not when
# a coroutine gets round to looking at it. How late the loop wakes up (its timer lag) is measured
# too and printed per step: a generator that cannot keep up shows there, not as server latency.

KEEPALIVE_REUSE_S = 1.5  # gunicorn closes an idle keep-alive connection after 2 s (--keep-alive)
REQUEST_TIMEOUT_S = 60.0


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    close: bool


def parse_response(buf: bytearray) -> tuple[HttpResponse, int] | None:
    """The first complete HTTP/1.1 response in ``buf`` and its length, or None (need more)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in head[1:])]
    lower = {k.lower(): v for k, v in headers}
    close = lower.get("connection", "").lower() == "close"
    pos = end + 4
    if "chunked" in lower.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            if len(buf) < line_end + 2 + size + 2:
                return None
            body += buf[line_end + 2 : line_end + 2 + size]
            pos = line_end + 2 + size + 2
            if size == 0:
                return HttpResponse(status, headers, bytes(body), close), pos
    length = int(lower.get("content-length", "0") or 0)
    if len(buf) < pos + length:
        return None
    return HttpResponse(status, headers, bytes(buf[pos : pos + length]), close), pos + length


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; notes the time the response's last byte was read."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[HttpResponse] | None = None
        self.closed = False
        self.done_at = 0.0
        self.last_used = time.perf_counter()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        read_at = time.perf_counter()
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        parsed = parse_response(self.buf)
        if parsed is not None:
            response, used = parsed
            del self.buf[:used]
            self.done_at = self.last_used = read_at
            if response.close:
                self.close()
            self.waiter.set_result(response)

    def eof_received(self) -> bool:
        self.closed = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed before the response"))

    def send(self, raw: bytes) -> asyncio.Future[HttpResponse]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Client:
    """A simulated person's browser: a cookie jar and one connection per gunicorn pool."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.conns: dict[int, HttpConnection] = {}
        self.cookies: dict[str, str] = {}
        self.reconnects = 0

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()
        self.conns.clear()

    async def _connection(self, port: int) -> HttpConnection:
        conn = self.conns.get(port)
        # A connection idle longer than the server keeps it is not reused (no race with its close).
        if conn is not None and (
            conn.closed or time.perf_counter() - conn.last_used > KEEPALIVE_REUSE_S
        ):
            conn.close()
            conn = None
        if conn is None:
            loop = asyncio.get_running_loop()
            _, conn = await loop.create_connection(HttpConnection, "127.0.0.1", port)
            conn.transport.get_extra_info("socket").setsockopt(  # type: ignore[union-attr]
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
            self.conns[port] = conn
        return conn

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, float]:
        """Status (0: no answer), body, and milliseconds from sending to the last byte read.

        Connecting (a new or expired keep-alive connection) is part of the time, as it is for
        a browser. A connection the server closed before answering is tried once more, timed
        from the first attempt.
        """
        port = self.ports["search" if path in SEARCH_PATHS else "web"]
        h = {"Host": "127.0.0.1", "Content-Length": str(len(body or b""))}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies and method == "POST":
            h["X-CSRFToken"] = self.cookies["csrftoken"]
        h.update(headers or {})
        raw = (
            f"{method} {path} HTTP/1.1\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in h.items())
            + "\r\n"
        ).encode("latin-1") + (body or b"")
        started = time.perf_counter()
        for attempt in (1, 2):
            conn: HttpConnection | None = None
            reused = port in self.conns
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    conn = await self._connection(port)
                    response = await conn.send(raw)
            except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
                if conn is not None:
                    conn.close()
                self.conns.pop(port, None)
                if attempt == 1 and reused and isinstance(exc, ConnectionError):
                    self.reconnects += 1  # the server closed a kept-alive connection: once more
                    continue
                return 0, b"", (time.perf_counter() - started) * 1000
            for name, value in response.headers:
                if name.lower() == "set-cookie":
                    cookie, _, _ = value.partition(";")
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val
            return response.status, response.body, (conn.done_at - started) * 1000
        raise AssertionError("unreachable")

    async def json(self, path: str, payload: Any, **headers: str) -> tuple[int, bytes, float]:
        return await self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **headers},
        )

    async def get_login(self) -> None:
        await self.request("GET", "/account/login/")

    async def post_login(self, username: str) -> tuple[int, float]:
        form = {
            "auth-username": username,
            "auth-password": PASSWORD,
            "login_view-current_step": "auth",
            "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
        }
        status, _, ms = await self.request(
            "POST",
            "/account/login/",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        return status, ms

    async def sign_in(self, username: str) -> None:
        await self.get_login()
        status, _ = await self.post_login(username)
        if status != 302:
            raise RuntimeError(f"sign-in of {username} answered {status}")


# --- The database: a copy of the cached data set -----------------------------------------------


def _url_with_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def prepare_database(args: argparse.Namespace, say: Callable[[str], None]) -> tuple[str, Any, Any]:
    """The load database's URL, the Databases helper (Django connected to it), and the
    connection holding the run's lock: two load tests on one home database would drop each
    other's load database (close it once that is dropped)."""
    from django.db import connections

    from bench.datasets import Databases, home_url, parse_sizes

    home = home_url()
    dbs = Databases(home, say)
    dbs.use_home()
    size = parse_sizes(args.size)[0]
    dataset = dbs.dataset("incidents", size, args.seed)
    clone = f"{dbs.home}_load"
    guard = dbs._admin()
    with guard.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [clone])
        if not cursor.fetchone()[0]:
            guard.close()
            raise SystemExit(f"another load test is using {clone}: wait until it has finished")
    connections.close_all()
    dbs.use(dbs.home)
    connections.close_all()
    dbs.drop(clone)
    admin = dbs._admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{dataset.database}"')
    finally:
        admin.close()
    dbs.use(clone)
    return _url_with_name(home, clone), dbs, guard


def make_users(prefix: str, role: str, count: int) -> list[str]:
    from dapolice.accounts.services import system_user, user_create

    system = system_user()
    names = []
    for i in range(count):
        name = f"load-{prefix}-{i:03d}"
        user_create(actor=system, username=name, password=PASSWORD, roles=[role])
        names.append(name)
    return names


def set_pbkdf2(usernames: list[str]) -> None:
    """Hashes as before issue 13 (Django's PBKDF2, its default iterations), one hash for all."""
    from django.contrib.auth.hashers import make_password

    from dapolice.accounts.models import User

    User.objects.filter(username__in=usernames).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )


def search_queries(count: int, seed: int) -> list[dict[str, Any]]:
    """Names from the data set (victims and suspects a call taker would look for)."""
    from incidents.models import Person

    rows = list(
        Person.objects.exclude(family_name="")
        .order_by("pk")
        .values("given_name", "family_name")[: count * 20]
    )
    rng = random.Random(seed)
    rng.shuffle(rows)
    picked = rows[:count] or [{"given_name": "John", "family_name": "Smith"}]
    return [{"given_name": r["given_name"], "family_name": r["family_name"]} for r in picked]


# --- The server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    ports: dict[str, int]  # "web", "search" (the same port with one pool)
    masters: dict[str, int]  # gunicorn master pid per pool: "web pool", "search pool"


@contextmanager
def serve(args: argparse.Namespace, db_url: str, say: Callable[[str], None]) -> Iterator[Served]:
    env = {
        **os.environ,
        "DAPOLICE_ENV": "demo",
        "DATABASE_URL": db_url,
        "DAPOLICE_CACHE_PREFIX": "dapolice-loadtest",
        "PYTHONUNBUFFERED": "1",
    }
    pools = [("web", args.workers, args.server_nice)]
    if args.search_workers:
        pools.append(("search", args.search_workers, args.server_nice + args.search_nice))
    procs: list[subprocess.Popen[bytes]] = []
    ports: dict[str, int] = {}
    masters: dict[str, int] = {}
    try:
        for name, workers, nice in pools:
            port = ports[name] = free_port()
            cmd = [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "dapolice.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads if args.worker_class == "gthread" else 1),
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ]
            procs.append(
                subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603
            )
            if nice:  # before the master forks its workers (it is still starting Python)
                set_priority(procs[-1].pid, nice)
            masters[f"{name} pool"] = procs[-1].pid
        ports.setdefault("search", ports["web"])
        for port in set(ports.values()):
            _wait_until_up(port, procs)
        say(
            f"gunicorn {args.worker_class}: web {args.workers} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
            + (
                f", searches on {args.search_workers} workers of their own"
                + (f" (nice {args.search_nice} more)" if args.search_nice else "")
                if args.search_workers
                else ""
            )
            + (f"; server at nice {args.server_nice}" if args.server_nice else "")
        )
        yield Served(ports, masters)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_until_up(port: int, procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("gunicorn exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/account/login/", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within 60 s")


# --- The load ----------------------------------------------------------------------------------


def incident_payload(query: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "location": {"house": "4", "street": "Elm Row", "town": "Diss", "postcode": "IP22 4AA"},
        "relationship": "ex_partner",
        "category": "B",
        "immediate_risk": False,
        "injuries": True,
        "weapons": False,
        "children_present": False,
        "firearm_at_address": False,
        "happened_before": False,
        "victim_vulnerable": False,
        "people": [
            {"role": "victim", **query, "is_caller": True, "lives_at_location": True},
            {"role": "suspect", "given_name": "Gary", "family_name": query["family_name"]},
        ],
    }


async def call_taker(
    client: Client,
    rec: Recorder,
    queries: list[dict[str, Any]],
    stop_at: float,
    incident_every: float,
    rng: random.Random,
) -> None:
    now = time.monotonic()
    next_search = now + rng.random()
    next_incident = now + rng.random() * min(incident_every, max(stop_at - now - 1, 0.5))
    while (now := time.monotonic()) < stop_at:
        if now >= next_incident:
            next_incident += incident_every
            key = str(uuid.uuid4())
            payload = incident_payload(rng.choice(queries), key)
            status, body, ms = await client.json("/api/incidents/", payload)
            rec.add("POST /api/incidents/", status, ms)
            if status == 201:
                first = json.loads(body)["id"]
                rec.created.add(first)
                if rng.random() < 0.1:  # a client retrying after a timeout
                    status, body, ms = await client.json("/api/incidents/", payload)
                    rec.add("POST /api/incidents/ (retry)", status, ms)
                    rec.doubles += 1
                    if status == 201 and json.loads(body)["id"] == first:
                        rec.doubles_same += 1
        elif now >= next_search:
            next_search += 1.0
            status, _, ms = await client.json("/api/persons/match/", rng.choice(queries))
            rec.add("POST /api/persons/match/", status, ms)
        else:
            await rec.sleep_until(min(next_search, next_incident, stop_at))


async def supervisor(
    client: Client, rec: Recorder, stop_at: float, every: float, rng: random.Random
) -> None:
    next_refresh = time.monotonic() + rng.random() * every
    while (now := time.monotonic()) < stop_at:
        if now >= next_refresh:
            next_refresh += every
            status, _, ms = await client.request(
                "GET", "/incidents/board/", headers={"HX-Request": "true"}
            )
            rec.add("GET /incidents/board/ (htmx)", status, ms)
        else:
            await rec.sleep_until(min(next_refresh, stop_at))


def client_process(pipe: Any, spec: dict[str, Any]) -> None:
    """One load-generator process (``multiprocessing``, spawned: no Django here): signs its
    share of the people in, says ready, waits for the common start, runs them on one event
    loop, and sends back what it recorded and the CPU it used doing so."""
    if spec["nice"]:
        os.setsid()  # a session, so a scheduling group, of its own
        set_priority(os.getpid(), spec["nice"])
    try:
        pipe.send(("done", asyncio.run(_client_main(pipe, spec))))
    except BaseException as exc:  # noqa: BLE001 (reported by the parent)
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


async def _client_main(pipe: Any, spec: dict[str, Any]) -> dict[str, Any]:
    people = []
    for username, kind, seed in spec["people"]:
        client = Client(spec["ports"])
        await client.sign_in(username)
        people.append((client, kind, random.Random(seed)))
    pipe.send(("ready", len(people)))
    _, start_at = pipe.recv()  # nothing else is running on this loop yet
    rec = Recorder()
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    stop_at = start_at + spec["duration"]
    cpu_started = time.process_time()
    runs = []
    for client, kind, rng in people:
        if kind == "call_taker":
            runs.append(
                call_taker(client, rec, spec["queries"], stop_at, spec["incident_every"], rng)
            )
        else:
            runs.append(supervisor(client, rec, stop_at, spec["board_every"], rng))
    await asyncio.gather(*runs)
    finished_at = time.monotonic()
    cpu = time.process_time() - cpu_started
    for client, _, _ in people:
        client.close()
    return {
        "samples": rec.samples,
        "created": sorted(rec.created),
        "doubles": rec.doubles,
        "doubles_same": rec.doubles_same,
        "lags": rec.lags,
        "reconnects": sum(client.reconnects for client, _, _ in people),
        "cpu_s": cpu,
        "finished_at": finished_at,
    }


def storm(ports: dict[str, int], usernames: list[str]) -> dict[str, float]:
    """Everyone posts the sign-in form at the same moment; seconds per sign-in."""
    return asyncio.run(_storm(ports, usernames))


async def _storm(ports: dict[str, int], usernames: list[str]) -> dict[str, float]:
    clients = [Client(ports) for _ in usernames]
    for client in clients:
        await client.get_login()
    results = await asyncio.gather(
        *(client.post_login(name) for client, name in zip(clients, usernames, strict=True))
    )
    for client in clients:
        client.close()
    seconds = [ms / 1000 for _, ms in results]
    return {
        "n": len(results),
        "ok": sum(1 for status, _ in results if status == 302),
        "p50_s": percentile(seconds, 50),
        "p95_s": percentile(seconds, 95),
        "max_s": max(seconds, default=0.0),
    }


def say_storm(say: Callable[[str], None], s: dict[str, float], label: str) -> None:
    say(
        f"sign-in storm, {s['n']} at once, {label}: p50 {s['p50_s']:.2f} s, "
        f"p95 {s['p95_s']:.2f} s, max {s['max_s']:.2f} s ({s['ok']} signed in)"
    )


# --- Where the two cores went during a step (/proc) -------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 when gone)."""
    fields = _proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def process_tree(pid: int) -> list[int]:
    """A process and its children (a gunicorn master and its workers)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(int(entry))
            if fields and int(fields[1]) == pid:
                children.append(int(entry))
    return [pid, *children]


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def database_backends() -> list[int]:
    """The PostgreSQL backends serving the load database, not this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def set_priority(pid: int, nice: int) -> None:
    """Nice a process and, with the kernel's autogroups, its session's group: with
    ``kernel.sched_autogroup_enabled`` the CPU is shared between sessions first, so a process's
    own nice value only orders it within its session (each gunicorn pool is a session of its
    own, as each is a container in ``docker-compose.yml``). Quietly nothing when refused (a
    negative value needs root)."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w", encoding="ascii") as fh:
        fh.write(str(nice))


def renice(pids: list[int], nice: int) -> None:
    """Set the nice value of these processes (PostgreSQL backends); quietly not when refused."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, nice)


def cpu_snapshot(masters: dict[str, int]) -> dict[str, Any]:
    groups = {name: process_tree(pid) for name, pid in masters.items()}
    groups["PostgreSQL"] = database_backends()
    return {
        "machine": machine_cpu(),
        "groups": {
            name: {pid: process_cpu_s(pid) for pid in pids} for name, pids in groups.items()
        },
    }


def cpu_shares(
    before: dict[str, Any], after: dict[str, Any], generator_s: float
) -> dict[str, float]:
    """Per cent of all cores over the step: the generator, each pool, PostgreSQL, the rest."""
    busy = after["machine"][0] - before["machine"][0]
    total = after["machine"][1] - before["machine"][1]
    if total <= 0:
        return {}
    shares = {"generator": generator_s}
    for name, pids in after["groups"].items():
        was = before["groups"].get(name, {})
        shares[name] = sum(max(0.0, s - was.get(pid, 0.0)) for pid, s in pids.items())
    shares["rest of the machine"] = max(0.0, busy - sum(shares.values()))
    shares["machine busy"] = busy
    return {name: round(100 * s / total, 1) for name, s in shares.items()}


# --- A step -------------------------------------------------------------------------------------


@dataclass
class StepResult:
    call_takers: int
    supervisors: int
    seconds: float
    rec: Recorder
    incidents_in_db: int
    matched_audit: int
    board_audit: int
    cpu: dict[str, float] = field(default_factory=dict)
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    client_procs: int = 1

    @property
    def requests(self) -> int:
        return len(self.rec.samples)

    def errors(self) -> int:
        return sum(1 for _, status, _ in self.rec.samples if not 200 <= status < 300)

    def served(self, endpoint: str) -> int:
        return sum(1 for e, status, _ in self.rec.samples if e == endpoint and status == 200)

    def reconciled(self) -> dict[str, tuple[int, int]]:
        return {
            "incidents created = distinct 201s": (self.incidents_in_db, len(self.rec.created)),
            "double submits answered with the same incident": (
                self.rec.doubles_same,
                self.rec.doubles,
            ),
            "searches served = search audit rows": (
                self.served("POST /api/persons/match/"),
                self.matched_audit,
            ),
            "board refreshes served = board audit rows": (
                self.served("GET /incidents/board/ (htmx)"),
                self.board_audit,
            ),
        }

    def ok(self) -> bool:
        return all(a == b for a, b in self.reconciled().values())


def run_step(
    server: Served,
    call_takers: list[str],
    supervisors: list[str],
    queries: list[dict[str, Any]],
    args: argparse.Namespace,
    step_no: int,
) -> StepResult:
    from dapolice.accounts.models import User
    from dapolice.audit.models import AuditEvent
    from incidents.models import Incident

    people = [
        (
            name,
            "call_taker" if i < len(call_takers) else "supervisor",
            args.seed * 100_003 + step_no * 1_009 + i,
        )
        for i, name in enumerate(call_takers + supervisors)
    ]
    n_procs = max(1, min(args.client_procs, len(people)))
    spec = {
        "ports": server.ports,
        "queries": queries,
        "duration": args.duration,
        "incident_every": args.incident_every,
        "board_every": args.board_every,
        "nice": args.client_nice,
    }
    context = multiprocessing.get_context("spawn")  # no Django, no inherited connections
    pipes, procs = [], []
    for i in range(n_procs):
        ours, theirs = context.Pipe()
        proc = context.Process(
            target=client_process,
            args=(theirs, {**spec, "people": people[i::n_procs]}),
            daemon=True,
        )
        proc.start()
        theirs.close()
        pipes.append(ours)
        procs.append(proc)
    try:
        for pipe in pipes:
            kind, detail = pipe.recv()
            if kind != "ready":
                raise RuntimeError(f"a load generator process failed: {detail}")
        users = list(
            User.objects.filter(username__in=call_takers + supervisors).values_list("pk", flat=True)
        )
        audit_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        incident_before = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        cpu_before = cpu_snapshot(server.masters)
        start_at = time.monotonic() + 0.2
        for pipe in pipes:
            pipe.send(("go", start_at))
        outcomes: list[tuple[str, Any]] = []
        waiting: list[Any] = list(pipes)
        while waiting:
            if args.server_nice:  # the backends a pool's threads open as they first serve
                renice(database_backends(), args.server_nice)
            for ready in multiprocessing.connection.wait(waiting, timeout=2.0):
                pipe = next(p for p in waiting if p is ready)
                outcomes.append(pipe.recv())
                waiting.remove(pipe)
        cpu_after = cpu_snapshot(server.masters)
        loadavg = os.getloadavg()
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    failed = [detail for kind, detail in outcomes if kind != "done"]
    if failed:
        raise RuntimeError(f"a load generator process failed: {failed[0]}")
    rec = Recorder()
    for _, got in outcomes:
        rec.samples.extend(tuple(sample) for sample in got["samples"])
        rec.created.update(got["created"])
        rec.doubles += got["doubles"]
        rec.doubles_same += got["doubles_same"]
        rec.lags.extend(got["lags"])
        rec.reconnects += got["reconnects"]
    seconds = max(got["finished_at"] for _, got in outcomes) - start_at
    new_audit = AuditEvent.objects.filter(pk__gt=audit_before, actor_id__in=users)
    return StepResult(
        call_takers=len(call_takers),
        supervisors=len(supervisors),
        seconds=seconds,
        rec=rec,
        incidents_in_db=Incident.objects.filter(pk__gt=incident_before).count(),
        matched_audit=new_audit.filter(action="incidents.person.matched").count(),
        board_audit=new_audit.filter(action="incidents.incident.board_viewed").count(),
        cpu=cpu_shares(cpu_before, cpu_after, sum(got["cpu_s"] for _, got in outcomes)),
        loadavg=loadavg,
        client_procs=n_procs,
    )


# --- Output ------------------------------------------------------------------------------------


def render_step(result: StepResult) -> list[str]:
    rec = result.rec
    rate = result.requests / result.seconds if result.seconds else 0.0
    lines = [
        f"step: {result.call_takers} call takers, {result.supervisors} supervisors, "
        f"{result.seconds:.0f} s: {rate:.1f} req/s, {result.requests} requests, "
        f"{result.errors()} errors",
        f"  {'endpoint':<34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for endpoint, rows in sorted(rec.by_endpoint().items()):
        ms = [m for _, m in rows]
        errors: dict[int, int] = defaultdict(int)
        for status, _ in rows:
            if not 200 <= status < 300:
                errors[status] += 1
        err = ",".join(f"{n}x{s}" for s, n in sorted(errors.items())) or "0"
        lines.append(
            f"  {endpoint:<34} {len(rows):>6} {percentile(ms, 50):>8.0f} {percentile(ms, 95):>8.0f}"
            f" {percentile(ms, 99):>8.0f} {err:>7}"
        )
    if result.cpu:
        cores = os.cpu_count() or 1
        shares = ", ".join(f"{name} {pct:.1f}" for name, pct in result.cpu.items())
        lines.append(f"  CPU, % of all {cores} cores over the step: {shares}")
    lag = rec.lags
    lines.append(
        f"  load generator: {result.client_procs} processes, timer lag p50 / p95 / max "
        f"{percentile(lag, 50):.1f} / {percentile(lag, 95):.1f} / {max(lag, default=0.0):.1f} ms, "
        f"{rec.reconnects} kept-alive connections closed under a request; load average "
        + " ".join(f"{v:.2f}" for v in result.loadavg)
    )
    for label, (a, b) in result.reconciled().items():
        lines.append(f"  {'ok ' if a == b else 'MISMATCH '}{label}: {a} = {b}")
    return lines


def summary_row(result: StepResult) -> dict[str, Any]:
    by = result.rec.by_endpoint()

    def p(endpoint: str, q: float) -> float:
        return round(percentile([m for _, m in by.get(endpoint, [])], q), 1)

    return {
        "call_takers": result.call_takers,
        "req_per_s": round(result.requests / result.seconds, 1) if result.seconds else 0,
        "errors": result.errors(),
        "match_p50": p("POST /api/persons/match/", 50),
        "match_p95": p("POST /api/persons/match/", 95),
        "match_p99": p("POST /api/persons/match/", 99),
        "incident_p50": p("POST /api/incidents/", 50),
        "incident_p95": p("POST /api/incidents/", 95),
        "incident_p99": p("POST /api/incidents/", 99),
        "board_p95": p("GET /incidents/board/ (htmx)", 95),
        "reconciled": result.ok(),
        "generator_cpu_pct": result.cpu.get("generator", 0.0),
        "generator_lag_p95": round(percentile(result.rec.lags, 95), 1),
        "cpu": result.cpu,
        "loadavg": round(result.loadavg[0], 2),
    }


def render_summary(rows: list[dict[str, Any]]) -> list[str]:
    head = (
        "| call takers | req/s | errors | match p50/p95/p99 ms | incident p50/p95/p99 ms "
        "| board p95 ms | reconciled | generator CPU % / lag p95 ms | load average |"
    )
    lines = [head, "| ---: | ---: | ---: | --- | --- | ---: | --- | --- | ---: |"]
    for r in rows:
        lines.append(
            f"| {r['call_takers']} | {r['req_per_s']} | {r['errors']} | "
            f"{r['match_p50']:.0f} / {r['match_p95']:.0f} / {r['match_p99']:.0f} | "
            f"{r['incident_p50']:.0f} / {r['incident_p95']:.0f} / {r['incident_p99']:.0f} | "
            f"{r['board_p95']:.0f} | {'yes' if r['reconciled'] else 'NO'} | "
            f"{r.get('generator_cpu_pct', 0.0):.1f} / {r.get('generator_lag_p95', 0.0):.1f} | "
            f"{r.get('loadavg', 0.0):.2f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["DAPOLICE_ENV"] = "demo"  # DEBUG off, Argon2id; no HTTPS redirect on loopback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
    sys.path.insert(0, ROOT)
    import django

    django.setup()

    def say(text: str) -> None:
        print(text, flush=True)  # noqa: T201 (a command-line tool)

    db_url, dbs, guard = prepare_database(args, say)
    try:
        top = max(args.step_list, default=0)
        takers = make_users("ct", "call_taker", top)
        sups = make_users("sup", "control_supervisor", math.ceil(top / 10))
        stormers = make_users("storm", "call_taker", args.storm) if args.storm else []
        queries = search_queries(30, args.seed)
        figures: dict[str, Any] = {
            "args": {k: v for k, v in vars(args).items() if k != "step_list"}
        }
        ok = True
        with serve(args, db_url, say) as server:
            ports = server.ports
            if stormers and args.storm_only:
                # Argon2id only (the users were made with it), three storms: on a shared
                # machine one storm is noisy; the median of three p95s is the figure.
                runs = [storm(ports, stormers) for _ in range(3)]
                figures["storm"] = {"argon2id": runs}
                for i, s in enumerate(runs, 1):
                    say_storm(say, s, f"Argon2id, run {i} of 3")
                say(
                    "sign-in storm, Argon2id: median p95 of 3 runs "
                    f"{sorted(r['p95_s'] for r in runs)[1]:.2f} s"
                )
            elif stormers:
                set_pbkdf2(stormers)
                before = storm(ports, stormers)
                after = storm(ports, stormers)  # the first sign-in upgraded them to Argon2id
                figures["storm"] = {"pbkdf2": before, "argon2id": after}
                for label, s in (("PBKDF2 (before)", before), ("Argon2id (after)", after)):
                    say_storm(say, s, label)
            rows = []
            for i, n in enumerate(args.step_list):
                n_sup = max(1, math.ceil(n / 10))
                result = run_step(server, takers[:n], sups[:n_sup], queries, args, i)
                for line in render_step(result):
                    say(line)
                rows.append(summary_row(result))
                ok = ok and result.ok()
        figures["steps"] = rows
        if rows:
            say("")
            for line in render_summary(rows):
                say(line)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(figures, fh, indent=2)
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        dbs.drop(f"{dbs.home}_load")
        guard.close()


if __name__ == "__main__":
    sys.exit(main())

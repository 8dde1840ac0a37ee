"""What one sign-in costs the server in CPU (issue 13, sign-in storms).

At a shift change 40 people sign in at once on 2 cores, so the storm's p95 is about 40 times a
sign-in's CPU shared by the cores (``make loadtest LOADTEST_ARGS="--storm-only"`` measures the
storm itself). Measured here, in process CPU (``time.process_time``), with Django's test client
and the production password hashers (Argon2id as tuned, PBKDF2 for old hashes):

* the sign-in POST (credentials to the redirect: lockout check, password hash, second-factor
  lookup, session, axes' access log, last_login, the audit row), the sign-in page fetched
  before and not counted;
* one Argon2id verification alone (argon2-cffi), in turn with the POSTs, so that what is not
  the hash is the difference;
* the queries of one sign-in POST.

Users ``bench.signin.NN`` (call takers) are made in the home bench database on first use.
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import Context, Row, Timing

PASSWORD = "bench-sign-in-Quorn-2026"  # noqa: S105 (throwaway users of the bench database)
USERS = 20
PRODUCTION_HASHERS = [
    "dapolice.accounts.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def run(ctx: Context) -> list[Row]:
    from django.contrib.auth.hashers import get_hasher
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    ctx.home()
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS, MFA_REQUIRED=False):
        names = _users()
        hasher = get_hasher("default")
        encoded = hasher.encode(PASSWORD, hasher.salt())
        for name in names:  # warm-up; re-makes hashes made with other parameters
            _sign_in(name)
        posts: list[float] = []
        hashes: list[float] = []
        rounds = max(1, ctx.repeat // len(names)) * len(names)
        for i in range(rounds):
            posts.append(_sign_in(names[i % len(names)]))
            started = time.process_time()
            hasher.verify(PASSWORD, encoded)
            hashes.append((time.process_time() - started) * 1000)
        client = Client()
        client.get("/account/login/")
        with CaptureQueriesContext(connection) as queries:
            _post(client, names[0])
    post, hash_ = Timing(posts), Timing(hashes)
    params = f"{hasher.memory_cost} KiB x {hasher.time_cost} passes x {hasher.parallelism} lane"
    return [
        Row.timed(
            "sign-in POST, process CPU ms",
            post,
            unit="sign-ins",
            figures={"queries": len(queries.captured_queries)},
        ),
        Row.timed("one Argon2id verification, CPU ms", hash_, unit="hashes", note=params),
        Row(
            "sign-in POST less the hash, CPU ms (medians)",
            unit="sign-ins",
            figures={"ms": round(post.median - hash_.median, 1)},
        ),
    ]


def _users() -> list[str]:
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    names = [f"bench.signin.{i:02d}" for i in range(USERS)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    system = system_user()
    for name in names:
        if name not in existing:
            user_create(actor=system, username=name, password=PASSWORD, roles=[Role.CALL_TAKER])
    return names


def _post(client: Any, name: str) -> Any:
    response = client.post(
        "/account/login/",
        {"auth-username": name, "auth-password": PASSWORD, "login_view-current_step": "auth"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {name} answered {response.status_code}")
    return response


def _sign_in(name: str) -> float:
    """CPU ms of the credentials POST (a fresh browser that fetched the sign-in page)."""
    from django.test import Client

    client = Client()
    client.get("/account/login/")
    started = time.process_time()
    _post(client, name)
    return (time.process_time() - started) * 1000

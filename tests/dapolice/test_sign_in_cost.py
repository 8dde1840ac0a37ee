"""A sign-in costs the password hash and the writes it must make (issue 13, sign-in storms).

At a shift change 40 people sign in at once on 2 cores; every query a sign-in makes besides
the hash is paid 40 times. ``dapolice.accounts.views.LoginView`` asks for the user's second
factor once (the upstream view asked on every evaluation of its step conditions) and keeps the
user the password form authenticated; ``dapolice.accounts.sessions.SessionStore`` writes the
new session once (Django inserts it at ``cycle_key`` and updates it again at the response).
Lockout, the audit row and the token step are unchanged (their own tests in test_accounts).
"""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from dapolice.accounts.sessions import SessionStore
from dapolice.audit.models import AuditEvent
from tests.dapolice.test_accounts import LOGIN_URL, T0, sign_in, signed_in

pytestmark = pytest.mark.django_db

#: The sign-in POST's queries (15; 22 before): the lockout check, the user, the second factor
#: (one per device type), the old session deleted, axes' expired attempts, access log and
#: reset (3), last_login, the roles for the audit row, the audit row (2), the new session (3:
#: the insert in its savepoint). Before: the user twice, the devices twice over, the session
#: looked up, inserted, read, deleted and updated.
SIGN_IN_QUERIES = 15


def _redis_sessions() -> bool:
    return django_settings.SESSION_ENGINE == "dapolice.accounts.sessions"


def _sign_in_capturing(client: Client, username: str) -> tuple[object, list[str]]:
    client.get(LOGIN_URL)
    with CaptureQueriesContext(connection) as ctx:
        response = sign_in(client, username)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_a_sign_in_makes_no_repeated_reads(call_taker):
    response, sql = _sign_in_capturing(Client(), call_taker.username)
    assert response.status_code == 302
    reads_of = lambda table: [q for q in sql if q.startswith("SELECT") and f'FROM "{table}"' in q]  # noqa: E731
    assert len(reads_of("accounts_user")) == 1, "the user is read once, by the password check"
    assert len(reads_of("otp_totp_totpdevice")) == 1, "the second factor is looked up once"
    assert len(reads_of("otp_static_staticdevice")) == 1
    assert not reads_of("django_session"), "the old session is deleted without reading it"


@pytest.mark.skipif(not _redis_sessions(), reason="the Redis session store")
def test_the_new_session_is_written_once_and_the_old_one_is_gone(call_taker):
    client = Client()
    response, sql = _sign_in_capturing(client, call_taker.username)
    assert response.status_code == 302
    old_key = None  # the anonymous session of the sign-in page, if one was stored
    writes = [q for q in sql if "django_session" in q and not q.startswith("SELECT")]
    assert [w.split()[0] for w in writes if not w.startswith("DELETE")] == ["INSERT"]
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=new_key).exists()
    for w in writes:
        if w.startswith("DELETE"):
            old_key = w.rsplit("'", 2)[-2]
    if old_key:
        assert old_key != new_key
        assert not Session.objects.filter(session_key=old_key).exists()
        assert not SessionStore().exists(old_key)
    assert signed_in(client)


def test_a_sign_in_stays_within_its_query_budget(call_taker):
    response, sql = _sign_in_capturing(Client(), call_taker.username)
    assert response.status_code == 302
    assert len(sql) <= SIGN_IN_QUERIES, "\n".join(sql)


def test_a_sign_in_still_writes_its_audit_row_and_resets_the_failures(client, call_taker):
    from axes.models import AccessAttempt, AccessLog

    assert sign_in(client, call_taker.username, "wrong password 1").status_code == 200
    assert AccessAttempt.objects.filter(username=call_taker.username).exists()
    assert sign_in(client, call_taker.username).status_code == 302
    assert not AccessAttempt.objects.filter(username=call_taker.username).exists()
    assert AccessLog.objects.filter(username=call_taker.username).count() == 1
    row = AuditEvent.objects.filter(action="accounts.session.signed_in").get()
    assert row.actor_id == call_taker.pk
    assert "call_taker" in row.actor_roles


def test_the_second_factor_asked_is_the_one_of_the_user_who_typed_the_password(
    call_taker, control_supervisor
):
    """The device answer and the user are kept per request and per user: after one user's
    password step, another user signing in in the same browser is neither asked for the
    first one's code nor signed in as them."""
    TOTPDevice.objects.create(user=control_supervisor, name="default", confirmed=True)
    client = Client()
    with time_machine.travel(T0, tick=False):
        step = sign_in(client, control_supervisor.username)
        assert b'name="token-otp_token"' in step.content
        assert not signed_in(client)
        response = sign_in(client, call_taker.username)  # no device: no token step
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(call_taker.pk)
        # And the user with a device is still asked for it, from a fresh browser.
        assert b'name="token-otp_token"' in sign_in(Client(), control_supervisor.username).content

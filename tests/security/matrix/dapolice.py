"""The cross-cutting apps: home, sign-in and second factor, accounts, alerts, audit, health,
the API's own pages. Public routes (no sign-in) are the explicit allow-list ``PUBLIC``."""

from __future__ import annotations

from dapolice.alerts.services import SWEEP_HEARTBEAT, heartbeat_beat
from dapolice.health.tasks import worker_heartbeat
from tests.security.matrix import (
    CONTROL_SUPERVISOR,
    DENIED,
    LOGIN,
    OK,
    PRINCIPALS,
    SIGNED_IN,
    SYSADMIN,
    Audit,
    Route,
    expect,
    public,
)


def _healthy() -> None:
    """What a running stack does: the worker's heartbeat and the deadline sweep's."""
    worker_heartbeat()
    heartbeat_beat(name=SWEEP_HEARTBEAT)


#: Routes anyone may open without signing in; test_inventory fails on any other route that does.
PUBLIC = frozenset(
    {
        "two_factor:login",
        "accounts:password-reset-confirm",
        "accounts:password-reset-complete",
        "healthz",
    }
)
EVERYONE_SIGNED_IN = SIGNED_IN

ROUTES = [
    Route("home", get=expect(EVERYONE_SIGNED_IN)),
    Route(
        "accounts:activity",
        note="typing on the intake page keeps the session alive: reads and changes nothing",
        post=expect(EVERYONE_SIGNED_IN),
        audit={"post": Audit("none")},
    ),
    Route(
        "two_factor:login",
        get=public(),
        post=public(),
        note="sign-in (lockout and MFA: tests/dapolice)",
    ),
    Route("two_factor:setup", get=expect(EVERYONE_SIGNED_IN), post=expect(EVERYONE_SIGNED_IN)),
    # The QR code exists only during set-up (a key in the session): 404 otherwise.
    Route("two_factor:qr", get=expect(hidden=EVERYONE_SIGNED_IN)),
    # Need a verified second factor: in test settings nobody has one, so sign in again.
    Route("two_factor:setup_complete", get=expect(**{LOGIN: EVERYONE_SIGNED_IN})),
    Route(
        "two_factor:backup_tokens",
        get=expect(**{LOGIN: EVERYONE_SIGNED_IN}),
        post=expect(**{LOGIN: EVERYONE_SIGNED_IN}),
    ),
    Route("two_factor:profile", get=expect(EVERYONE_SIGNED_IN)),
    # Signed out: two_factor sends to the home page (which then asks to sign in): no content.
    Route(
        "two_factor:disable",
        get=expect(EVERYONE_SIGNED_IN, signed_out=OK),
        post=expect(EVERYONE_SIGNED_IN, signed_out=OK),
    ),
    Route(
        "mfa-disable",
        get=expect(EVERYONE_SIGNED_IN, signed_out=OK),
        post=expect(EVERYONE_SIGNED_IN, signed_out=OK),
    ),
    # Signing out ends on the sign-in page, whoever asks.
    Route("accounts:logout", post=expect(**{LOGIN: PRINCIPALS})),
    Route(
        "accounts:role-requests",
        get=expect({CONTROL_SUPERVISOR}),
        audit={"get": Audit("list")},
    ),
    Route(
        "accounts:role-request-decide",
        kwargs=lambda w: {"pk": w.role_request.pk},
        post=expect({CONTROL_SUPERVISOR}),
    ),
    Route(
        "accounts:password-reset-confirm",
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
        get=public(),
        post=public(),
    ),
    Route("accounts:password-reset-complete", get=public()),
    Route("alerts:list", get=expect(EVERYONE_SIGNED_IN)),
    Route("alerts:count", get=expect(EVERYONE_SIGNED_IN)),
    Route(
        "alerts:acknowledge",
        kwargs=lambda w: {"pk": w.alert.pk},
        # Someone else's alert is not found (the inbox shows only one's own and one's role's).
        # Acknowledging is audited: who cleared a break-glass or bulk-read alert is on record.
        post=expect({CONTROL_SUPERVISOR}, hidden=EVERYONE_SIGNED_IN - {CONTROL_SUPERVISOR}),
        audit={"post": Audit("change", "alerts.alert")},
    ),
    Route(
        "audit:list",
        get=expect({CONTROL_SUPERVISOR, SYSADMIN}),
        audit={"get": Audit("list", "audit.auditevent")},
        note="values only of records the reader may see (dapolice.audit.values)",
    ),
    Route("api-me", api=True, get=expect(EVERYONE_SIGNED_IN)),
    Route(
        "api-audit-events",
        api=True,
        get=expect({CONTROL_SUPERVISOR, SYSADMIN}),
        audit={"get": Audit("list", "audit.auditevent")},
        note="values only of records the reader may see (dapolice.audit.values)",
    ),
    # For those who build or run integrations only (DAPOLICE_API_DOCS_ROLES; issue 8).
    Route("schema", api=True, get=expect({SYSADMIN})),
    # A DRF view: signed out is DRF's 403 (as an HTML page), not a redirect.
    Route("swagger-ui", get=expect({SYSADMIN}, signed_out=DENIED)),
    Route("healthz", get=public(), setup=_healthy),
]

"""Every route x every principal x every method it answers, through the real views.

The table is ``tests/security/matrix/`` (one module per app); this module only drives it. For
each cell it checks:

1. **Access**: the outcome class (README, "Every route, proven"): OK, sign in, 403, 404.
2. **Audit**: an OK request leaves the rows its row's ``audit`` names, by its actor; an unsafe
   request that made or removed something (201, 204) left a create, change, delete or access
   row (``Audit("none")`` on a row says why one need not); and
   any response that shows the world's victim (by name) left a read, list or search row.
3. **Field level**: no response to a principal not entitled to it contains a sentinel
   (the refuge's street: nobody; children's details; police intelligence).

``MATRIX_RECORD=path`` also writes the observed outcomes as JSON (to draft a new app's rows;
every row is then checked by hand against the app's policies before it is committed).
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from tests.security.matrix import (
    ANALYST,
    ANONYMOUS,
    CALL_TAKER,
    CONTROL_SUPERVISOR,
    DENIED,
    DISABLED,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    OUTSIDER,
    PARTNER,
    PARTNER_OTHER,
    PRINCIPALS,
    ROUTES,
    SIGNED_OUT,
    SYSADMIN,
    Audit,
    Route,
)
from tests.security.world import (
    CHILDREN_SENTINEL,
    INTEL_SENTINEL,
    REFUGE_SENTINEL,
    VICTIM_NAME,
    World,
)

#: Sentinel -> the principals that must never see it in any response. Nobody in the world has
#: revealed the refuge (break-glass), so its street is shown to nobody.
FORBIDDEN_SENTINELS: dict[str, frozenset[str]] = {
    REFUGE_SENTINEL: frozenset(PRINCIPALS),
    CHILDREN_SENTINEL: SIGNED_OUT
    | {OUTSIDER, CALL_TAKER, CONTROL_SUPERVISOR, ANALYST, PARTNER, PARTNER_OTHER, SYSADMIN},
    INTEL_SENTINEL: SIGNED_OUT
    | {OUTSIDER, CALL_TAKER, CONTROL_SUPERVISOR, ANALYST, PARTNER, PARTNER_OTHER, SYSADMIN},
}

_RECORDED: dict[str, Any] = {}

#: A successful unsafe request must leave one of these (by its actor, in that request).
CHANGE_KINDS = {"create", "change", "delete", "access"}
CHANGED = Audit("change")


def classify(response: Any, api: bool) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307):
        location = response.get("Location", "")
        login = (settings.LOGIN_URL, "/admin/login/", "/account/login/")
        return LOGIN if any(location.startswith(p) for p in login) else OK
    if status == 401:
        return LOGIN
    if status == 403:
        if api and b"credentials were not provided" in response.content:
            return LOGIN
        return DENIED
    if status == 404:
        return HIDDEN
    if status == 405:
        return NOT_ALLOWED
    if status >= 500 or status == 429:
        return str(status)
    return OK  # 2xx, other redirects, 400 form errors, 409 conflicts: the view ran


def _request(client: Any, method: str, url: str, data: Any, api: bool) -> Any:
    call = getattr(client, method)
    if method == "get":
        return call(url)
    if api:
        return call(url, data=json.dumps(data or {}), content_type="application/json")
    if method == "post":
        return call(url, data or {})
    return call(url, data=json.dumps(data or {}), content_type="application/json")


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _listed_ids(body: str) -> set[int]:
    data = json.loads(body)
    items = data["results"] if isinstance(data, dict) else data
    return {item["id"] if "id" in item else item["case"]["id"] for item in items}


def drive_cell(world: World, route: Route, principal: str, method: str) -> tuple[str, list[str]]:
    """One cell, in a savepoint rolled back afterwards: (outcome, problems)."""
    client = world.extra["clients"][principal]
    user = world.users.get(principal)
    url = reverse(route.name, kwargs=route.kwargs(world)) + (route.query if method == "get" else "")
    data = route.data(world) if route.data else None
    problems: list[str] = []
    cookies = copy.deepcopy(client.cookies)  # sign-out, a new session key: undone after the cell
    if route.setup is not None:
        route.setup()
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            response = _request(client, method, url, data, route.api)
        except Exception as exc:  # a server error is a finding, reported with the cell
            transaction.set_rollback(True)
            client.cookies = cookies
            return "500", [f"raised {type(exc).__name__}: {exc}"]
        outcome = OK if response.status_code in route.ok_statuses else classify(response, route.api)
        body = _body(response)
        rows = list(
            AuditEvent.objects.filter(pk__gt=last, actor=user).values_list("kind", "subject_type")
            if user is not None and principal not in SIGNED_OUT
            else []
        )
        transaction.set_rollback(True)
    client.cookies = cookies
    for sentinel, who in FORBIDDEN_SENTINELS.items():
        tolerated = sentinel in route.known_leaks.get(principal, ())
        if principal in who and sentinel in body and not tolerated:
            problems.append(f"LEAK {sentinel} ({response.status_code})")
    if outcome == OK and method == "get" and route.lists is not None:
        shown = _listed_ids(body)
        expected_ids = route.lists(world, principal)
        if shown != expected_ids:
            problems.append(f"lists {sorted(shown)}, expected {sorted(expected_ids)}")
    if outcome == OK:
        wanted = route.audit.get(method)
        # 201 and 204 say a record was made or removed; a page's redirect may be a conflict
        # sent back with a warning, so pages' changes are named on their rows instead.
        succeeded = response.status_code in (201, 204)
        if wanted is None and method != "get" and succeeded:
            wanted = CHANGED  # a change that went through is audited, whatever the route
        if wanted is CHANGED:
            if not any(kind in CHANGE_KINDS for kind, _ in rows):
                problems.append(f"{response.status_code} with no change audited (rows: {rows})")
        elif method != "get" and response.status_code >= 400:
            pass  # refused by the form or the service (400, 409): nothing changed
        elif (
            wanted
            and wanted.kind != "none"
            and not any(
                kind == wanted.kind and wanted.subject_type in (None, subject)
                for kind, subject in rows
            )
        ):
            problems.append(f"no {wanted.kind} audit of {wanted.subject_type} (rows: {rows})")
        if (
            method == "get"
            and VICTIM_NAME in body
            and not any(kind in ("read", "list", "search") for kind, _ in rows)
        ):
            problems.append("shows the victim with no read/list/search audit row")
    if os.environ.get("MATRIX_RECORD") and outcome == OK:
        _RECORDED.setdefault("_audit", {}).setdefault(f"{route.id} {method}", {})[principal] = (
            sorted(set(rows))
        )
    return outcome, problems


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_every_cell_of_the_route(world: World, route: Route) -> None:
    mismatches: list[str] = []
    observed: dict[str, dict[str, str]] = {}
    for method, expected in route.methods().items():
        for principal in PRINCIPALS:
            outcome, problems = drive_cell(world, route, principal, method)
            observed.setdefault(method, {})[principal] = outcome
            want = expected.get(principal)
            also = route.pending.get(method, {}).get(principal)
            if outcome not in (want, also):
                mismatches.append(f"{method.upper()} {principal}: expected {want}, got {outcome}")
            if outcome == also:  # a pending finding, reported by its row's note
                problems = [p for p in problems if not p.startswith("raised")]
            mismatches.extend(f"{method.upper()} {principal}: {p}" for p in problems)
    if os.environ.get("MATRIX_RECORD"):
        _RECORDED[route.id] = observed
        with open(os.environ["MATRIX_RECORD"], "w") as f:  # noqa: PTH123
            json.dump(_RECORDED, f, indent=1, sort_keys=True)
    assert not mismatches, f"{route.id}:\n  " + "\n  ".join(mismatches)


# Marked so pytest-django runs it with the database tests, before the transactional ones flush
# what the migrations made (the system user, the roles) that the world is built from.
@pytest.mark.django_db
def test_the_world_has_its_sentinels(world: World) -> None:
    """The sentinels are really in the records (a typo would make every leak check vacuous)."""
    assert REFUGE_SENTINEL in world.refuge.street
    assert world.refuge.is_restricted
    assert CHILDREN_SENTINEL in json.dumps(
        {k: str(v) for k, v in vars(world.dash).items()}, default=str
    )
    assert world.case.information.filter(summary__contains=INTEL_SENTINEL).exists()
    assert world.referral.agency == world.users[PARTNER].agency
    assert DISABLED in world.users
    assert not world.users[DISABLED].is_active
    assert ANONYMOUS not in world.users


_AUDITED_READS = [
    route
    for route in ROUTES
    if route.get is not None and "get" in route.audit and OK in route.get.values()
]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("route", _AUDITED_READS, ids=lambda r: r.id)
def test_when_the_audit_cannot_be_written_every_audited_read_fails_closed(
    world: World, route: Route
) -> None:
    """The audit store refuses every row (a trigger): each audited read answers 500 (503 from the
    API: "database unavailable") and shows
    nothing of the case (README, "Audit trail": fail closed), for the first role allowed."""
    principal = next(p for p in PRINCIPALS if route.get and route.get[p] == OK)
    client = world.extra["clients"][principal]
    cookies = copy.deepcopy(client.cookies)
    url = reverse(route.name, kwargs=route.kwargs(world)) + route.query
    client.raise_request_exception = False
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE FUNCTION matrix_audit_down() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql"
                )
                cursor.execute(
                    "CREATE TRIGGER matrix_audit_down BEFORE INSERT ON audit_auditevent "
                    "FOR EACH ROW EXECUTE FUNCTION matrix_audit_down()"
                )
            response = client.get(url)
            transaction.set_rollback(True)
    finally:
        client.raise_request_exception = True
        client.cookies = cookies
    body = _body(response)
    assert response.status_code in (500, 503), (principal, response.status_code)
    for secret in (VICTIM_NAME, "Vicky", *FORBIDDEN_SENTINELS):
        assert secret not in body, (principal, secret)

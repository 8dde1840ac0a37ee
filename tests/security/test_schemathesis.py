"""schemathesis over the whole OpenAPI schema, with per-role credentials, bounded.

Every API operation of the schema drf-spectacular builds gets ``SCHEMATHESIS_EXAMPLES``
generated requests (default 3; ``make fuzz``: 100, as every role) as each of a few roles, sent
in process to the WSGI application against the matrix's world (in its transaction, each example in a
savepoint rolled back). Each response must not be a server error and, where the schema documents
its status, must match the documented body (``response_schema_conformance``).
Authentication is a DRF token per principal (MFA is off in test settings), as an API client
would use it: session authentication would need a CSRF token on every unsafe request.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.security.matrix import CALL_TAKER, MASH, OFFICER, PARTNER, SUPERVISOR
from tests.security.world import World

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
#: The control room, the MASH and a partner in ``make test``; every role in ``make fuzz``.
ROLES = (
    [CALL_TAKER, OFFICER, SUPERVISOR, MASH, PARTNER]
    if os.environ.get("SCHEMATHESIS_ALL_ROLES")
    else [CALL_TAKER, MASH, PARTNER]
)
#: Findings reported and tolerated until fixed (the operation may also pass): label -> why.
#: None today: ``address: null`` of a person (probe 2, 10) and the MASH/MARAC ``CaseOutput``
#: clash are fixed (``test_a_person_without_an_address_matches_the_schema`` pins the first).
KNOWN: dict[str, str] = {}
#: ``SCHEMATHESIS_ONLY="PUT /api/risk"``: only the operations whose label contains it (to look
#: into one failure).
ONLY = os.environ.get("SCHEMATHESIS_ONLY", "")
CHECKS = [not_a_server_error, response_schema_conformance]


def _first_lines(exc: BaseException) -> str:
    """The error's first lines, and those of each error inside a group (hypothesis reports a
    flaky case as a group holding the first run's error)."""
    text = str(exc).strip().splitlines()
    lines = " | ".join(line.strip() for line in text[:6] if line.strip())
    if isinstance(exc, BaseExceptionGroup):
        lines += "".join(f" || {_first_lines(inner)}" for inner in exc.exceptions)
    return lines


@contextmanager
def _in_process() -> Iterator[None]:
    """As Django's test client does: keep the test's connection (and its transaction) open
    across requests, which the WSGI handler would otherwise close at each request's end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.mark.django_db
@pytest.mark.parametrize("principal", ROLES)
def test_no_server_error_and_every_response_matches_the_schema(
    world: World, api_schema: Any, principal: str
) -> None:
    app = get_wsgi_application()
    token = Token.objects.create(user=world.users[principal]).key
    headers = {"Authorization": f"Token {token}"}
    failures: list[str] = []
    counted = {"operations": 0, "examples": 0}

    for result in api_schema.get_all_operations():
        operation = result.ok()
        if ONLY and ONLY not in operation.label:
            continue
        counted["operations"] += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            counted["examples"] += 1
            with transaction.atomic():
                response = case.call(app=app, headers=headers)
                transaction.set_rollback(True)
            case.validate_response(response, checks=CHECKS, headers=headers)

        with _in_process():
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # one report for every operation
                if operation.label not in KNOWN:
                    failures.append(f"{operation.label}: {_first_lines(exc)}")

    # The figures issue 7 asks for (``pytest -s`` shows them).
    sys.stderr.write(
        f"\nschemathesis as {principal}: {counted['operations']} operations, "
        f"{counted['examples']} examples, {len(failures)} failures\n"
    )
    assert counted["operations"] >= (1 if ONLY else 20)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_a_person_without_an_address_matches_the_schema(world: World, api_schema: Any) -> None:
    """``address: null`` is documented (it broke the schema: ``AddressField`` needed
    ``allow_null``); a person with an address still gets the object, every key present."""
    from incidents.models import Person

    app = get_wsgi_application()
    token = Token.objects.create(user=world.users[CALL_TAKER]).key
    headers = {"Authorization": f"Token {token}"}
    operation = api_schema["/api/persons/{id}/"]["GET"]
    homeless, housed, at_refuge = Person.objects.filter(address__isnull=True)[:3]
    Person.objects.filter(pk=housed.pk).update(address=world.incident.location)
    Person.objects.filter(pk=at_refuge.pk).update(address=world.refuge)
    for person, address_is_null in ((homeless, True), (housed, False), (at_refuge, False)):
        case = operation.Case(path_parameters={"id": person.pk})
        with _in_process():
            response = case.call(app=app, headers=headers)
        assert response.status_code == 200
        assert (response.json()["address"] is None) is address_is_null
        case.validate_response(response, checks=CHECKS, headers=headers)

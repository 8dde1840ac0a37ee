"""Shared fixtures: one persona per role (healthchecks ``hc/test.py``, Zulip ``example_user``).

State is set up through services, not raw ORM writes, so tests exercise the same rules as users.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency, User
from dapolice.accounts.services import system_user, user_create

PASSWORD = "correct horse battery staple"

#: ``--suite-clock`` (the whole session at another instant) and one cache and scratch directory
#: per test process (pytest-xdist, and never the demo's ``var/``).
pytest_plugins = ["tests.plugins.suite_clock", "tests.plugins.isolation"]

# Hypothesis: no example database on disk (nothing to commit or share between workers) and no
# per-example deadline (the machine is shared; speed is measured by the benchmarks, not here).
hypothesis_settings.register_profile("dapolice", database=None, deadline=None, max_examples=50)
hypothesis_settings.load_profile("dapolice")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Browser tests run last; tests marked ``postgres`` are skipped, visibly, on SQLite.

    Playwright's sync API keeps an asyncio loop running in the test thread for the rest of the
    session once a browser has started, and Django's async views (``/healthz``) cannot run
    synchronously in a thread with a running loop; so every browser test goes after the rest.
    """
    from django.conf import settings

    items.sort(key=lambda item: "browser" in item.keywords)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings_parallel_suffix(
    django_db_modify_db_settings_tox_suffix: None,
    django_db_modify_db_settings_xdist_suffix: None,
) -> None:
    """pytest-django's suffixes (tox, xdist), and one per mutmut child (``make mutate``)."""
    from tests.plugins.isolation import mutation_database_suffix

    mutation_database_suffix()


if os.environ.get("DAPOLICE_MUTATION"):  # `make mutate` only: see tests/plugins/isolation.py

    @pytest.fixture(scope="session")
    def django_db_setup(
        django_test_environment: None, django_db_blocker: Any, django_db_modify_db_settings: None
    ) -> None:
        from tests.plugins.isolation import mutation_database_setup

        mutation_database_setup(django_db_blocker)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache (throttle counters, the worker heartbeat).

    On Redis only this process's own keys go (its key prefix, one per xdist worker: see
    ``tests/plugins/isolation.py``), never the rest of the database.
    """
    from django.conf import settings
    from django.core.cache import cache

    from tests.plugins.isolation import cache_prefix_keys

    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        client, keys = cache_prefix_keys(cache, settings.CACHES["default"]["KEY_PREFIX"])
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _no_audit_head_guess() -> None:
    """Each test starts with no guess of the audit chain's head (``audit.services._last_head``):
    a guess left by an earlier test's rolled-back rows would make the first audit write of a test
    one statement or two depending on which test ran before it on that worker."""
    from dapolice.audit import services as audit_services

    audit_services._last_head.clear()


@pytest.fixture
def system(db: None) -> User:
    return system_user()


@pytest.fixture
def agency_health(db: None) -> Agency:
    return Agency.objects.create(name="Demo Health Trust", code="health", kind="health")


@pytest.fixture
def agency_housing(db: None) -> Agency:
    return Agency.objects.create(name="Demo Housing", code="housing", kind="housing")


@pytest.fixture
def make_user(db: None, system: User) -> Callable[..., User]:
    counter = {"n": 0}

    def make(*roles: str, agency: Agency | None = None, username: str | None = None) -> User:
        counter["n"] += 1
        name = username or f"{'-'.join(roles) or 'norole'}-{counter['n']}"
        return user_create(
            actor=system,
            username=name,
            password=PASSWORD,
            roles=roles,
            first_name=name.split("-")[0].replace("_", " ").title(),
            last_name=f"Tester{counter['n']}",
            agency=agency,
        )

    return make


@pytest.fixture
def personas(make_user: Callable[..., User], agency_health: Agency) -> dict[str, User]:
    """One user per role, plus an outsider with no role."""
    users = {role.value: make_user(role.value) for role in Role if role != Role.PARTNER}
    users[Role.PARTNER] = make_user(Role.PARTNER, agency=agency_health)
    users["outsider"] = make_user()
    return users


@pytest.fixture
def call_taker(make_user: Callable[..., User]) -> User:
    return make_user(Role.CALL_TAKER)


@pytest.fixture
def control_supervisor(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONTROL_SUPERVISOR)


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A test client signed in as ``user`` (forced login: MFA is off in test settings)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


#: Role (persona key) -> the navigation entries (``data-nav`` url names) its holder sees. The
#: inbox (``alerts:list``) is always there for a signed-in user and is not in this table.
EXPECTED_NAVIGATION: dict[str, frozenset[str]] = {
    "call_taker": frozenset({"incidents:create", "incidents:board", "incidents:list"}),
    "control_supervisor": frozenset(
        {
            "incidents:create",
            "incidents:board",
            "incidents:list",
            "audit:list",
            "accounts:role-requests",
            "incidents:inspector-rota",
        }
    ),
    "attending_officer": frozenset({"incidents:board", "incidents:list", "risk:list"}),
    "supervisor": frozenset(
        {"incidents:list", "risk:list", "risk:queue", "incidents:inspector-rota"}
    ),
    "mash": frozenset({"incidents:list", "risk:list", "mash:queue", "mash:referrals"}),
    "investigator": frozenset({"incidents:list", "risk:list"}),
    "marac_coordinator": frozenset(
        {
            "incidents:list",
            "risk:list",
            "marac:cases",
            "marac:meetings",
            "marac:tracker",
            "marac:return",
        }
    ),
    "analyst": frozenset({"marac:return", "incidents:matching-models"}),
    "partner": frozenset({"mash:referrals", "marac:cases"}),
    "outsider": frozenset(),
    "sysadmin": frozenset({"audit:list", "incidents:inspector-rota"}),
}
INBOX_NAV = "alerts:list"


@pytest.fixture
def log_incident(call_taker: Any) -> Callable[..., Any]:
    """``log_incident(victim=..., suspect=..., category="A", received_at=..., location=...)``.

    ``victim``/``suspect`` are a Person (linked) or a dict of PersonInput fields (new person).
    """

    from incidents import services
    from incidents.inputs import Checklist, IncidentInput, PersonInput
    from tests.incidents.helpers import HOME, NO, person_input

    def log(
        *,
        victim: Any = None,
        suspect: Any = None,
        others: tuple[Any, ...] = (),
        category: str = "B",
        received_at: Any = None,
        location: Any = None,
        actor: Any = None,
        key: Any = None,
    ) -> Any:
        people = []
        for role, who in (("victim", victim), ("suspect", suspect)):
            if who is None and role == "victim":
                who = {"given_name": "Vic", "family_name": "Timson"}
            if hasattr(who, "pk"):
                people.append(person_input(role, who))
            elif who is not None:
                people.append(PersonInput(role=role, **who))
        data = IncidentInput(
            location=location or HOME,
            relationship="partner",
            checklist=Checklist(**NO),
            category_code=category,
            people=(*people, *others),
            received_at=received_at,
            idempotency_key=key,
        )
        return services.incident_create(actor=actor or call_taker, data=data)

    return log

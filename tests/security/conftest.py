"""The matrix's world, built once per module in a transaction rolled back at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.security.matrix import ANONYMOUS, PRINCIPALS
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The records and one signed-in client per principal. Each test's own transaction (``db``)
    is a savepoint inside this one; the matrix runs each cell in a savepoint of its own."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        clients: dict[str, Client] = {}
        for principal in PRINCIPALS:
            client = Client()
            if principal != ANONYMOUS:
                client.force_login(world.users[principal])
            clients[principal] = client
        world.extra["clients"] = clients
        yield world
        transaction.set_rollback(True)

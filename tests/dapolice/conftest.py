"""Fixtures for the cross-cutting apps: running manage.py as a separate process."""

from __future__ import annotations

import copy
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

#: Variables that would change what a child process proves; it gets only what the test sets.
_CLEARED = (
    "DAPOLICE_ENV",
    "DAPOLICE_MFA_REQUIRED",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    # pytest-env sets this for the test process only; `check --deploy` rightly refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


@pytest.fixture
def run_manage_py() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``manage.py <args>`` in a child process, under test or production settings.

    Production mode gets what a deployer must set: a long random secret key and allowed hosts.
    ``env`` adds variables, or removes them when the value is ``None``.
    """

    def run(
        *args: str, production: bool = False, env: dict[str, str | None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        child_env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        if production:
            child_env["DAPOLICE_ENV"] = "production"
            child_env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
            child_env["DJANGO_ALLOWED_HOSTS"] = "dapolice.force.example"
        else:
            child_env["DAPOLICE_ENV"] = "test"
        for key, value in (env or {}).items():
            if value is None:
                child_env.pop(key, None)
            else:
                child_env[key] = value
        return subprocess.run(  # noqa: S603 (a fixed command line, no user input)
            [sys.executable, str(BASE_DIR / "manage.py"), *args],
            cwd=BASE_DIR,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    return run


@dataclass(frozen=True)
class ScratchDatabase:
    """An empty database beside the test database: ``alias`` in ``connections``, ``url`` for a
    child process's ``DATABASE_URL``."""

    alias: str
    name: str
    url: str
    vendor: str


@pytest.fixture
def scratch_database(
    django_db_blocker: Any, tmp_path: Path
) -> Iterator[Callable[..., ScratchDatabase]]:
    """Make empty databases (the suite's engine, or ``vendor="sqlite"``), dropped afterwards.

    For tests that migrate from nothing or create database roles, which must not touch the shared
    test database. Database access stays unblocked for the rest of the test.
    """
    from django.db import connections

    default = connections["default"]
    made: list[ScratchDatabase] = []
    unblocked = django_db_blocker.unblock()
    unblocked.__enter__()

    def make(vendor: str | None = None) -> ScratchDatabase:
        vendor = vendor or default.vendor
        suffix = uuid.uuid4().hex[:12]
        settings_dict = copy.deepcopy(default.settings_dict)
        if vendor == "postgresql":
            name = f"dapolice_scratch_{suffix}"
            with default._nodb_cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
            user, password = settings_dict["USER"], settings_dict["PASSWORD"]
            credentials = quote(user) + (f":{quote(password)}" if password else "")
            host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
            url = f"postgres://{credentials}@{host}/{name}"
        else:
            name = str(tmp_path / f"scratch-{suffix}.sqlite3")
            settings_dict = {"ENGINE": "django.db.backends.sqlite3"}
            url = f"sqlite:///{name}"
        settings_dict["NAME"] = name
        alias = f"scratch_{suffix}"
        connections.settings[alias] = connections.configure_settings(
            {"default": copy.deepcopy(default.settings_dict), alias: settings_dict}
        )[alias]
        made.append(ScratchDatabase(alias=alias, name=name, url=url, vendor=vendor))
        return made[-1]

    try:
        yield make
    finally:
        for scratch in made:
            connections[scratch.alias].close()
            del connections[scratch.alias]
            del connections.settings[scratch.alias]
            if scratch.vendor == "postgresql":
                with default._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{scratch.name}" WITH (FORCE)')
        unblocked.__exit__(None, None, None)

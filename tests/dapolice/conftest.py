"""Fixtures for the cross-cutting apps: running manage.py as a separate process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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

"""Our own system checks (issue 7): each passes on our settings and fails when its setting is
weakened (``dapolice/common/checks.py``); ``check --deploy`` under production settings runs them
(``test_settings.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core import checks as django_checks
from django.test import override_settings

from dapolice.common import checks

ALL = [
    checks.check_content_security_policy,
    checks.check_timeouts,
    checks.check_password_validators,
    checks.check_api_defaults,
    checks.check_lockout,
    checks.check_second_factor,
    checks.check_mfa_required_in_production,
]


def _without(name: str) -> list[str]:
    return [m for m in settings.MIDDLEWARE if m != name]


def _drf(**changes: Any) -> dict[str, Any]:
    return {**settings.REST_FRAMEWORK, **changes}


def _csp(**directives: Any) -> dict[str, Any]:
    return {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], **directives}}


def _validators(drop: str = "", min_length: int = 12) -> list[dict[str, Any]]:
    out = []
    for v in settings.AUTH_PASSWORD_VALIDATORS:
        if v["NAME"].endswith(drop) and drop:
            continue
        if v["NAME"].endswith("MinimumLengthValidator"):
            v = {**v, "OPTIONS": {"min_length": min_length}}
        out.append(v)
    return out


def test_our_settings_pass_every_check_and_they_are_registered() -> None:
    for check in ALL:
        assert check(None) == [], check.__name__
    registered = set(django_checks.registry.registry.get_checks(include_deployment_checks=True))
    assert set(ALL) <= registered


WEAKENED: list[tuple[str, Callable[[], dict[str, Any]], Callable[..., Any], str]] = [
    ("no CSP middleware", lambda: {"MIDDLEWARE": _without(checks.CSP_MIDDLEWARE)},
     checks.check_content_security_policy, "dapolice.E001"),
    ("inline script allowed", lambda: {"CONTENT_SECURITY_POLICY": _csp(
        **{"script-src": ["'self'", "'unsafe-inline'"]})},
     checks.check_content_security_policy, "dapolice.E001"),
    ("no object-src", lambda: {"CONTENT_SECURITY_POLICY": _csp(**{"object-src": []})},
     checks.check_content_security_policy, "dapolice.E001"),
    ("no policy at all", lambda: {"CONTENT_SECURITY_POLICY": {}},
     checks.check_content_security_policy, "dapolice.E001"),
    ("idle timeout of a day", lambda: {"SESSION_IDLE_TIMEOUT_MINUTES": 1440},
     checks.check_timeouts, "dapolice.E002"),
    ("sessions of 48 hours", lambda: {"SESSION_MAX_HOURS": 48},
     checks.check_timeouts, "dapolice.E002"),
    ("cookie outlasting the limit", lambda: {"SESSION_COOKIE_AGE": 13 * 3600},
     checks.check_timeouts, "dapolice.E002"),
    ("no idle middleware", lambda: {"MIDDLEWARE": _without(checks.IDLE_MIDDLEWARE)},
     checks.check_timeouts, "dapolice.E002"),
    ("no Redis socket timeout", lambda: {"REDIS_URL": "redis://x", "CACHES": {
        "default": {**settings.CACHES["default"], "OPTIONS": {}}}},
     checks.check_timeouts, "dapolice.E002"),
    ("no common-password validator", lambda: {"AUTH_PASSWORD_VALIDATORS": _validators(
        "CommonPasswordValidator")}, checks.check_password_validators, "dapolice.E003"),
    ("8-character passwords", lambda: {"AUTH_PASSWORD_VALIDATORS": _validators(min_length=8)},
     checks.check_password_validators, "dapolice.E003"),
    ("Argon2id under OWASP's minimum", lambda: {"ARGON2_MEMORY_KIB": 7_168,
        "ARGON2_TIME_COST": 2}, checks.check_password_validators, "dapolice.E003"),
    ("API open by default", lambda: {"REST_FRAMEWORK": _drf(
        DEFAULT_PERMISSION_CLASSES=["rest_framework.permissions.AllowAny"])},
     checks.check_api_defaults, "dapolice.E004"),
    ("API with no default permission", lambda: {"REST_FRAMEWORK": _drf(
        DEFAULT_PERMISSION_CLASSES=[])}, checks.check_api_defaults, "dapolice.E004"),
    ("single-factor tokens", lambda: {"REST_FRAMEWORK": _drf(DEFAULT_AUTHENTICATION_CLASSES=[
        "rest_framework.authentication.TokenAuthentication"])},
     checks.check_api_defaults, "dapolice.E004"),
    ("axes backend not first", lambda: {"AUTHENTICATION_BACKENDS": list(
        reversed(settings.AUTHENTICATION_BACKENDS))}, checks.check_lockout, "dapolice.E005"),
    ("no axes middleware", lambda: {"MIDDLEWARE": _without(checks.AXES_MIDDLEWARE)},
     checks.check_lockout, "dapolice.E005"),
    ("axes off", lambda: {"AXES_ENABLED": False}, checks.check_lockout, "dapolice.E005"),
    ("100 tries", lambda: {"AXES_FAILURE_LIMIT": 100}, checks.check_lockout, "dapolice.E005"),
    ("no cool-off", lambda: {"AXES_COOLOFF_TIME": None}, checks.check_lockout, "dapolice.E005"),
    ("no OTP middleware", lambda: {"MIDDLEWARE": _without(checks.OTP_MIDDLEWARE)},
     checks.check_second_factor, "dapolice.E006"),
    ("no MFA-required middleware", lambda: {"MIDDLEWARE": _without(checks.MFA_MIDDLEWARE)},
     checks.check_second_factor, "dapolice.E006"),
    ("MFA off in production", lambda: {"PRODUCTION": True, "MFA_REQUIRED": False},
     checks.check_mfa_required_in_production, "dapolice.E007"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "weaken", "check", "error_id"), WEAKENED,
                         ids=[w[0] for w in WEAKENED])  # fmt: skip
def test_each_check_fails_when_its_setting_is_weakened(what, weaken, check, error_id) -> None:
    with override_settings(**weaken()):
        errors = check(None)
    assert errors, what
    assert {e.id for e in errors} == {error_id}
    assert all(e.level == django_checks.ERROR for e in errors)


def test_check_deploy_under_production_settings_runs_our_checks(run_manage_py) -> None:
    result = run_manage_py(
        "check", "--deploy", "--fail-level", "WARNING", production=True,
        env={"DAPOLICE_MFA_REQUIRED": "0"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "dapolice.E007" in result.stdout + result.stderr

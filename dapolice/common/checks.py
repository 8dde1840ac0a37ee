"""Our own system checks (issue 7): the security settings a deployment must not lose.

``manage.py check`` runs them everywhere (and so every test run and every start); the last one
only with ``--deploy`` (CI runs ``check --deploy --fail-level WARNING`` under production settings,
``tests/dapolice/test_settings.py``). Each names the setting and says what to do. Middleware and
classes are named by dotted string, so this module imports nothing above ``dapolice.common``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
MFA_MIDDLEWARE = "dapolice.accounts.middleware.MFARequiredMiddleware"
IDLE_MIDDLEWARE = "dapolice.accounts.middleware.IdleTimeoutMiddleware"
AXES_MIDDLEWARE = "axes.middleware.AxesMiddleware"
AXES_BACKENDS = ("axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend")
VALIDATORS = (
    "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    "django.contrib.auth.password_validation.MinimumLengthValidator",
    "django.contrib.auth.password_validation.CommonPasswordValidator",
    "django.contrib.auth.password_validation.NumericPasswordValidator",
)
MIN_PASSWORD_LENGTH = 12
#: (memory KiB, passes) of OWASP's equivalent minimum Argon2id configurations (Password Storage
#: Cheat Sheet), 1 lane: a tuned hasher may trade memory for passes along this line, not go under.
OWASP_ARGON2ID = ((47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5))


def meets_owasp_argon2id(memory_kib: int, time_cost: int) -> bool:
    """At least one of OWASP's configurations, in memory and passes together."""
    return any(memory_kib >= m and time_cost >= t for m, t in OWASP_ARGON2ID)


#: Upper bounds a force may tune below, never above (README "Sign-in").
MAX_IDLE_MINUTES = 30
MAX_SESSION_HOURS = 12
MAX_SOCKET_TIMEOUT_SECONDS = 5.0
OPEN_PERMISSIONS = (
    "rest_framework.permissions.AllowAny",
    "rest_framework.permissions.IsAuthenticatedOrReadOnly",
)
#: Single-factor API authentication that would bypass MFA (ours refuses tokens while required).
SINGLE_FACTOR_AUTH = (
    "rest_framework.authentication.TokenAuthentication",
    "rest_framework.authentication.BasicAuthentication",
)
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:")


def _middleware() -> list[str]:
    return list(getattr(settings, "MIDDLEWARE", []))


def _before(earlier: str, later: str) -> bool:
    chain = _middleware()
    return earlier in chain and later in chain and chain.index(earlier) < chain.index(later)


@register(Tags.security)
def check_content_security_policy(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A CSP is sent on every response, with no inline or remote script."""
    errors: list[Error] = []
    if CSP_MIDDLEWARE not in _middleware():
        errors.append(Error(f"{CSP_MIDDLEWARE} is not in MIDDLEWARE.", id="dapolice.E001"))
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {}) if isinstance(policy, dict) else {}
    for name in ("default-src", "script-src", "object-src", "frame-ancestors", "base-uri"):
        if not directives.get(name):
            errors.append(
                Error(
                    f"CONTENT_SECURITY_POLICY sets no {name!r}.",
                    hint="Set it as dapolice/settings.py does ('self' or 'none').",
                    id="dapolice.E001",
                )
            )
    for name in ("default-src", "script-src"):
        unsafe = [s for s in directives.get(name, ()) if s in UNSAFE_SOURCES]
        if unsafe:
            errors.append(
                Error(f"CONTENT_SECURITY_POLICY {name!r} allows {unsafe}.", id="dapolice.E001")
            )
    return errors


@register(Tags.security)
def check_timeouts(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Idle and absolute session limits, and short Redis socket timeouts."""
    errors: list[Error] = []
    idle = getattr(settings, "SESSION_IDLE_TIMEOUT_MINUTES", None)
    if not isinstance(idle, int) or not 1 <= idle <= MAX_IDLE_MINUTES:
        errors.append(
            Error(
                f"SESSION_IDLE_TIMEOUT_MINUTES is {idle!r}; it must be 1 to {MAX_IDLE_MINUTES}.",
                id="dapolice.E002",
            )
        )
    hours = getattr(settings, "SESSION_MAX_HOURS", None)
    if not isinstance(hours, int) or not 1 <= hours <= MAX_SESSION_HOURS:
        errors.append(
            Error(
                f"SESSION_MAX_HOURS is {hours!r}; it must be 1 to {MAX_SESSION_HOURS}.",
                id="dapolice.E002",
            )
        )
    elif hours * 3600 < settings.SESSION_COOKIE_AGE:
        errors.append(Error("SESSION_COOKIE_AGE outlasts SESSION_MAX_HOURS.", id="dapolice.E002"))
    if not getattr(settings, "SESSION_EXPIRE_AT_BROWSER_CLOSE", False):
        errors.append(Error("SESSION_EXPIRE_AT_BROWSER_CLOSE is off.", id="dapolice.E002"))
    if IDLE_MIDDLEWARE not in _middleware():
        errors.append(Error(f"{IDLE_MIDDLEWARE} is not in MIDDLEWARE.", id="dapolice.E002"))
    if getattr(settings, "REDIS_URL", ""):
        cache = settings.CACHES["default"].get("OPTIONS", {})
        broker = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
        for where, options in (("CACHES", cache), ("CELERY_BROKER_TRANSPORT_OPTIONS", broker)):
            for key in ("socket_connect_timeout", "socket_timeout"):
                value = options.get(key)
                if (
                    not isinstance(value, int | float)
                    or not 0 < value <= MAX_SOCKET_TIMEOUT_SECONDS
                ):
                    errors.append(
                        Error(
                            f"{where} {key} is {value!r}: a hung Redis would hold up requests.",
                            hint=f"Set it to at most {MAX_SOCKET_TIMEOUT_SECONDS} seconds.",
                            id="dapolice.E002",
                        )
                    )
    return errors


@register(Tags.security)
def check_password_validators(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    validators: list[dict[str, Any]] = list(settings.AUTH_PASSWORD_VALIDATORS)  # type: ignore[arg-type]
    configured = {v.get("NAME", ""): dict(v.get("OPTIONS", {})) for v in validators}
    errors = [
        Error(f"AUTH_PASSWORD_VALIDATORS lacks {name}.", id="dapolice.E003")
        for name in VALIDATORS
        if name not in configured
    ]
    length = configured.get(VALIDATORS[1], {}).get("min_length", 8)
    if VALIDATORS[1] in configured and length < MIN_PASSWORD_LENGTH:
        errors.append(
            Error(
                f"Passwords may be {length} characters; at least {MIN_PASSWORD_LENGTH}.",
                id="dapolice.E003",
            )
        )
    memory, passes = settings.ARGON2_MEMORY_KIB, settings.ARGON2_TIME_COST
    if not meets_owasp_argon2id(memory, passes) or settings.ARGON2_PARALLELISM < 1:
        errors.append(
            Error(
                f"Argon2id at {memory} KiB x {passes} passes is under OWASP's minimum "
                "(DAPOLICE_ARGON2_MEMORY_KIB, DAPOLICE_ARGON2_TIME_COST): use e.g. 19456 x 2 "
                "or 7168 x 5.",
                id="dapolice.E003",
            )
        )
    return errors


@register(Tags.security)
def check_api_defaults(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The API's default permission is a policy, never open; no single-factor authentication."""
    drf = getattr(settings, "REST_FRAMEWORK", {})
    errors: list[Error] = []
    permissions = list(drf.get("DEFAULT_PERMISSION_CLASSES", []))
    if not permissions or any(p in OPEN_PERMISSIONS for p in permissions):
        errors.append(
            Error(
                f"REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES is {permissions!r}: an endpoint that "
                "forgets its policy would be open.",
                hint="Use dapolice.access.api.PolicyPermission.",
                id="dapolice.E004",
            )
        )
    single = [a for a in drf.get("DEFAULT_AUTHENTICATION_CLASSES", []) if a in SINGLE_FACTOR_AUTH]
    if single:
        errors.append(
            Error(
                f"REST_FRAMEWORK authenticates with {single}, which bypasses MFA.",
                hint="Use dapolice.accounts.authentication.MFATokenAuthentication.",
                id="dapolice.E004",
            )
        )
    return errors


@register(Tags.security)
def check_lockout(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """django-axes locks a username out after a few failed passwords."""
    errors: list[Error] = []
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if not backends or backends[0] not in AXES_BACKENDS:
        errors.append(
            Error(
                "The first AUTHENTICATION_BACKENDS entry is not axes' backend: a locked-out "
                "user's password would still be checked.",
                id="dapolice.E005",
            )
        )
    chain = _middleware()
    if not chain or chain[-1] != AXES_MIDDLEWARE:
        errors.append(Error(f"{AXES_MIDDLEWARE} must be last in MIDDLEWARE.", id="dapolice.E005"))
    if not getattr(settings, "AXES_ENABLED", True):
        errors.append(Error("AXES_ENABLED is off.", id="dapolice.E005"))
    limit = getattr(settings, "AXES_FAILURE_LIMIT", None)
    if not isinstance(limit, int) or not 1 <= limit <= 10:
        errors.append(Error(f"AXES_FAILURE_LIMIT is {limit!r}; 1 to 10.", id="dapolice.E005"))
    if not getattr(settings, "AXES_COOLOFF_TIME", None):
        errors.append(
            Error(
                "AXES_COOLOFF_TIME is not set (a lockout would need an admin).", id="dapolice.E005"
            )
        )
    return errors


@register(Tags.security)
def check_second_factor(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """django-otp verifies the second factor; ours requires it (after sign-in, in order)."""
    errors: list[Error] = []
    if not _before(AUTH_MIDDLEWARE, OTP_MIDDLEWARE):
        errors.append(Error(f"{OTP_MIDDLEWARE} must follow {AUTH_MIDDLEWARE}.", id="dapolice.E006"))
    if not _before(OTP_MIDDLEWARE, MFA_MIDDLEWARE):
        errors.append(Error(f"{MFA_MIDDLEWARE} must follow {OTP_MIDDLEWARE}.", id="dapolice.E006"))
    return errors


@register(Tags.security, deploy=True)
def check_mfa_required_in_production(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if getattr(settings, "PRODUCTION", False) and not getattr(settings, "MFA_REQUIRED", False):
        return [
            Error(
                "MFA is not required in production (DAPOLICE_MFA_REQUIRED is off).",
                id="dapolice.E007",
            )
        ]
    return []

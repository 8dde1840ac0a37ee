"""dapolice settings: one module, driven by environment variables.

``DAPOLICE_ENV`` picks the mode:

* ``production`` (the default): DEBUG off, a secret key and allowed hosts are required, HTTPS-only
  cookies and HSTS, MFA enforced for every user.
* ``demo``: what ``make run`` uses. Generates a local secret key under ``var/``, serves over plain
  HTTP on localhost, MFA offered but not enforced, and a banner on every page.
* ``test``: like demo, with fast password hashing; pytest sets it (pytest-env, pyproject).

With ``DATABASE_URL`` and ``REDIS_URL`` unset the system runs on an embedded default (a SQLite file
and a filesystem broker under ``var/``) so a newcomer needs nothing else installed.
Every variable is listed in README.md, "Configuration".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DAPOLICE_ENV = env.str("DAPOLICE_ENV", default="production")
if DAPOLICE_ENV not in {"production", "demo", "test"}:
    raise environ.ImproperlyConfigured("DAPOLICE_ENV must be production, demo or test")
PRODUCTION = DAPOLICE_ENV == "production"

VAR_DIR = Path(env.str("DAPOLICE_VAR_DIR", default=str(BASE_DIR / "var")))
if not PRODUCTION:
    VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A per-checkout key for demo and test runs, never used in production."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret_key()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    # Debug pages show POST bodies: names, dates of birth, what happened.
    raise environ.ImproperlyConfigured("DJANGO_DEBUG cannot be on with DAPOLICE_ENV=production")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "crispy_forms",
    "crispy_forms_gds",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "health_check",
    # dapolice: cross-cutting layer first, then the domain apps in layer order
    "dapolice.common",
    "dapolice.accounts",
    "dapolice.access",
    "dapolice.audit",
    "dapolice.alerts",
    "dapolice.health",
    "dapolice.demo",
    "incidents",
    "incidents.matching",
    "risk",
    "mash",
    "marac",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dapolice.common.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every response that Django (not WhiteNoise) makes: Cache-Control: no-store.
    "dapolice.common.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Messages and htmx before the two below: signing an idle user out leaves a message, and an
    # htmx request is answered with HX-Redirect (request.htmx).
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dapolice.accounts.middleware.IdleTimeoutMiddleware",
    "dapolice.accounts.middleware.MFARequiredMiddleware",
    # A refused bulk read (the per-user read rate) becomes a 429 with nothing personal in it.
    "dapolice.audit.middleware.ReadRateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # AxesMiddleware turns a locked-out login into the lockout response; it must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dapolice.urls"
WSGI_APPLICATION = "dapolice.wsgi.application"
ASGI_APPLICATION = "dapolice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "dapolice.context_processors.layout",
            ],
        },
    },
]

# --- Database, cache, broker ----------------------------------------------------------------

EMBEDDED_DATABASE = not env.str("DATABASE_URL", default="")
if EMBEDDED_DATABASE:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "dapolice.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "dapolice.common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str(
                "DAPOLICE_CACHE_PREFIX",
                default="dapolice-test" if DAPOLICE_ENV == "test" else "dapolice",
            ),
            # Short timeouts (issue 13): a hung Redis must never hold up a web worker; the
            # callers that need the cache fail open (dapolice.common.throttling).
            "OPTIONS": {
                "socket_connect_timeout": env.float("DAPOLICE_CACHE_TIMEOUT_SECONDS", default=0.25),
                "socket_timeout": env.float("DAPOLICE_CACHE_TIMEOUT_SECONDS", default=0.25),
            },
        }
    }
else:
    # Shared between the web process, the worker and beat, which locmem would not be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

# --- Celery ---------------------------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Short timeouts (issue 13): publishing a task never holds up a request on a hung Redis (the
    # database is the truth; a lost nudge is recovered by the sweep). The worker's BRPOP runs in
    # its event loop, which socket_timeout does not limit.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": env.float("DAPOLICE_BROKER_TIMEOUT_SECONDS", default=0.5),
        "socket_timeout": env.float("DAPOLICE_BROKER_TIMEOUT_SECONDS", default=0.5),
    }
else:
    BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    if not PRODUCTION:
        for sub in ("queue", "control"):
            (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("DAPOLICE_BROKER_TIMEOUT_SECONDS", default=0.5)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Tests run tasks inline; the deadline rules themselves are tested through their services.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=DAPOLICE_ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True

WORKER_HEARTBEAT_SECONDS = env.int("DAPOLICE_WORKER_HEARTBEAT_SECONDS", default=30)
#: How often the sweep raises due deadlines' alerts (README, "Timed work and alerts"); the
#: heartbeat counts as late ("alerting delayed") after two intervals.
DEADLINE_SCAN_SECONDS = env.int("DAPOLICE_DEADLINE_SCAN_SECONDS", default=15)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "dapolice.health.tasks.worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
    },
    "deadlines-scan": {
        "task": "dapolice.alerts.tasks.deadlines_scan",
        "schedule": DEADLINE_SCAN_SECONDS,
    },
}

# --- Authentication, MFA, lockout, sessions ------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out user is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "dapolice.accounts.backends.RoleBackend",
]
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "two_factor:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id, tuned for a shift change on 2 cores (dapolice/accounts/hashers.py, issue 13): the
# fastest here of OWASP's equivalent minimum configurations (7 MiB x 5 passes; 19 MiB x 2 costs
# about 25% more CPU). Older hashes (PBKDF2, other parameters) still verify and are re-made at
# the user's next sign-in.
ARGON2_MEMORY_KIB = env.int("DAPOLICE_ARGON2_MEMORY_KIB", default=7_168)
ARGON2_TIME_COST = env.int("DAPOLICE_ARGON2_TIME_COST", default=5)
ARGON2_PARALLELISM = env.int("DAPOLICE_ARGON2_PARALLELISM", default=1)
PASSWORD_HASHERS = [
    "dapolice.accounts.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if DAPOLICE_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Multi-factor authentication (TOTP through django-otp and django-two-factor-auth). Enforced for
# every user in production; demo and test runs may relax it.
MFA_REQUIRED = env.bool("DAPOLICE_MFA_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("DAPOLICE_OTP_ISSUER", default="dapolice")
TWO_FACTOR_PATCH_ADMIN = False

# Lockout after repeated failures (django-axes). The lock is per username, so an attacker
# cannot lock a control room out by spraying from one address, nor dodge it by changing address.
AXES_FAILURE_LIMIT = env.int("DAPOLICE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DAPOLICE_LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# axes.W006 asks for ip_address too; a control room shares one NAT address, and locking the
# address would lock every call taker out after five typos between them.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Proxies: behind a trusted reverse proxy set DAPOLICE_TRUSTED_PROXY_COUNT so axes and the audit
# trail read the client address from X-Forwarded-For.
# django-ipware (which axes and dapolice.common.middleware.client_ip both use) counts the proxies
# *listed* in X-Forwarded-For: one fewer than the proxies in front, since the nearest one's own
# address is REMOTE_ADDR. The client is then the entry the nearest trusted proxy added.
DAPOLICE_TRUSTED_PROXY_COUNT = env.int("DAPOLICE_TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = DAPOLICE_TRUSTED_PROXY_COUNT - 1 if DAPOLICE_TRUSTED_PROXY_COUNT else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if DAPOLICE_TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)
# Not strict: a client may send its own X-Forwarded-For, which the proxy extends; the entries
# beyond the trusted ones are ignored, not a reason to record no address at all.
IPWARE_STRICT = False

# Hot-path queries are compiled to SQL once per shape and then run with new values
# (dapolice.common.compiled). With this on (the default in tests) every run also compiles the
# queryset afresh and fails if the SQL differs: a builder reading something not in its key.
DAPOLICE_COMPILED_SQL_CHECK = env.bool(
    "DAPOLICE_COMPILED_SQL_CHECK", default=DAPOLICE_ENV == "test"
)

# The intake's live match panel searches this many milliseconds after the last key typed (a
# newer search replaces one in flight, hx-sync; the per-user rate is DAPOLICE_MATCH_THROTTLE).
DAPOLICE_MATCH_PANEL_DELAY_MS = env.int("DAPOLICE_MATCH_PANEL_DELAY_MS", default=100)

# List pages count at most this many rows ("more than 1,000"): a COUNT(*) of a broad filter
# at a million incidents would read every matching row (dapolice.common.http.CappedPaginator).
DAPOLICE_LIST_COUNT_CAP = env.int("DAPOLICE_LIST_COUNT_CAP", default=1000)

# Idle timeout: the session ends after this many minutes without a user action. Background
# polling (the inbox count, board refresh) does not count as activity.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("DAPOLICE_SESSION_IDLE_MINUTES", default=15)
# A user action is stamped in the session at most this often (each stamp is a session write);
# the idle clock runs from the last stamp, so it may end a session up to this much early.
SESSION_ACTIVITY_WRITE_SECONDS = env.int("DAPOLICE_SESSION_ACTIVITY_WRITE_SECONDS", default=30)
# The page warns this many minutes before the idle sign-out (static/js/session.js).
SESSION_IDLE_WARNING_MINUTES = env.int("DAPOLICE_SESSION_IDLE_WARNING_MINUTES", default=2)
# Absolute limit: the session ends this long after sign-in, however active (the sign-in time is
# kept in the session; SESSION_COOKIE_AGE alone would move with every request that saves it).
SESSION_MAX_HOURS = env.int("DAPOLICE_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
# With Redis, sessions are read from it and written through to the database (no session query
# per request; dapolice.accounts.sessions fails open to the database).
if REDIS_URL:
    SESSION_ENGINE = "dapolice.accounts.sessions"
# How long a session stays in the cache after it was read or written (at most that long stale
# after a write that missed the cache during an outage); then it is read from the database.
SESSION_CACHE_SECONDS = env.int("DAPOLICE_SESSION_CACHE_SECONDS", default=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Password resets: an administrator never sets a password; they send a reset link that the user
# completes (Django's reset flow, by e-mail). The link lasts this long.
PASSWORD_RESET_TIMEOUT = env.int("DAPOLICE_PASSWORD_RESET_HOURS", default=24) * 3600
#: After an administrator changes a user's e-mail address, no reset is sent for this long (the
#: old address is told at once), so changing the address and resetting cannot take an account
#: over before its owner notices.
DAPOLICE_RESET_AFTER_EMAIL_CHANGE_HOURS = env.int(
    "DAPOLICE_RESET_AFTER_EMAIL_CHANGE_HOURS", default=24
)

# E-mail (password resets and the notices that tell a user what an administrator did).
EMAIL_CONFIG = env.email_url(
    "DAPOLICE_EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://"
)
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DAPOLICE_EMAIL_FROM", default="dapolice@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Audit trail ----------------------------------------------------------------------------

#: The HMAC key of the audit hash chain. Kept out of the database, so the table's owner cannot
#: rewrite the chain. Defaults to one derived from the secret key; set it on its own so the
#: secret key can be rotated (changing this key makes every existing row fail audit_verify).
AUDIT_CHAIN_KEY = (
    env.str("DAPOLICE_AUDIT_CHAIN_KEY", default="")
    or hashlib.sha256(f"dapolice.audit.chain:{SECRET_KEY}".encode()).hexdigest()
)
#: Bulk reads: at most this many different records shown to one user per window (0: no limit).
#: Needs Redis; without it (or while it is down) the limit is not applied.
DAPOLICE_READ_RATE_LIMIT = env.int("DAPOLICE_READ_RATE_LIMIT", default=500)
DAPOLICE_READ_RATE_WINDOW_MINUTES = env.int("DAPOLICE_READ_RATE_WINDOW_MINUTES", default=10)

# --- Security headers -----------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp): nothing from another origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Demo and test serve straight from the finders (no collectstatic needed between edits).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DAPOLICE_ENV == "test"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Built by `npm run build` from the packages in package-lock.json (never committed).
    ("vendor", BASE_DIR / "var" / "frontend"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Forms ----------------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
CRISPY_GDS_FRONTEND_VERSION = "5.14.0"

# --- API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "dapolice.accounts.authentication.MFATokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["dapolice.access.api.PolicyPermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("DAPOLICE_API_PAGE_SIZE", default=50),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "dapolice.common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "dapolice.common.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "match": env.str("DAPOLICE_MATCH_THROTTLE", default="120/min"),
        # Creation endpoints (incidents, persons in an incident, markers): a probe that types
        # address after address is slowed down as well as audited and alerted (issue 7, item 2).
        "create": env.str("DAPOLICE_CREATE_THROTTLE", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dapolice API",
    "DESCRIPTION": "Domestic abuse case management: incidents, persons, markers and matching.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["dapolice.access.api.ApiDocsPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, and no inline script (CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: no personal data in log lines -------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dapolice.common.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DAPOLICE_LOG_LEVEL", default="INFO")},
    "loggers": {
        # django.request logs the full URL and, on errors, request details: keep it to warnings
        # without the body; our URLs carry only primary keys.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
ADMINS: list[tuple[str, str]] = []

# --- dapolice domain configuration (defaults from ../shared/domain.md; a force may tune them) ---

DAPOLICE_FORCE_NAME = env.str("DAPOLICE_FORCE_NAME", default="Demo Constabulary")
DAPOLICE_INCIDENT_REFERENCE_PREFIX = env.str("DAPOLICE_INCIDENT_REFERENCE_PREFIX", default="DA")
DAPOLICE_BREAK_GLASS_MINUTES = env.int("DAPOLICE_BREAK_GLASS_MINUTES", default=15)
#: Roles that may read the API's schema and Swagger page (/api/schema/, /api/docs/): those who
#: build or run integrations. Other roles' work has no use for it (issue 8).
DAPOLICE_API_DOCS_ROLES = env.list("DAPOLICE_API_DOCS_ROLES", default=["sysadmin"])

# Call intake (incidents). Attendance categories and rural areas are admin-edited rows.
#: "Repeat victim": a DA victim in more than one incident within this many months.
DAPOLICE_REPEAT_VICTIM_MONTHS = env.int("DAPOLICE_REPEAT_VICTIM_MONTHS", default=12)
#: "Serial perpetrator": suspect in DA against at least this many different victims (HMIC rec. 3).
DAPOLICE_SERIAL_PERPETRATOR_VICTIMS = env.int("DAPOLICE_SERIAL_PERPETRATOR_VICTIMS", default=2)
#: Most open incidents the control-room board lists (it says so when there are more).
DAPOLICE_BOARD_LIMIT = env.int("DAPOLICE_BOARD_LIMIT", default=200)
#: How long a call may have been open when the form is sent: the deadline runs from when the
#: intake page was opened (signed), and an older stamp is refused rather than trusted.
DAPOLICE_MAX_CALL_MINUTES = env.int("DAPOLICE_MAX_CALL_MINUTES", default=120)
#: How far back the match panel counts a person's incidents and highest risk level.
DAPOLICE_MATCH_HISTORY_MONTHS = env.int("DAPOLICE_MATCH_HISTORY_MONTHS", default=12)
# The matching engine's tunables (DAPOLICE_MATCH_FLAG_THRESHOLD, DAPOLICE_MATCH_MIN_SCORE,
# DAPOLICE_MATCH_BLOCK_LIMIT, DAPOLICE_MATCH_ADDRESS_LIMIT): their documented defaults live in
# incidents/matching/conf.py; the environment overrides them here.
for _name, _cast in (
    ("DAPOLICE_MATCH_FLAG_THRESHOLD", float),
    ("DAPOLICE_MATCH_MIN_SCORE", float),
    ("DAPOLICE_MATCH_BLOCK_LIMIT", int),
    ("DAPOLICE_MATCH_ADDRESS_LIMIT", int),
    ("DAPOLICE_MATCH_TF_MIN_PERSONS", int),
    ("DAPOLICE_MATCH_TRAIN_U_PAIRS", int),
    ("DAPOLICE_MATCH_PROMOTION_TOLERANCE", float),
):
    if env.str(_name, default=""):
        globals()[_name] = _cast(env.str(_name))

# Security limits (issue 7): README "Security".
#: A dispatch or arrival time claimed more than this many minutes before it is recorded needs a
#: supervisor and a reason (both times are kept).
DAPOLICE_ATTENDANCE_BACKDATE_MINUTES = env.int("DAPOLICE_ATTENDANCE_BACKDATE_MINUTES", default=5)
#: A deferral may move the attendance deadline at most this many hours ahead of now.
DAPOLICE_DEFERRAL_MAX_HOURS = env.int("DAPOLICE_DEFERRAL_MAX_HOURS", default=72)
#: Most people in one incident, phone numbers and aliases per person.
DAPOLICE_MAX_PEOPLE_PER_INCIDENT = env.int("DAPOLICE_MAX_PEOPLE_PER_INCIDENT", default=20)
DAPOLICE_MAX_PHONES_PER_PERSON = env.int("DAPOLICE_MAX_PHONES_PER_PERSON", default=5)
DAPOLICE_MAX_ALIASES_PER_PERSON = env.int("DAPOLICE_MAX_ALIASES_PER_PERSON", default=10)

# --- DASH risk assessment (risk) ------------------------------------------------------------
# Defaults from ../shared/domain.md (SafeLives); every one is in README.md, "Configuration".
#: Suggested level from the count of "yes" answers: at least HIGH_MIN is high, at least
#: MEDIUM_MIN medium, below that standard (local practice, so configurable).
DAPOLICE_DASH_HIGH_MIN = env.int("DAPOLICE_DASH_HIGH_MIN", default=14)
DAPOLICE_DASH_MEDIUM_MIN = env.int("DAPOLICE_DASH_MEDIUM_MIN", default=10)
#: A submitted DASH not reviewed within this many hours alerts the officer's supervisor.
DAPOLICE_DASH_REVIEW_HOURS = env.int("DAPOLICE_DASH_REVIEW_HOURS", default=24)
#: A DASH returned for more work and not resubmitted within this many hours alerts its officer.
DAPOLICE_DASH_REWORK_HOURS = env.int("DAPOLICE_DASH_REWORK_HOURS", default=24)
#: The stalking supplement opens when the victim has at least this many DA incidents in the
#: last 12 months (this one included), besides "very frightened" or "stalking" answered yes.
DAPOLICE_DASH_STALKING_MIN_INCIDENTS = env.int("DAPOLICE_DASH_STALKING_MIN_INCIDENTS", default=2)
#: Visible high risk (SafeLives): this many "yes" answers. Never lowered below high, by the
#: officer or the supervisor, and a MARAC referral criterion.
DAPOLICE_VISIBLE_HIGH_MIN = env.int("DAPOLICE_VISIBLE_HIGH_MIN", default=14)
#: MARAC potential escalation: at least this many DA incidents with the person as victim within
#: so many months up to the assessed incident (some areas use 3 in 6).
DAPOLICE_MARAC_ESCALATION_INCIDENTS = env.int("DAPOLICE_MARAC_ESCALATION_INCIDENTS", default=3)
DAPOLICE_MARAC_ESCALATION_MONTHS = env.int("DAPOLICE_MARAC_ESCALATION_MONTHS", default=12)
#: Repeat MARAC: a DA incident within so many months of the last MARAC referral.
DAPOLICE_MARAC_REPEAT_MONTHS = env.int("DAPOLICE_MARAC_REPEAT_MONTHS", default=12)
if not 0 < DAPOLICE_DASH_MEDIUM_MIN <= DAPOLICE_DASH_HIGH_MIN:
    raise environ.ImproperlyConfigured(
        "DAPOLICE_DASH_MEDIUM_MIN must be positive and not above DAPOLICE_DASH_HIGH_MIN"
    )
# The API schema names the risk choice sets (two apps have a "status").
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "DashStatusEnum": "risk.choices.Status",
    "DashLevelEnum": "risk.choices.Level",
}
# --- end of the risk block ------------------------------------------------------------------

# --- MASH secondary assessment (mash) -------------------------------------------------------
# Defaults from ../shared/domain.md step 4 and the issue; every one is in README.md,
# "Configuration". Times of day are Europe/London wall-clock times (TIME_ZONE), so BST is
# followed without a change here.
#: Share of reviewed standard-risk DASHes the MASH samples (a keyed hash of the assessment id
#: below this share: the same assessment always gets the same answer).
DAPOLICE_MASH_SAMPLE_PERCENT = env.float("DAPOLICE_MASH_SAMPLE_PERCENT", default=10.0)
#: HMAC key of the sample draw. Keep it stable: a new key draws a new sample (the decisions
#: already made are kept on the cases and in the audit trail).
DAPOLICE_MASH_SAMPLE_KEY = (
    env.str("DAPOLICE_MASH_SAMPLE_KEY", default="")
    or hashlib.sha256(f"dapolice.mash.sample:{SECRET_KEY}".encode()).hexdigest()
)
#: A high-risk item not started (claimed) within this many minutes alerts the MASH team lead
#: (out of MASH hours: the on-duty detective sergeant).
DAPOLICE_MASH_HIGH_START_MINUTES = env.int("DAPOLICE_MASH_HIGH_START_MINUTES", default=60)
#: Any item without a completed secondary assessment this many hours after it arrived alerts
#: the MASH team lead.
DAPOLICE_MASH_COMPLETE_HOURS = env.int("DAPOLICE_MASH_COMPLETE_HOURS", default=24)
#: MASH hours (local time, every day): from DAY_START until DAY_END. A high-risk item arriving
#: outside them goes to the on-duty detective sergeant (the duty rota) instead.
DAPOLICE_MASH_DAY_START = env.str("DAPOLICE_MASH_DAY_START", default="08:00")
DAPOLICE_MASH_DAY_END = env.str("DAPOLICE_MASH_DAY_END", default="22:00")
#: The crime prevention officer's sanctuary survey is due this many hours after the referral.
DAPOLICE_MASH_SANCTUARY_HOURS = env.int("DAPOLICE_MASH_SANCTUARY_HOURS", default=48)
#: Other referrals are due this many days after they are made unless the officer sets a date.
DAPOLICE_MASH_REFERRAL_DAYS = env.int("DAPOLICE_MASH_REFERRAL_DAYS", default=5)
#: The force target for high-risk victims supported by an IDVA, and the window of the rate.
DAPOLICE_MASH_IDVA_TARGET_PERCENT = env.int("DAPOLICE_MASH_IDVA_TARGET_PERCENT", default=95)
DAPOLICE_MASH_IDVA_WINDOW_DAYS = env.int("DAPOLICE_MASH_IDVA_WINDOW_DAYS", default=90)
#: Before a contact with a victim is logged, contacts by others within this many hours are
#: shown with a warning.
DAPOLICE_MASH_RECENT_CONTACT_HOURS = env.int("DAPOLICE_MASH_RECENT_CONTACT_HOURS", default=48)
#: Operation Encompass: the school is told before the start of the next school day (local
#: time); weekends and the bank holidays of this part of the UK (the ``holidays`` package's
#: GB subdivision: ENG for England, WLS for Wales) are not school days.
DAPOLICE_SCHOOL_DAY_START = env.str("DAPOLICE_SCHOOL_DAY_START", default="08:30")
DAPOLICE_BANK_HOLIDAY_REGION = env.str("DAPOLICE_BANK_HOLIDAY_REGION", default="ENG")
if not 0 <= DAPOLICE_MASH_SAMPLE_PERCENT <= 100:
    raise environ.ImproperlyConfigured("DAPOLICE_MASH_SAMPLE_PERCENT must be between 0 and 100")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # type: ignore[dict-item]
    "MashStatusEnum": "mash.choices.CaseStatus",
    "MashReferralStatusEnum": "mash.choices.ReferralStatus",
    "MashReferralKindEnum": "mash.choices.ReferralKind",
    "MashTeamEnum": "mash.choices.Team",
    "MashEntryReasonEnum": "mash.choices.EntryReason",
    "MashOwnershipEventEnum": "mash.choices.OwnershipEvent",
    "MashContactChannelEnum": "mash.choices.ContactChannel",
    "MashContactOutcomeEnum": "mash.choices.ContactOutcome",
    # The marker kind keeps the name it had before referrals brought a second "kind".
    "KindEnum": "incidents.choices.MarkerKind",
    "CustodyEventKindEnum": "incidents.choices.CustodyEventKind",
}
# --- end of the mash block ------------------------------------------------------------------

# --- Timed work and alerts (dapolice.alerts, issue 9) ---------------------------------------
#: The attendance warning goes to control-room supervisors this many minutes before the deadline.
DAPOLICE_ATTENDANCE_WARNING_MINUTES = env.int("DAPOLICE_ATTENDANCE_WARNING_MINUTES", default=5)
#: Still unattended this many minutes after the deadline: escalated to the duty inspector.
DAPOLICE_ATTENDANCE_ESCALATION_MINUTES = env.int(
    "DAPOLICE_ATTENDANCE_ESCALATION_MINUTES", default=15
)
#: Who receives the escalation. No inspector role exists yet, so by default the control-room
#: supervisors (on duty round the clock) receive it as urgent, worded for the duty inspector.
DAPOLICE_DUTY_INSPECTOR_ROLE = env.str("DAPOLICE_DUTY_INSPECTOR_ROLE", default="control_supervisor")
#: (The inspector on the duty rota, ``incidents.DutyInspectorShift``, receives it first; the role
#: above is the fallback when nobody is on duty.)
#: Bail, custody and release (HMIC recommendation 12): the victim is told within this many
#: working days (Monday to Friday, not a bank holiday of ``DAPOLICE_BANK_HOLIDAY_REGION``) of the
#: event. Default 1: the Victims' Code (2020, right 6) gives 5 working days, but 1 to victims
#: entitled to enhanced rights, which victims of domestic abuse are (victims of the most serious
#: crime and intimidated victims); a force that applies the standard service sets 5.
DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS = env.int(
    "DAPOLICE_CUSTODY_TELL_VICTIM_WORKING_DAYS", default=1
)
#: Alerts are also e-mailed (a reference and a link only) to their recipients with an address.
DAPOLICE_ALERT_EMAIL = env.bool("DAPOLICE_ALERT_EMAIL", default=True)
#: Links in alert e-mails start with this (no trailing slash).
DAPOLICE_SITE_URL = env.str("DAPOLICE_SITE_URL", default="http://127.0.0.1:8000")
#: Delivery attempts of one alert's e-mails before giving up (the sweep re-nudges later).
DAPOLICE_ALERT_DELIVERY_RETRIES = env.int("DAPOLICE_ALERT_DELIVERY_RETRIES", default=5)
#: A medium-risk DASH (as reviewed) asks the victim's SPOC for a re-assessment this many days
#: later (HMIC recommendation 7), and again every this many days until the victim's follow-up is
#: closed (``risk.services.reassessment_close``); a later reviewed DASH moves or cancels it.
DAPOLICE_REASSESS_MEDIUM_DAYS = env.int("DAPOLICE_REASSESS_MEDIUM_DAYS", default=28)
#: Repeat victims who stopped calling: with at least this many DA incidents and no incident or
#: logged contact for this many months, a welfare follow-up goes to their SPOC.
DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS = env.int("DAPOLICE_SILENT_VICTIM_MIN_INCIDENTS", default=3)
DAPOLICE_SILENT_VICTIM_MONTHS = env.int("DAPOLICE_SILENT_VICTIM_MONTHS", default=3)
# Matching weights trained nightly on a worker with the ``train`` extra (issue 14); a new model
# is inactive until an analyst promotes it. 0 turns the nightly run off.
if env.int("DAPOLICE_MATCH_TRAIN_SECONDS", default=86400):
    CELERY_BEAT_SCHEDULE["matching-train"] = {
        "task": "incidents.matching.tasks.matching_train_task",
        "schedule": env.int("DAPOLICE_MATCH_TRAIN_SECONDS", default=86400),
    }
CELERY_BEAT_SCHEDULE["welfare-deadlines"] = {
    "task": "mash.tasks.welfare_deadlines_refresh_task",
    "schedule": env.int("DAPOLICE_WELFARE_REFRESH_SECONDS", default=3600),
}

# --- MARAC (marac) ------------------------------------------------------------------------------
# Defaults from ../shared/domain.md step 5 and the issue (README "Configuration"). The repeat
# window is DAPOLICE_MARAC_REPEAT_MONTHS above (risk's criterion and marac's detection agree).
#: Meetings are scheduled this many days apart (fortnightly by default).
DAPOLICE_MARAC_MEETING_EVERY_DAYS = env.int("DAPOLICE_MARAC_MEETING_EVERY_DAYS", default=14)
#: The agenda's cut-off is this many days before the meeting unless one is given.
DAPOLICE_MARAC_CUTOFF_DAYS = env.int("DAPOLICE_MARAC_CUTOFF_DAYS", default=7)
#: At most this many cases on one agenda; the rest wait for the next meeting, oldest first.
DAPOLICE_MARAC_CASES_PER_MEETING = env.int("DAPOLICE_MARAC_CASES_PER_MEETING", default=16)
#: Minutes given to each case on the agenda (its time slot).
DAPOLICE_MARAC_MINUTES_PER_CASE = env.int("DAPOLICE_MARAC_MINUTES_PER_CASE", default=15)
#: An action is "due soon" this many days before its due date (its agency is alerted).
DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS = env.int("DAPOLICE_MARAC_ACTION_DUE_SOON_DAYS", default=2)
#: The coordinator is alerted when the re-assessment asked for after the actions (a DASH
#: reviewed through risk) has not come this many days after the request.
DAPOLICE_MARAC_REASSESS_DAYS = env.int("DAPOLICE_MARAC_REASSESS_DAYS", default=14)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # type: ignore[dict-item]
    "MaracCaseStatusEnum": "marac.choices.CaseStatus",
    "MaracSourceEnum": "marac.choices.Source",
    "MaracActionStatusEnum": "marac.choices.ActionStatus",
    "MaracReportKindEnum": "marac.choices.ReportKind",
    "MaracMeetingStatusEnum": "marac.choices.MeetingStatus",
    "MaracRiskOutcomeEnum": "marac.choices.RiskOutcome",
}
# --- end of the marac block -----------------------------------------------------------------

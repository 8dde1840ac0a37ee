"""The stack of docker-compose.yml and the Dockerfile, proven without Docker (there is no engine).

A deployer copies ``.env.example`` and ``deploy/dapolice.env.example``, fills in the empty values
and runs ``docker compose up -d --build`` (README "Deploying"). These tests render what each
container would receive, as Compose does, and prove it against the production settings: so the
compose file cannot drift from the settings, the health check, the start order or the roles.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections

from dapolice.accounts.models import User
from dapolice.audit.models import AuditEvent
from incidents.models import RuralArea

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
RUNTIME_SERVICES = ("web", "worker", "beat")
_INTERPOLATION = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {line!r} is not KEY=VALUE"
        values[key.strip()] = value.strip()
    return values


def to_fill_in(path: Path) -> set[str]:
    """The variables a deployer must fill in: those left empty in the example."""
    return {key for key, value in read_env_file(path).items() if not value}


def _filled(path: Path) -> dict[str, str]:
    return {k: v or secrets.token_urlsafe(50) for k, v in read_env_file(path).items()}


def _interpolate(node: Any, variables: dict[str, str]) -> Any:
    """``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}`` and ``$$`` as Compose reads them."""
    if isinstance(node, dict):
        return {k: _interpolate(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, variables) for v in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = variables.get(name)
        unset = value is None or (value == "" and op and op.startswith(":"))
        if op and op.endswith("?") and unset:
            raise AssertionError(f"Compose would stop: {name}: {arg}")
        if op and op.endswith("-") and unset:
            return arg
        return value or ""

    return _INTERPOLATION.sub(substitute, node)


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile_stages()[-1]:
        if instruction == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    return env


class Stack:
    """docker-compose.yml as Compose would run it with the deployer's two files filled in."""

    def __init__(self, **variables: str) -> None:
        self.variables = _filled(ROOT / ".env.example") | variables
        raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.compose = _interpolate(raw, self.variables)
        self.services = self.compose["services"]
        self._env_files: dict[str, dict[str, str]] = {}

    def env(self, service: str) -> dict[str, str]:
        """A container's environment: the image's ENV, then env_file, then environment."""
        spec = self.services[service]
        env = dockerfile_env() if "build" in spec else {}
        files = spec.get("env_file", [])
        for entry in [files] if isinstance(files, str | dict) else files:
            path = entry["path"] if isinstance(entry, dict) else entry
            # The deployer's copy of the example, filled in once for the whole stack.
            env |= self._env_files.setdefault(path, _filled(ROOT / f"{path}.example"))
        environment = spec.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        return env | {k: str(v) for k, v in environment.items()}


def _alone(env: dict[str, str]) -> dict[str, str | None]:
    """``env`` for a child process, with none of this process's own settings leaking in."""
    own = {
        key: None
        for key in os.environ
        if key.startswith(("DAPOLICE_", "DJANGO_", "CELERY_"))
        or key in {"DATABASE_URL", "REDIS_URL"}
    }
    return own | env


# --- Settings: the compose environment passes the production deployment checks ------------


def test_a_deployer_fills_in_only_the_secrets():
    assert to_fill_in(ROOT / ".env.example") == {
        "POSTGRES_PASSWORD",
        "DAPOLICE_DB_OWNER_PASSWORD",
        "DAPOLICE_DB_APP_PASSWORD",
    }
    assert to_fill_in(ROOT / "deploy" / "dapolice.env.example") == {"DJANGO_SECRET_KEY"}
    with pytest.raises(AssertionError, match="DAPOLICE_DB_APP_PASSWORD"):
        Stack(DAPOLICE_DB_APP_PASSWORD="")  # Compose refuses to start without it


def test_web_environment_passes_check_deploy_under_production_settings(run_manage_py):
    """(The migrate service's environment runs production settings in the roles test below.)"""
    stack = Stack()
    env = stack.env("web")
    assert env["DAPOLICE_ENV"] == "production"
    result = run_manage_py("check", "--deploy", "--fail-level", "WARNING", env=_alone(env))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # worker and beat run the same settings as web.
    assert stack.env("worker") == stack.env("beat") == env


# --- Start order and database roles -------------------------------------------------------


def test_web_worker_and_beat_start_only_after_the_one_shot_migrate_service():
    services = Stack().services
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in RUNTIME_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(services[name].get("command", [])), name
    command = " ".join(migrate["command"])
    assert command.index("manage.py migrate") < command.index("manage.py db_grant_runtime_role")


def test_runtime_containers_connect_as_the_runtime_role_and_never_see_the_owner_password():
    stack = Stack(DAPOLICE_DB_OWNER="owner_probe", DAPOLICE_DB_APP="app_probe")
    owner_password = stack.variables["DAPOLICE_DB_OWNER_PASSWORD"]
    superuser_password = stack.variables["POSTGRES_PASSWORD"]
    migrate_url = urlsplit(stack.env("migrate")["DATABASE_URL"])
    assert (migrate_url.username, migrate_url.password) == ("owner_probe", owner_password)
    for name in RUNTIME_SERVICES:
        env = stack.env(name)
        url = urlsplit(env["DATABASE_URL"])
        assert url.username == "app_probe", name
        assert url.password == stack.variables["DAPOLICE_DB_APP_PASSWORD"], name
        leaked = [k for k, v in env.items() if owner_password in v or superuser_password in v]
        assert not leaked, (name, leaked)
    # The migrate service grants the very role the runtime containers use.
    assert stack.services["migrate"]["command"][-1].split()[-1] == "app_probe"
    # The postgres container creates both roles on first start (its init script is mounted).
    postgres = stack.services["postgres"]
    init = [v.split(":")[0] for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init == ["./deploy/postgres/10-dapolice-roles.sh"]
    assert os.access(ROOT / init[0], os.X_OK)


def _sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)


@contextmanager
def _connected_as(db: Any, user: str, password: str) -> Iterator[str]:
    alias = f"{db.alias}_{user}"
    settings_dict = dict(connections[db.alias].settings_dict, USER=user, PASSWORD=password)
    connections.settings[alias] = settings_dict
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.mark.postgres
def test_roles_as_compose_creates_them_keep_the_audit_trail_append_only(scratch_database):
    """The postgres container's init script, then the migrate service's command verbatim, then
    what web can do as the runtime role: append to the audit trail, never change or remove it."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("needs psql (postgresql-client) to run the init script")
    db = scratch_database()
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"dapolice_owner_{suffix}", f"dapolice_app_{suffix}"
    stack = Stack(DAPOLICE_DB_OWNER=owner, DAPOLICE_DB_APP=app)
    server = connections[db.alias].settings_dict
    here = {
        "PGHOST": server["HOST"] or "127.0.0.1",
        "PGPORT": str(server["PORT"] or 5432),
        "PGPASSWORD": server["PASSWORD"] or "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    try:
        # 1. The postgres container's first start, as POSTGRES_USER on POSTGRES_DB.
        postgres_env = stack.env("postgres") | here
        postgres_env |= {"POSTGRES_USER": server["USER"], "POSTGRES_DB": db.name}
        init = subprocess.run(  # noqa: S603 (our own script)
            [str(ROOT / "deploy/postgres/10-dapolice-roles.sh")],
            env=base_env | postgres_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert init.returncode == 0, init.stderr

        # 2. The one-shot migrate service: its command verbatim, its environment, this server.
        migrate_env = stack.env("migrate") | here
        url = urlsplit(migrate_env["DATABASE_URL"])
        migrate_env["DATABASE_URL"] = url._replace(
            netloc=f"{url.username}:{url.password}@{here['PGHOST']}:{here['PGPORT']}",
            path=f"/{db.name}",
        ).geturl()
        migrate_env = {
            k: v for k, v in (_alone(migrate_env) | {"REDIS_URL": None}).items() if v is not None
        }
        env = {k: v for k, v in base_env.items() if k not in _alone({})} | migrate_env
        result = subprocess.run(  # noqa: S603 (the compose file's own command)
            stack.services["migrate"]["command"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{app}: " in result.stdout

        with connections[db.alias].cursor() as cursor:
            cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            assert cursor.fetchall() == [(owner,)]
        # The grant refuses a role that could undo it: the owner, a superuser.
        for unsafe in (owner, server["USER"]):
            with pytest.raises(CommandError):
                call_command("db_grant_runtime_role", unsafe, database=db.alias)

        # 3. web's connection.
        web_url = urlsplit(stack.env("web")["DATABASE_URL"])
        with _connected_as(db, web_url.username, web_url.password) as alias:
            system = User.objects.using(alias).get(username="system")
            event = AuditEvent.objects.using(alias).create(
                actor=system, kind=AuditEvent.Kind.READ, action="deploy.probe.read"
            )
            assert AuditEvent.objects.using(alias).filter(pk=event.pk).exists()
            area = RuralArea.objects.using(alias).create(postcode_prefix="NR9", note="probe")
            RuralArea.objects.using(alias).filter(pk=area.pk).update(note="changed")
            RuralArea.objects.using(alias).filter(pk=area.pk).delete()

            refused = {
                "UPDATE audit_auditevent SET reason = 'rewritten'",
                "DELETE FROM audit_auditevent",
                "TRUNCATE audit_auditevent",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
                "SET session_replication_role = replica",
                "CREATE TABLE probe (id integer)",
                "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
            }
            outcomes = {}
            for sql in refused:
                with connections[alias].cursor() as cursor:
                    try:
                        cursor.execute(sql)
                    except DatabaseError as error:
                        outcomes[sql] = _sqlstate(error)
                    else:
                        outcomes[sql] = "allowed"
            # 42501: insufficient privilege (not the append-only trigger's own refusal).
            assert outcomes == dict.fromkeys(refused, "42501")
            assert AuditEvent.objects.using(alias).filter(pk=event.pk).exists()
    finally:
        with connections["default"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{app}"')
            cursor.execute(f'DROP ROLE IF EXISTS "{owner}"')


# --- Health check ----------------------------------------------------------------------------

_SERVE_AND_PROBE = """
import json, os, runpy, sys, threading, time, urllib.error, urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django

django.setup()
from django.core.wsgi import get_wsgi_application

from dapolice.health.checks import WORKER_HEARTBEAT


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
probe = runpy.run_path(sys.argv[1])
url = f"http://127.0.0.1:{server.server_port}/healthz?format=json"
opener = urllib.request.build_opener(probe["_NoRedirect"])


def plain(headers):
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


from django.db import connection  # noqa: E402

from dapolice.alerts.models import Heartbeat  # noqa: E402
from dapolice.alerts.services import SWEEP_HEARTBEAT, heartbeat_beat  # noqa: E402

with connection.schema_editor() as editor:  # the one table /healthz reads (the scratch
    editor.create_model(Heartbeat)  # database is not migrated)
heartbeat_beat(name=SWEEP_HEARTBEAT)  # as the deadline sweep does
heartbeat_beat(name=WORKER_HEARTBEAT)  # as the worker does, on beat's schedule
try:
    allowed_host = probe["probe_headers"](os.environ)["Host"]
    print(json.dumps({
        "health check": probe["status"](url),
        "as before (127.0.0.1, plain HTTP)": plain({}),
        "allowed host, plain HTTP": plain({"Host": allowed_host}),
    }))
finally:
    server.shutdown()
"""


def test_web_health_check_gets_200_from_production_settings(scratch_database, tmp_path):
    """The compose health check, against the web container's settings, served over HTTP."""
    stack = Stack()
    command = stack.services["web"]["healthcheck"]["test"]
    assert command[:2] == ["CMD", "python"]
    script = ROOT / command[2]
    env = stack.env("web") | {"DATABASE_URL": scratch_database().url}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        env["DAPOLICE_CACHE_PREFIX"] = f"dapolice-healthcheck-{uuid.uuid4().hex[:10]}"
    else:  # the embedded broker, which production settings do not create
        env.pop("REDIS_URL")
        env["DAPOLICE_VAR_DIR"] = str(tmp_path)
        for folder in ("queue", "control"):
            (tmp_path / "broker" / folder).mkdir(parents=True)
    child_env = {k: v for k, v in os.environ.items() if k not in _alone({})}
    child_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    child_env |= env | {"DJANGO_SETTINGS_MODULE": "dapolice.settings"}
    result = subprocess.run(  # noqa: S603 (a fixed script)
        [sys.executable, "-c", _SERVE_AND_PROBE, str(script)],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "health check": 200,
        # What the old health check met: an unknown host, then the HTTPS redirect.
        "as before (127.0.0.1, plain HTTP)": 400,
        "allowed host, plain HTTP": 301,
    }


# --- The image ------------------------------------------------------------------------------


def _shell_commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line, split at ``&&``, ``||``, ``;`` and ``|``."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in {"&&", "||", ";", "|"}:
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def test_dockerfile_copies_each_source_directory_once():
    stage = dockerfile_stages()[-1]
    sources = []
    for instruction, arguments in stage:
        if instruction == "COPY" and not arguments.startswith("--from"):
            *copied, _destination = shlex.split(arguments)
            sources += [s.removeprefix("./").rstrip("/") for s in copied]
    assert "." not in sources, "COPY . copies everything"
    assert len(sources) == len(set(sources)), sources
    nested = [(a, b) for a in sources for b in sources if b.startswith(f"{a}/")]
    assert not nested, nested
    missing = [s for s in sources if not (ROOT / s).exists()]
    assert not missing, missing

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    compose = Stack().services
    needed = packages | {
        "manage.py",
        "templates",
        "static",
        compose["web"]["healthcheck"]["test"][2],
    }
    assert needed <= set(sources), needed - set(sources)

    # The code runs from the copy in /app; installing the project would add a second one.
    for instruction, arguments in stage:
        if instruction != "RUN":
            continue
        for words in _shell_commands(arguments):
            if "install" in words and any(w.endswith("pip") for w in words):
                assert not {".", "-e", "--editable", "/app", "./"} & set(words), words
                assert not [w for w in words if w.startswith((".[", "/app"))], words
    assert dockerfile_env()["PYTHONPATH"] == "/app"

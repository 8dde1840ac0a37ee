"""A canary person goes through the real flows; afterwards it is nowhere it must not be (issue 7).

The canary (a name, an address, a phone number and a date of birth found nowhere else) is
typed into the intake form, added through the person API, searched in the match panel and the
match API, read on the incident page, assessed in a DASH (children's details) and given MASH
intelligence; a call typed at its (then restricted) address raises an alert. Celery runs for
real: tasks are published to the test's Redis broker (not eagerly) and a real worker (solo
pool, in a thread) consumes them. Then every place personal data must not reach is scanned:

* every log record (root at DEBUG), as the configured formatter writes it with its traceback,
  and every file under the var directories (log files, the file cache, the beat schedule);
* every Redis key and value of the test's database (SCAN, by type: strings, lists (Celery's
  queues), hashes (unacked messages), sets, sorted sets), with Celery message bodies decoded;
* the body and headers of every Celery message published;
* 404, 403 and 500 pages (``DEBUG=False``; the 500s with the canary in the URL and the POST:
  a view that fails, and a real intake POST while the audit store is down).

The assertion is 0 occurrences; the count is printed (``pytest -s``) for the issue's figures.
Redis is never mocked: without ``REDIS_URL`` the test is skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish, task_postrun
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.accounts.services import system_user, user_create
from dapolice.alerts.models import Alert
from dapolice.alerts.tasks import alert_deliver_task, deadlines_scan
from dapolice.celery import app as celery_app
from dapolice.health.tasks import worker_heartbeat
from incidents import services as incident_services
from incidents.forms import call_stamp
from incidents.models import Incident, Person
from mash import services as mash_services
from mash.models import MashCase
from mash.tasks import welfare_deadlines_refresh_task
from risk import services as risk_services
from tests.risk.conftest import complete_input

PASSWORD = "correct horse battery staple"

GIVEN = "Quillonce"
FAMILY = "Zqxcanarywick"
STREET = "Zqxcanary Row"
POSTCODE = "NR7 9QX"
PHONE = "07700 900461"
DOB = date(1969, 2, 13)
#: Every spelling of the canary that would give it away.
NEEDLES = (
    GIVEN,
    FAMILY,
    STREET,
    "Zqxcanary",
    POSTCODE,
    POSTCODE.replace(" ", ""),
    PHONE,
    PHONE.replace(" ", ""),
    "7700900461",
    DOB.isoformat(),
    DOB.strftime("%d/%m/%Y"),
    DOB.strftime("%-d %B %Y"),
    DOB.strftime("%-d %b %Y"),
)
PLAIN_FORMAT = settings.LOGGING["formatters"]["plain"]["format"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.REDIS_URL, reason="the canary scan needs Redis (no mock)"),
]


def occurrences(text: str) -> list[str]:
    """Each needle found in ``text`` (case-insensitive), once per occurrence."""
    low = text.lower()
    return [n for n in NEEDLES for _ in range(low.count(n.lower()))]


class Capture(logging.Handler):
    """Every record, as the configured formatter writes it (traceback included)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(PLAIN_FORMAT.replace("[%(request_id)s] ", "")))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[Capture]:
    root = logging.getLogger()
    handler = Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _decoded(value: bytes) -> list[str]:
    """The text of a Redis value, plus the decoded bodies of any Celery (kombu) message in it."""
    texts = [value.decode("utf-8", "replace")]
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return texts
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            body = item.get("body")
            if (
                isinstance(body, str)
                and item.get("properties", {}).get("body_encoding") == "base64"
            ):
                with suppress(binascii.Error, ValueError):
                    texts.append(base64.b64decode(body).decode("utf-8", "replace"))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return texts


def redis_dump(client: redis.Redis) -> tuple[int, list[str]]:
    """(number of keys, the text of every key and value) of the broker's database."""
    texts: list[str] = []
    keys = 0
    for key in client.scan_iter(count=500):
        keys += 1
        texts.append(key.decode("utf-8", "replace"))
        kind = client.type(key).decode()
        values: list[bytes] = []
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = list(client.lrange(key, 0, -1))
        elif kind == "hash":
            values = [x for pair in client.hgetall(key).items() for x in pair]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values = [json.dumps(str(e)).encode() for e in client.xrange(key)]
        for value in values:
            texts.extend(_decoded(value))
    return keys, texts


def var_files() -> list[str]:
    """The text of every file under the var directories (logs, file cache, beat schedule)."""
    texts: list[str] = []
    roots = {Path(settings.VAR_DIR)}
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000 and "frontend" not in path.parts:
                texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


def intake_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "call_started": call_stamp(timezone.now()),
        "location_house": "17",
        "location_street": STREET,
        "location_town": "Norwich",
        "location_postcode": POSTCODE,
        "location_rurality": "auto",
        "caller": "victim",
        "relationship": "partner",
        "immediate_risk": "yes",
        "injuries": "no",
        "weapons": "no",
        "children_present": "no",
        "firearm_at_address": "no",
        "happened_before": "no",
        "victim_vulnerable": "no",
        "narrative": "Shouting heard",
        "category": "A",
        "victim-given_name": GIVEN,
        "victim-family_name": FAMILY,
        "victim-date_of_birth_0": str(DOB.day),
        "victim-date_of_birth_1": str(DOB.month),
        "victim-date_of_birth_2": str(DOB.year),
        "victim-phones": PHONE,
        "victim-lives_at_location": "on",
        "suspect-given_name": "Sam",
        "suspect-family_name": "Suspectson",
        "suspect-lives_at_location": "on",
    }
    data.update(overrides)
    return data


def _user(key: str, *roles: str) -> User:
    return user_create(
        actor=system_user(),
        username=f"canary-{key}",
        password=PASSWORD,
        roles=roles,
        first_name=key.title(),
        last_name="Canary",
        email=f"{key}@police.example",
    )


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@contextmanager
def audit_store_down() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION canary_audit_down() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER canary_audit_down BEFORE INSERT ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION canary_audit_down()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER canary_audit_down ON audit_auditevent")
            cursor.execute("DROP FUNCTION canary_audit_down()")


def _wait_until_drained(client: redis.Redis) -> bool:
    """Until the worker has taken and acknowledged every message (bounded: 600 x 50 ms)."""
    for _ in range(600):
        if not client.llen("celery") and not client.hlen("unacked"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_canary_appears_in_no_log_redis_key_celery_message_or_error_page() -> None:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    published: list[str] = []
    executed: list[str] = []
    pages: list[str] = []

    def on_publish(body: Any = None, headers: Any = None, **_: Any) -> None:
        published.append(json.dumps([body, headers], default=str))

    def on_run(sender: Any = None, **_: Any) -> None:
        executed.append(getattr(sender, "name", "?"))

    before_task_publish.connect(on_publish, weak=False)
    task_postrun.connect(on_run, weak=False)
    eager = celery_app.conf.task_always_eager
    hijack = celery_app.conf.worker_hijack_root_logger
    celery_app.conf.task_always_eager = False  # publish to the real broker
    celery_app.conf.worker_hijack_root_logger = False
    try:
        with captured_logs() as logs:
            _flows(pages)
            for task, args in (
                (worker_heartbeat, ()),
                (deadlines_scan, ()),
                (welfare_deadlines_refresh_task, ()),
            ):
                task.apply_async(args=args)
            assert Alert.objects.exists()
            for alert in Alert.objects.all():
                alert_deliver_task.apply_async(args=[alert.pk])
            _, queued_texts = redis_dump(broker)
            assert broker.llen("celery") >= 4, "the tasks were not published to Redis"
            # Celery's Django fix-up runs django.setup() as the worker starts, which would apply
            # LOGGING again and drop the capture from the root logger: not this time.
            with (
                override_settings(LOGGING_CONFIG=None),
                start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="DEBUG"),
            ):
                drained = _wait_until_drained(broker)
            assert logs in logging.getLogger().handlers, "the log capture was dropped"
            assert drained, "the worker did not take every message"
            keys, redis_texts = redis_dump(broker)
            files = var_files()
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.worker_hijack_root_logger = hijack
        logging.captureWarnings(False)  # the worker's logging set-up turned it on
        before_task_publish.disconnect(on_publish)
        task_postrun.disconnect(on_run)

    # The canary is really in the database, the scans really saw something.
    assert Person.objects.filter(family_name=FAMILY, date_of_birth=DOB).exists()
    assert {
        "dapolice.alerts.tasks.alert_deliver_task",
        "dapolice.alerts.tasks.deadlines_scan",
    } <= set(executed), executed
    assert any("alert_deliver_task" in line for line in logs.lines), "the worker's logs"
    assert keys
    assert len(published) >= 4

    found = {
        "logs": [n for line in logs.lines for n in occurrences(line)],
        "var files": [n for text in files for n in occurrences(text)],
        "redis (queued)": [n for text in queued_texts for n in occurrences(text)],
        "redis (after the worker)": [n for text in redis_texts for n in occurrences(text)],
        "celery messages": [n for text in published for n in occurrences(text)],
        "error pages": [n for text in pages for n in occurrences(text)],
    }
    total = sum(len(v) for v in found.values())
    sys.stderr.write(
        f"\ncanary: {total} occurrences in {len(logs.lines)} log records, {len(files)} var "
        f"files, {keys} Redis keys, {len(published)} Celery messages ({len(executed)} run by "
        f"the worker), {len(pages)} error pages\n"
    )
    assert total == 0, {where: sorted(set(n)) for where, n in found.items() if n}


def _flows(pages: list[str]) -> None:
    """The canary through the real flows; error pages' bodies go into ``pages``."""
    call_taker = _user("calltaker", Role.CALL_TAKER)
    _user("controlsup", Role.CONTROL_SUPERVISOR)
    officer = _user("officer", Role.ATTENDING_OFFICER)
    sergeant = _user("sergeant", Role.SUPERVISOR)
    mash = _user("mash", Role.MASH)
    analyst = _user("analyst", Role.ANALYST)
    ct = _client(call_taker)

    # The live match panel and the match API, while the call is typed.
    panel = ct.post(
        reverse("incidents:match-panel"),
        {**intake_form(), "panel": "victim"},
        headers={"HX-Request": "true"},
    )
    assert panel.status_code == 200
    match = ct.post(
        reverse("api-person-match"),
        {"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": DOB.isoformat(),
         "phones": [PHONE], "postcode": POSTCODE, "house": "17"},
        content_type="application/json",
    )  # fmt: skip
    assert match.status_code == 200

    # The intake form logs the call.
    logged = ct.post(reverse("incidents:create"), intake_form())
    assert logged.status_code == 302, logged.content.decode()[:500]
    incident = Incident.objects.get(people__person__family_name=FAMILY)
    victim = Person.objects.get(family_name=FAMILY)

    # The person API adds a child; the incident page and the person API read them.
    child = ct.post(
        reverse("api-person-create"),
        {"incident": incident.pk, "role": "child", "given_name": f"{GIVEN}junior",
         "family_name": FAMILY, "date_of_birth": "2019-05-01", "phones": [PHONE],
         "address": {"house": "17", "street": STREET, "town": "Norwich", "postcode": POSTCODE}},
        content_type="application/json",
    )  # fmt: skip
    assert child.status_code == 201, child.content.decode()[:500]
    page = ct.get(reverse("incidents:detail", args=[incident.pk]))
    assert page.status_code == 200
    assert FAMILY in occurrences(page.content.decode())  # the needles match what is shown
    assert ct.get(reverse("api-person-detail", args=[victim.pk])).status_code == 200

    # The DASH (the canary in the children's details), reviewed into a MASH case with
    # intelligence about the canary.
    incident_services.incident_dispatch(actor=call_taker, incident=incident, officer=officer)
    dash = risk_services.assessment_start(actor=officer, incident=incident)
    risk_services.assessment_submit(
        actor=officer,
        assessment=dash,
        data=complete_input(
            15, children_present="yes", children_details=f"{GIVEN}junior {FAMILY}, 7"
        ),
    )
    risk_services.assessment_review(actor=sergeant, assessment=dash, decision="agree")
    case = MashCase.objects.get(assessment=dash)
    mash_services.information_add(
        actor=mash,
        case=case,
        source="police",
        received_on=timezone.localdate() - timedelta(days=1),
        summary=f"{FAMILY} seen at {STREET}, phone {PHONE}",
    )
    mc = _client(mash)
    assert mc.get(reverse("risk:dash-detail", args=[dash.pk])).status_code == 200
    assert mc.get(reverse("mash:case-detail", args=[case.pk])).status_code == 200

    # The address becomes a refuge; a call typed at it raises an alert (a Celery delivery).
    incident_services.address_mark_restricted(
        actor=mash, address=incident.location, reason="Refuge"
    )
    again = ct.post(reverse("incidents:create"), intake_form(**{"victim-family_name": "Other"}))
    assert again.status_code == 302

    # Error pages, with the canary in the URL and the body.
    query = f"?name={FAMILY}&street={STREET}&phone={PHONE}"
    for response in (
        ct.get(f"/incidents/{FAMILY}/{query}"),
        ct.get(reverse("api-person-detail", args=[10**12]) + query),
        _client(analyst).get(reverse("incidents:create") + query),
        _client(analyst).post(reverse("incidents:create"), intake_form()),
        _client(analyst).post(
            reverse("api-person-match"), {"family_name": FAMILY}, content_type="application/json"
        ),
    ):
        assert response.status_code in (403, 404), response.status_code
        pages.append(response.content.decode() + json.dumps(dict(response.headers)))
    with override_settings(ROOT_URLCONF="tests.security.canary_urls", DEBUG=False):
        for response in (
            ct.get(f"/canary-boom/{query}"),
            ct.post(f"/canary-boom/{query}", intake_form()),
        ):
            assert response.status_code == 500
            pages.append(response.content.decode() + json.dumps(dict(response.headers)))
    with audit_store_down():
        failed = ct.post(reverse("incidents:create") + query, intake_form())
    assert failed.status_code == 503  # a database fault: the "unavailable" page (issue 13)
    pages.append(failed.content.decode() + json.dumps(dict(failed.headers)))


def test_the_scanners_find_the_canary_where_it_is() -> None:
    """The scans are not blind: a canary put in a Redis string, inside a Celery message's
    base64 body in a list, in a hash, and in a log record (with a traceback) is found."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    prefix = f"canary-probe-{uuid.uuid4().hex}"
    message = {
        "body": base64.b64encode(json.dumps([[FAMILY], {}, {}]).encode()).decode(),
        "properties": {"body_encoding": "base64"},
    }
    try:
        broker.set(f"{prefix}:s", f"x{STREET}x")
        broker.rpush(f"{prefix}:l", json.dumps(message))
        broker.hset(f"{prefix}:h", "k", json.dumps([message, "", "celery"]))
        _, texts = redis_dump(broker)
    finally:
        broker.delete(f"{prefix}:s", f"{prefix}:l", f"{prefix}:h")
    found = [n for text in texts for n in occurrences(text)]
    assert found.count(STREET) == 1
    assert found.count(FAMILY) == 2
    with captured_logs() as logs:
        try:
            raise ValueError(PHONE)
        except ValueError:
            logging.getLogger("tests.canary").debug("failed", exc_info=True)
    assert PHONE in [n for line in logs.lines for n in occurrences(line)]

"""Foundation rows: the incident list page and incident creation, at each data set size.

* ``GET /incidents/`` (``incidents.views.IncidentListView`` through ``django.test.Client``,
  signed in as a call taker): time per request, its ratio to the bare SQL of the page's
  incident query (captured from the request and run again with a plain cursor), the selector
  alone between the two (so the table shows where the time goes), and queries per page at 10
  and 100 rows (the selector's page size set for the request).
* ``incidents.services.incident_create``: a new victim, suspect and child at a new address;
  and a call linking a known victim (a repeat victim) at her address. Each timed create runs
  in one transaction that is rolled back at the end, so the cached data set stays as loaded
  (the timings include the service's writes and audit rows, not the commit).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from bench.harness import Context, Row

LIST_URL = "/incidents/"
BENCH_USERNAME = "bench.calltaker"


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for size in ctx.sizes:
        dataset = ctx.dataset("incidents", size)
        ctx.say(f"   {dataset.database}: {'cached' if dataset.cached else 'loaded'}")
        user = _call_taker()
        rows += list_page(ctx, size, user)
        rows += creation(ctx, size, user)
    return rows


def _call_taker() -> Any:
    from dapolice.accounts.choices import Role
    from dapolice.accounts.models import User
    from dapolice.accounts.services import system_user, user_create

    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = user_create(
            actor=system_user(),
            username=BENCH_USERNAME,
            password=None,
            roles=[Role.CALL_TAKER],
            first_name="Bench",
            last_name="Call Taker",
        )
    return user


# --- The list page ----------------------------------------------------------------------------


@contextmanager
def _page_size(size: int) -> Iterator[list[int]]:
    """Make the list view show ``size`` rows; yields the row counts actually shown."""
    from incidents import selectors

    original = selectors.incident_list
    shown: list[int] = []

    def sized(*args: Any, **kwargs: Any) -> Any:
        kwargs["page_size"] = size
        result = original(*args, **kwargs)
        shown.append(len(result))
        return result

    selectors.incident_list = sized
    try:
        yield shown
    finally:
        selectors.incident_list = original


def _incident_query(captured: list[dict[str, str]]) -> str | None:
    """The page's main query: the one that reads incidents with a LIMIT."""
    for query in captured:
        sql = query["sql"]
        if 'FROM "incidents_incident"' in sql and "LIMIT" in sql and sql.startswith("SELECT"):
            return sql
    return None


def list_page(ctx: Context, size: int, user: Any) -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)

    def get() -> None:
        response = client.get(LIST_URL)
        if response.status_code != 200:
            raise RuntimeError(f"GET {LIST_URL} answered {response.status_code}")

    with CaptureQueriesContext(connection) as captured:
        get()
    # Read now: the next request's request_started signal clears the connection's query log.
    page_queries = list(captured.captured_queries)
    from incidents import selectors

    def selector() -> None:
        selectors.incident_list(user=user)

    sql = _incident_query(page_queries)
    fns = {"endpoint": get, "selector": selector}
    if sql is None:
        ctx.note(f"GET {LIST_URL}: no incident query with a LIMIT found to time bare")
    else:

        def bare() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()

        fns["bare"] = bare
    timings = ctx.measure_interleaved(fns)
    endpoint = timings["endpoint"]
    rows = [
        Row.timed(
            f"GET {LIST_URL} (default page, call taker)",
            endpoint,
            size=size,
            figures={"queries": len(page_queries)},
        )
    ]
    rows.append(
        Row.timed("  selector incident_list (with its audit row)", timings["selector"], size=size)
    )
    if "bare" in timings:
        rows[0].ratios["÷ bare SQL"] = endpoint.median / timings["bare"].median
        rows[1].ratios["÷ bare SQL"] = timings["selector"].median / timings["bare"].median
        rows.append(Row.timed("  bare SQL of its incident query", timings["bare"], size=size))

    counts = {}
    for page_rows in (10, 100):
        try:
            with _page_size(page_rows) as shown, CaptureQueriesContext(connection) as captured:
                get()
        except TypeError as exc:  # the selector no longer takes page_size
            ctx.note(f"queries per page: {exc}")
            break
        queries = len(captured.captured_queries)
        counts[f"{page_rows} rows"] = str(queries)
        if shown and shown[0] != page_rows:
            counts[f"{page_rows} rows"] = f"{queries} (showed {shown[0]})"
    if counts:
        rows.append(Row(f"GET {LIST_URL} queries per page", size=size, figures=counts))
    return rows


# --- Incident creation ------------------------------------------------------------------------


def _inputs(seed: int, n: int, known: list[tuple[int, Any]]) -> tuple[list[Any], list[Any]]:
    """Fresh calls (new people at a new address) and calls from known victims."""
    from dapolice.demo import synth
    from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput

    rng = random.Random(seed)
    checklist = Checklist(
        immediate_risk=True,
        injuries=False,
        weapons=False,
        children_present=True,
        firearm_at_address=False,
        happened_before=True,
        victim_vulnerable=False,
        happened_before_details="Twice before, not reported.",
    )
    gazetteer = synth.Gazetteer(rng, 5_000)

    def where(place: Any) -> AddressInput:
        return AddressInput(
            house=place.house, street=place.street, town=place.town, postcode=place.postcode
        )

    fresh = []
    for _ in range(n):
        place = gazetteer.address(rng)
        victim = synth.person(rng, home=place)
        suspect = synth.person(rng, family_name=victim.family_name, home=place)
        child = synth.person(rng, family_name=victim.family_name, home=place, child=True)
        people = (
            PersonInput(
                role="victim",
                given_name=victim.given_name,
                family_name=victim.family_name,
                date_of_birth=victim.date_of_birth,
                phones=(victim.phone,) if victim.phone else (),
                lives_at_location=True,
                is_caller=True,
            ),
            PersonInput(
                role="suspect",
                given_name=suspect.given_name,
                family_name=suspect.family_name,
                date_of_birth=suspect.date_of_birth,
                lives_at_location=True,
            ),
            PersonInput(
                role="child",
                given_name=child.given_name,
                family_name=child.family_name,
                date_of_birth=child.date_of_birth,
                lives_at_location=True,
            ),
        )
        fresh.append(
            IncidentInput(
                location=where(place),
                relationship="partner",
                checklist=checklist,
                category_code="A",
                people=people,
                narrative="Benchmark call.",
            )
        )
    repeat = []
    for person_id, address in known[:n]:
        repeat.append(
            IncidentInput(
                location=AddressInput(
                    house=address.house,
                    street=address.street,
                    town=address.town,
                    postcode=address.postcode,
                ),
                relationship="partner",
                checklist=checklist,
                category_code="B",
                people=(
                    PersonInput(
                        role="victim", person_id=person_id, lives_at_location=True, is_caller=True
                    ),
                ),
                narrative="Benchmark call from a known victim.",
            )
        )
    return fresh, repeat


def creation(ctx: Context, size: int, user: Any) -> list[Row]:
    from django.db import transaction

    try:
        from incidents.services import incident_create
    except ImportError:
        ctx.note("incident_create: skipped, waiting for incident_create")
        return []
    from incidents.models import Address, IncidentPerson

    n = ctx.repeat
    warmup = 3
    known_ids = list(
        IncidentPerson.objects.filter(role="victim", person__address__is_restricted=False)
        .order_by("-received_at")
        .values_list("person_id", flat=True)
        .distinct()[: 4 * (n + warmup)]
    )
    seen: set[int] = set()
    known = []
    for person_id in known_ids:
        if person_id in seen:
            continue
        seen.add(person_id)
        address_id = IncidentPerson.objects.filter(person_id=person_id).values_list(
            "person__address_id", flat=True
        )[0]
        if address_id:
            known.append((person_id, Address.objects.get(pk=address_id)))
        if len(known) >= n + warmup:
            break
    fresh, repeat = _inputs(ctx.seed * 1000 + size, n + warmup, known)
    rows = []
    for label, inputs in (
        ("incident_create: new victim, suspect, child", fresh),
        ("incident_create: known victim linked", repeat),
    ):
        if len(inputs) < n + warmup:
            ctx.note(f"{label}: not enough data at {size:,}")
            continue
        queue = iter(inputs)
        with transaction.atomic():
            timing = ctx.measure(
                partial(lambda q: incident_create(actor=user, data=next(q)), queue),
                n=n,
                warmup=warmup,
            )
            transaction.set_rollback(True)
        rows.append(Row.timed(label, timing, size=size, note="rolled back"))
    return rows

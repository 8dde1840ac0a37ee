"""The incident list (issue 8, item 9): search, filters, sort, pages, every row a link, a
constant number of queries, and no name or address in a URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from incidents import services
from incidents.inputs import AddressInput
from incidents.views import LIST_SEARCH_SESSION_KEY

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CASTLE = AddressInput(house="3", street="Castle Meadow", town="Norwich", postcode="NR1 3DE")


def listing(client, **params: str) -> str:
    response = client.get(reverse("incidents:list"), params)
    assert response.status_code == 200
    return response.content.decode()


def search(client, term: str, **params: str):
    url = reverse("incidents:list")
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return client.post(url, {"q": term})


@pytest.fixture
def three(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False):
        old = log_incident(
            victim={"given_name": "Jane", "family_name": "Doe"},
            received_at=NOW - timedelta(days=3),
            category="C",
        )
        castle = log_incident(
            victim={"given_name": "Amira", "family_name": "Haddad"}, location=CASTLE, category="A"
        )
        other = log_incident(victim={"given_name": "Bob", "family_name": "Jones"}, category="B")
        services.incident_record_arrival(actor=call_taker, incident=other)
    return old, castle, other


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Haddad", "castle"),
        ("amira haddad", "castle"),
        ("NR1 3DE", "castle"),
        ("nr13de", "castle"),
        ("Castle Meadow", "castle"),
        ("Doe", "old"),
    ],
)
def test_search_by_name_postcode_and_street_keeps_the_term_out_of_urls(
    client_for, call_taker, three, term, expected
):
    old, castle, other = three
    wanted = {"old": old, "castle": castle}[expected]
    client = client_for(call_taker)
    response = search(client, term, status="awaiting")
    assert response.status_code == 302
    assert term.lower() not in response["Location"].lower()
    assert response["Location"] == reverse("incidents:list") + "?status=awaiting"
    html = listing(client, status="awaiting")
    assert f'data-incident="{wanted.reference}"' in html
    assert f'data-incident="{other.reference}"' not in html
    assert (
        term.lower() not in "".join(line for line in html.splitlines() if "href=" in line).lower()
    )
    listed = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert listed.kind == AuditEvent.Kind.SEARCH
    assert term.lower() not in str(listed.changes).lower()


def test_search_by_reference_and_clearing_it(client_for, call_taker, three):
    old, castle, other = three
    client = client_for(call_taker)
    search(client, castle.reference)
    html = listing(client)
    assert f'data-incident="{castle.reference}"' in html
    assert f'data-incident="{old.reference}"' not in html
    client.post(reverse("incidents:list"), {"q": "x", "clear": "1"})
    assert LIST_SEARCH_SESSION_KEY not in client.session
    assert f'data-incident="{old.reference}"' in listing(client)


@pytest.mark.time_machine(NOW + timedelta(hours=1), tick=False)
def test_filters_by_status_category_risk_date_and_overdue(client_for, call_taker, three):
    old, castle, other = three
    client = client_for(call_taker)

    def shown(**params: str) -> set[str]:
        html = listing(client, **params)
        return {i.reference for i in three if f'data-incident="{i.reference}"' in html}

    assert shown() == {old.reference, castle.reference, other.reference}
    assert shown(status="attended") == {other.reference}
    assert shown(category="A") == {castle.reference}
    assert shown(received_after="2026-11-22") == {castle.reference, other.reference}
    assert shown(received_before="2026-11-20") == {old.reference}
    # Castle Meadow (A, 15 minutes) is an hour past its deadline; the C from 3 days ago too.
    assert shown(overdue="true") == {old.reference, castle.reference}
    assert shown(risk_level="high") == set()
    assert "Enter a valid date" in listing(client, received_after="not a date")


def test_sorting_and_every_row_links_to_its_incident(client_for, call_taker, three):
    old, castle, other = three
    client = client_for(call_taker)
    html = listing(client, sort="received")
    assert html.index(old.reference) < html.index(castle.reference)
    html = listing(client, sort="-received")
    assert html.index(castle.reference) < html.index(old.reference)
    for incident in three:
        assert f'href="{reverse("incidents:detail", args=[incident.pk])}"' in html
    assert 'aria-sort="descending"' in html


def test_paging_keeps_the_filters(client_for, call_taker, log_incident):
    from incidents.selectors import INCIDENT_PAGE_SIZE

    for _ in range(INCIDENT_PAGE_SIZE + 1):
        log_incident(category="A")
    html = listing(client_for(call_taker), category="A", sort="received")
    assert "?category=A&amp;sort=received&amp;page=2" in html
    second = listing(client_for(call_taker), category="A", sort="received", page="2")
    assert second.count("data-incident=") == 1


def test_the_list_uses_a_constant_number_of_queries_filtered_and_searched(
    client_for, call_taker, log_incident, django_assert_max_num_queries
):
    client = client_for(call_taker)
    search(client, "Timson")
    listing(client)

    def measure() -> None:
        with django_assert_max_num_queries(12):
            listing(client, status="awaiting", category="B", sort="-deadline")

    measure()
    for _ in range(12):
        log_incident()
    measure()


def test_days_are_the_force_s_days_at_their_edges(client_for, call_taker, log_incident):
    """A day filter is a day in the force's time zone, compared as instants (index-friendly):
    23:30 UTC on 1 July is 00:30 on 2 July in London."""
    late = log_incident(received_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    client = client_for(call_taker)
    assert late.reference in listing(client, received_after="2026-07-02")
    assert late.reference not in listing(client, received_before="2026-07-01")
    assert late.reference in listing(client, received_before="2026-07-02")
    assert late.reference not in listing(client, received_after="2026-07-03")


def test_a_broad_list_counts_up_to_the_cap_and_says_there_are_more(
    client_for, call_taker, log_incident, settings
):
    settings.DAPOLICE_LIST_COUNT_CAP = 3
    for _ in range(4):
        log_incident(category="A")
    html = listing(client_for(call_taker), category="A")
    assert "More than 3 incidents" in html
    assert "Narrow the search" in html
    settings.DAPOLICE_LIST_COUNT_CAP = 4
    html = listing(client_for(call_taker), category="A")
    assert "4 incidents" in html
    assert "More than" not in html


def test_the_count_never_reads_past_the_cap(client_for, call_taker, log_incident, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DAPOLICE_LIST_COUNT_CAP = 2
    log_incident()
    client = client_for(call_taker)
    with CaptureQueriesContext(connection) as captured:
        listing(client, status="awaiting")
    counts = [q["sql"] for q in captured.captured_queries if "incidents_incident" in q["sql"]]
    counts = [sql for sql in counts if sql.startswith("SELECT COUNT(*)")]
    assert counts
    assert all("LIMIT 3" in sql for sql in counts)


def test_sorting_by_risk_pages_in_one_order_both_ways(client_for, call_taker, log_incident):
    from incidents.selectors import incident_list

    made = [log_incident(category="B") for _ in range(3)]
    ids = sorted(i.pk for i in made)
    up = incident_list(user=call_taker, filters={"sort": "risk"})
    down = incident_list(user=call_taker, filters={"sort": "-risk"})
    assert [i.pk for i in up] == ids  # equal risk: ids ascending
    assert [i.pk for i in down] == ids[::-1]


def test_the_status_and_risk_words_are_django_s_own():
    """The quick get_*_display of Incident says what Django's generated one says."""
    from django.db.models.base import Model

    from incidents.choices import IncidentStatus, RiskLevel
    from incidents.models import Incident

    for status in [*IncidentStatus.values, "unknown"]:
        for risk in [*RiskLevel.values, "", "odd"]:
            incident = Incident(status=status, risk_level=risk)
            fields = {f.name: f for f in Incident._meta.fields}
            assert incident.get_status_display() == Model._get_FIELD_display(
                incident, fields["status"]
            )
            assert incident.get_risk_level_display() == Model._get_FIELD_display(
                incident, fields["risk_level"]
            )

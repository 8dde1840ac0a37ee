"""Intake pages end to end through the Django test client: access, forms, audit, query budgets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dapolice.audit.models import AuditEvent
from incidents import services
from incidents.choices import MarkerKind, PersonRole
from incidents.forms import call_stamp
from incidents.models import Address, Incident, Person
from tests import dates
from tests.incidents.helpers import victim_of

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def intake_post(**overrides: Any) -> dict[str, Any]:
    """A complete, valid intake form as the browser would send it."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "call_started": call_stamp(timezone.now()),
        "location_house": "12",
        "location_street": "Mill Road",
        "location_town": "Norwich",
        "location_postcode": "nr1 2ab",
        "location_rurality": "auto",
        "caller": "victim",
        "relationship": "partner",
        "immediate_risk": "yes",
        "injuries": "no",
        "weapons": "no",
        "children_present": "no",
        "firearm_at_address": "no",
        "happened_before": "yes",
        "happened_before_details": "Last month at her sister's, not reported",
        "victim_vulnerable": "no",
        "narrative": "Shouting heard, caller frightened",
        "category": "A",
        "victim-given_name": "Jane",
        "victim-family_name": "Smith",
        "victim-date_of_birth_0": "4",
        "victim-date_of_birth_1": "7",
        "victim-date_of_birth_2": "1988",
        "victim-phones": "07700 900123",
        "victim-lives_at_location": "on",
        "suspect-given_name": "John",
        "suspect-family_name": "Smith",
        "suspect-lives_at_location": "on",
    }
    data.update(overrides)
    return data


# --- Who may open what --------------------------------------------------------------------------

PAGES = ["incidents:list", "incidents:create", "incidents:board"]
EXPECTED = {
    # role: (list, create, board)
    "call_taker": (200, 200, 200),
    "control_supervisor": (200, 200, 200),
    "attending_officer": (200, 403, 200),
    "supervisor": (200, 403, 403),
    "mash": (200, 403, 403),
    "investigator": (200, 403, 403),
    "marac_coordinator": (200, 403, 403),
    "analyst": (403, 403, 403),
    "partner": (403, 403, 403),
    "sysadmin": (403, 403, 403),
    "outsider": (403, 403, 403),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_matrix_for_intake_pages(personas, client_for, role):
    client = client_for(personas[role])
    got = tuple(client.get(reverse(name)).status_code for name in PAGES)
    assert got == EXPECTED[role]


def test_anonymous_users_are_sent_to_sign_in(client):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize("role", ["analyst", "partner", "sysadmin", "outsider"])
def test_incident_detail_is_not_found_for_roles_without_access(
    personas, client_for, log_incident, role
):
    incident = log_incident()
    response = client_for(personas[role]).get(reverse("incidents:detail", args=[incident.pk]))
    assert response.status_code in (403, 404)  # 403: no role; never the content
    assert b"Timson" not in response.content


def defer_post(client: Any, incident: Incident, until: datetime) -> Any:
    """The deferral form as the browser sends it: ``until`` as London wall-clock time."""
    return client.post(
        reverse("incidents:defer", args=[incident.pk]),
        {
            **dates.typed("until", timezone.localtime(until), prefix="defer"),
            "defer-reason": "No unit free",
            "defer-victim_wishes": "Safe at work until 6",
        },
    )


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize(
    ("role", "status"),
    [("call_taker", 403), ("attending_officer", 403), ("control_supervisor", 302)],
)
def test_only_a_control_room_supervisor_can_defer_through_the_page(
    personas, client_for, log_incident, role, status
):
    incident = log_incident(category="A")
    target = incident.deadline_at
    response = defer_post(client_for(personas[role]), incident, target + timedelta(hours=2))
    assert response.status_code == status
    incident.refresh_from_db()
    assert (incident.deferred_at is not None) is (status == 302)
    assert incident.deadline_at == (target + timedelta(hours=2) if status == 302 else target)


# A winter afternoon (London = UTC) and a summer one (London = UTC+1). Times near the night the
# clocks change are not used: on 31 October 01:15 happens twice, and the form refuses it.
@pytest.mark.parametrize("at", [NOW, datetime(2027, 7, 1, 12, 0, tzinfo=UTC)])
def test_the_deferral_time_typed_is_read_as_london_time(
    control_supervisor, client_for, log_incident, at
):
    with time_machine.travel(at, tick=False):
        incident = log_incident(category="A")
        until = incident.deadline_at + timedelta(hours=2)
        response = defer_post(client_for(control_supervisor), incident, until)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.deadline_at == until


@pytest.mark.time_machine(NOW, tick=False)
def test_an_invalid_deferral_date_keeps_what_was_typed_and_names_the_field(
    control_supervisor, client_for, log_incident
):
    incident = log_incident(category="A")
    refused = client_for(control_supervisor).post(
        reverse("incidents:defer", args=[incident.pk]),
        {
            **dates.typed("until", "31 11 2026", "18:30", prefix="defer"),
            "defer-reason": "No unit free",
            "defer-victim_wishes": "Safe at work until 6",
        },
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Defer attendance until must be a real date." in html
    assert 'name="defer-until_0" value="31"' in html
    assert 'name="defer-until_time" value="18:30"' in html
    assert "Safe at work until 6" in html
    assert 'type="datetime-local"' not in html
    incident.refresh_from_db()
    assert incident.deferred_at is None


# --- Logging a call -----------------------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_call_taker_logs_an_incident_and_sees_its_deadline(client_for, call_taker):
    client = client_for(call_taker)
    response = client.post(reverse("incidents:create"), intake_post())
    page = client.get(response["Location"])
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert incident.deadline_at == NOW + timedelta(minutes=15)
    assert incident.people.filter(role=PersonRole.VICTIM, is_caller=True).exists()
    victim = victim_of(incident)
    assert victim.address_id == incident.location_id  # lives at the location
    assert list(victim.phones.values_list("number", flat=True)) == ["+447700900123"]
    assert page.status_code == 200
    assert incident.reference.encode() in page.content
    assert b"data-deadline" in page.content


def test_bad_input_gets_a_clear_message_and_loses_nothing(client_for, call_taker):
    client = client_for(call_taker)
    data = intake_post(
        **{
            "victim-phones": "0770 09",
            "location_postcode": "NOT A POSTCODE",
            "victim-date_of_birth_0": "31",
            "victim-date_of_birth_1": "2",
        }
    )
    del data["injuries"]
    response = client.post(reverse("incidents:create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter a phone number" in html
    assert "Enter a real UK postcode" in html
    assert "Date of birth must be a real date" in html
    assert "Answer yes or no: Is anyone injured?" in html
    # What was typed is still there.
    for typed in ("0770 09", "NOT A POSTCODE", "Jane", "Last month at her sister&#x27;s"):
        assert typed in html
    assert data["idempotency_key"] in html
    assert Incident.objects.count() == 0


def test_double_submit_creates_one_incident(client_for, call_taker):
    client = client_for(call_taker)
    data = intake_post()
    first = client.post(reverse("incidents:create"), data)
    second = client.post(reverse("incidents:create"), data)
    assert Incident.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_linking_a_match_uses_the_existing_person(client_for, call_taker, log_incident):
    jane = victim_of(log_incident(victim={"given_name": "Jane", "family_name": "Smith"}))
    client = client_for(call_taker)
    response = client.post(
        reverse("incidents:create"),
        intake_post(**{"victim-person_id": str(jane.pk), "victim-given_name": "Jayne"}),
    )
    assert response.status_code == 302
    assert Person.objects.filter(family_name="Smith", given_name="Jane").count() == 1
    assert victim_of(Incident.objects.latest("pk")).pk == jane.pk


def test_intake_page_and_submit_use_constant_queries_whatever_the_history(
    client_for, call_taker, log_incident, django_assert_max_num_queries
):
    jane = victim_of(log_incident(victim={"given_name": "Jane", "family_name": "Smith"}))
    client = client_for(call_taker)
    client.get(reverse("incidents:create"))  # warm the session

    def measure() -> None:
        with django_assert_max_num_queries(12):
            client.get(reverse("incidents:create"))
        with django_assert_max_num_queries(60):
            client.post(reverse("incidents:create"), intake_post(**{"victim-person_id": jane.pk}))

    measure()
    for _ in range(25):
        log_incident(victim=jane)
    measure()


# --- The live match panel --------------------------------------------------------------------


def panel(client: Any, **fields: str) -> Any:
    data = {"panel": "victim", **{f"victim-{k}": v for k, v in fields.items()}}
    return client.post(reverse("incidents:match-panel"), data, HTTP_HX_REQUEST="true")


def test_match_panel_shows_a_misspelt_repeat_victim_with_reasons_and_audits_it(
    client_for, call_taker, log_incident
):
    first = log_incident(
        victim={
            "given_name": "John",
            "family_name": "Smith",
            "phones": ("07700 900123",),
        },
        received_at=timezone.now() - timedelta(days=60),
    )
    john = victim_of(first)
    client = client_for(call_taker)
    response = panel(client, given_name="Jon", family_name="Smyth", phones="+44 7700 900123")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-match="{john.pk}"' in html
    assert "Repeat victim" in html
    assert "same mobile number" in html.lower() or "same phone" in html.lower()
    search = AuditEvent.objects.filter(
        actor=call_taker, kind="search", action="incidents.person.matched"
    ).latest("pk")
    assert str(john.pk) in search.object_ids


def test_linking_in_the_panel_renders_the_hidden_person_id_and_unlink(
    client_for, call_taker, log_incident
):
    jane = victim_of(log_incident(victim={"given_name": "Jane", "family_name": "Doe"}))
    client = client_for(call_taker)
    linked = client.post(
        reverse("incidents:match-panel"),
        {"panel": "victim", "link": str(jane.pk)},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f'name="victim-person_id" value="{jane.pk}"' in linked
    unlinked = client.post(
        reverse("incidents:match-panel"),
        {"panel": "victim", "victim-person_id": str(jane.pk), "unlink": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "victim-person_id" not in unlinked


def test_match_panel_is_refused_to_roles_without_person_search(personas, client_for):
    for role in ("partner", "analyst", "sysadmin"):
        response = client_for(personas[role]).post(
            reverse("incidents:match-panel"), {"panel": "victim", "victim-family_name": "Smith"}
        )
        assert response.status_code == 403


# --- Restricted (refuge) addresses ------------------------------------------------------------


@pytest.fixture
def refuge_incident(log_incident, make_user):
    incident = log_incident(
        victim={"given_name": "Rae", "family_name": "Safe", "lives_at_location": True},
        location=services.AddressInput(
            house="7", street="Hidden Close", town="Norwich", postcode="NR3 1XX"
        ),
    )
    supervisor = make_user("control_supervisor")
    services.address_mark_restricted(
        actor=supervisor, address=incident.location, reason="Refuge placement"
    )
    return incident


def test_restricted_address_is_never_shown_in_clear_to_a_call_taker(
    client_for, call_taker, refuge_incident
):
    client = client_for(call_taker)
    pages = [
        client.get(reverse("incidents:detail", args=[refuge_incident.pk])),
        client.get(reverse("incidents:board")),
        panel(client, given_name="Rae", family_name="Safe"),
        client.get(reverse("api-incident-detail", args=[refuge_incident.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        assert b"Hidden Close" not in response.content
        assert b"NR3 1XX" not in response.content
    assert b"Restricted address" in pages[0].content
    reveal = client.get(
        reverse("incidents:address-reveal", args=[refuge_incident.pk, refuge_incident.location_id])
    )
    assert reveal.status_code == 403


@pytest.mark.time_machine(NOW, tick=False)  # the refuge's incident is logged at NOW
def test_supervisor_reveals_with_a_reason_for_a_short_time_and_it_is_audited(
    client_for, make_user, refuge_incident, settings
):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 60  # the session outlives the break-glass window
    sergeant = make_user("supervisor")
    client = client_for(sergeant)
    url = reverse(
        "incidents:address-reveal", args=[refuge_incident.pk, refuge_incident.location_id]
    )
    detail = reverse("incidents:detail", args=[refuge_incident.pk])
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        refused = client.post(url, {"reason": "short"})
        assert refused.status_code == 400
        assert b"Hidden Close" not in refused.content
        shown = client.post(url, {"reason": "Arranging a welfare visit at the refuge"})
        assert b"Hidden Close" in shown.content
        assert b"Hidden Close" in client.get(detail).content
    grant = AuditEvent.objects.get(action="access.break_glass")
    assert grant.actor == sergeant
    assert grant.reason == "Arranging a welfare visit at the refuge"
    assert grant.at == NOW + timedelta(minutes=1)  # after the incident it names was logged
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):  # 14 minutes in
        assert b"Hidden Close" in client.get(detail).content
    with time_machine.travel(NOW + timedelta(minutes=17), tick=False):  # 16 minutes in
        after = client.get(detail)
        assert after.status_code == 200
        assert b"Restricted address" in after.content
        assert b"Hidden Close" not in after.content


# --- Audit of reads -----------------------------------------------------------------------------


def test_reading_an_incident_audits_the_incident_and_the_people_shown(
    client_for, call_taker, log_incident
):
    incident = log_incident(suspect={"family_name": "Roe"})
    client_for(call_taker).get(reverse("incidents:detail", args=[incident.pk]))
    read = AuditEvent.objects.get(action="incidents.incident.read")
    assert (read.actor, read.subject_id) == (call_taker, str(incident.pk))
    listed = AuditEvent.objects.filter(action="incidents.person.listed").latest("pk")
    assert set(listed.object_ids) == {str(p.person_id) for p in incident.people.all()}


def test_list_and_board_audit_the_records_shown(client_for, call_taker, log_incident):
    ids = {str(log_incident().pk) for _ in range(3)}
    client = client_for(call_taker)
    client.get(reverse("incidents:list"))
    client.get(reverse("incidents:board"))
    for action in ("incidents.incident.listed", "incidents.incident.board_viewed"):
        assert set(AuditEvent.objects.filter(action=action).latest("pk").object_ids) == ids


# --- The control-room board -------------------------------------------------------------------


def test_a_board_the_database_fails_to_show_is_not_recorded_as_shown(
    client_for, call_taker, log_incident
):
    """The database going away mid-request (the fault test stops PostgreSQL under load): the
    board's last reads fail, the user gets the 503 page, and the audit trail must not say the
    board was shown. Every other read comes before the audited one."""
    from django.db import OperationalError, connection

    from tests.races import before_first

    log_incident()
    client = client_for(call_taker)

    def database_gone() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    before = AuditEvent.objects.filter(action="incidents.incident.board_viewed").count()
    with (
        before_first("SELECT", "alerts_heartbeat", action=database_gone),
        pytest.raises(OperationalError),
    ):
        client.get(reverse("incidents:board"))
    assert connection.is_usable()
    assert AuditEvent.objects.filter(action="incidents.incident.board_viewed").count() == before
    client.get(reverse("incidents:board"))  # and when it is back, the board shown is recorded
    assert AuditEvent.objects.filter(action="incidents.incident.board_viewed").count() == before + 1


def test_board_lists_open_incidents_overdue_first_with_countdowns(
    client_for, call_taker, log_incident
):
    with time_machine.travel(NOW, tick=False):
        c = log_incident(category="C")  # due in 4 hours
        a = log_incident(category="A", received_at=NOW - timedelta(minutes=30))  # overdue
        b = log_incident(category="B")  # due in 1 hour
        done = log_incident(category="A")
        services.incident_record_arrival(actor=call_taker, incident=done)
        html = client_for(call_taker).get(reverse("incidents:board")).content.decode()
    order = [html.index(i.reference) for i in (a, b, c)]
    assert order == sorted(order)
    assert done.reference not in html
    assert html.count("data-deadline=") == 3


def test_board_uses_a_constant_number_of_queries(
    client_for, call_taker, log_incident, django_assert_max_num_queries
):
    client = client_for(call_taker)
    log_incident()
    client.get(reverse("incidents:board"))
    with django_assert_max_num_queries(12):
        client.get(reverse("incidents:board"))
    for _ in range(20):
        log_incident()
    with django_assert_max_num_queries(12):
        client.get(reverse("incidents:board"))


def test_list_uses_a_constant_number_of_queries(
    client_for, call_taker, log_incident, django_assert_max_num_queries
):
    client = client_for(call_taker)
    log_incident()
    with django_assert_max_num_queries(12):
        client.get(reverse("incidents:list"))
    for _ in range(20):
        log_incident()
    with django_assert_max_num_queries(12):
        client.get(reverse("incidents:list"))


def test_markers_at_the_address_are_listed_apart_from_matches(
    client_for, call_taker, log_incident, make_user
):
    incident = log_incident(
        victim={"given_name": "Amy", "family_name": "Cole", "lives_at_location": True},
        suspect={"given_name": "Rick", "family_name": "Cole", "lives_at_location": True},
    )
    services.marker_add(
        actor=make_user("mash"), kind=MarkerKind.FIREARM_CERTIFICATE, address=incident.location
    )
    html = panel(
        client_for(call_taker),
        given_name="Zoe",
        family_name="Cole",
        house="12",
        postcode="NR1 2AB",
    ).content.decode()
    assert "People and markers at this address" in html
    assert "Firearm certificate" in html
    residents = html.split("People and markers at this address")[1]
    assert "Rick Cole" in residents


def test_address_model_text_hides_a_restricted_address_by_default(refuge_incident):
    address = Address.objects.get(pk=refuge_incident.location_id)
    assert str(address) == "Restricted address"


def test_the_control_room_regrades_an_open_incident_when_the_situation_changes(
    client_for, call_taker, personas, log_incident
):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="C")
        url = reverse("incidents:regrade", args=[incident.pk])
        form = {"regrade-category": "A", "regrade-reason": "Suspect back at the address"}
        refused = client_for(personas["attending_officer"]).post(url, form)
        assert refused.status_code == 403
        missing = client_for(call_taker).post(url, {**form, "regrade-reason": ""})
        assert missing.status_code == 400
        response = client_for(call_taker).post(url, form)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.category.code == "A"
    assert incident.deadline_at == NOW + timedelta(minutes=15)
    event = AuditEvent.objects.get(action="incidents.incident.regraded")
    assert event.reason == "Suspect back at the address"


def test_addresses_read_the_uk_way():
    numbered = Address(house="14", street="Magdalen Road", town="Norwich", postcode="NR3 4LA")
    named = Address(house="Rose Cottage", street="Church Lane", town="Holt", postcode="NR25 6AB")
    assert numbered.full_text == "14 Magdalen Road, Norwich, NR3 4LA"
    assert named.full_text == "Rose Cottage, Church Lane, Holt, NR25 6AB"


@pytest.mark.parametrize("page", ["99999999999999999999", "abc", "-1", "0", "1.5", ""])
def test_a_bad_page_number_gives_a_page_never_an_error(client_for, call_taker, log_incident, page):
    incident = log_incident()
    response = client_for(call_taker).get(reverse("incidents:list"), {"page": page})
    assert response.status_code == 200
    assert incident.reference in response.content.decode()


def test_the_list_pages_newest_first_and_audits_the_page_shown(call_taker, log_incident):
    from incidents import selectors

    now = timezone.now()
    logged = [log_incident(received_at=now - timedelta(minutes=n)) for n in range(3)]
    first = selectors.incident_list(user=call_taker, page="1", page_size=2)
    last = selectors.incident_list(user=call_taker, page="99999999999999999999", page_size=2)
    assert [i.pk for i in first] == [logged[0].pk, logged[1].pk]
    assert [i.pk for i in last] == [logged[2].pk]
    listed = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert listed.object_ids == [str(logged[2].pk)]


def test_the_match_panel_searches_what_is_typed_so_far(client_for, call_taker, log_incident):
    log_incident(victim={"given_name": "Priya", "family_name": "Ramanathan"})
    client = client_for(call_taker)
    # A date of birth half typed is no date yet, not an error: the name is still searched.
    typed = {"given_name": "Priya", "family_name": "Ramanathan", "date_of_birth_0": "3"}
    html = panel(client, **typed).content.decode()
    assert "Priya Ramanathan" in html
    refused = client.post(reverse("incidents:match-panel"), {"panel": "nobody"})
    assert refused.status_code == 400
    assert b"Unknown person block." in refused.content


def test_the_match_panel_compares_the_location_street_when_the_person_lives_there(
    client_for, call_taker
):
    """The postcode mistyped at the incident location, its house, street and town right: the
    person on record there is the same home (issue 8, ``same_street``)."""
    from incidents.inputs import AddressInput, PersonInput

    services.person_create(
        actor=call_taker,
        data=PersonInput(
            role=PersonRole.VICTIM,
            given_name="Ottilie",
            family_name="Brannagh",
            address=AddressInput(
                house="22", street="Castle Meadow", town="Norwich", postcode="NR1 3DE"
            ),
        ),
    )
    client = client_for(call_taker)
    where = {
        "location_postcode": "NR1 3ED",
        "location_house": "22",
        "location_street": "Castle Meadow",
        "location_town": "Norwich",
    }
    data = {
        "panel": "victim",
        "victim-given_name": "Ottilie",
        "victim-family_name": "Brannagh",
        **where,
    }
    url = reverse("incidents:match-panel")
    there = client.post(url, {**data, "victim-lives_at_location": "on"}, HTTP_HX_REQUEST="true")
    assert "same house number and street" in there.content.decode()
    elsewhere = client.post(url, data, HTTP_HX_REQUEST="true")
    assert "same house number and street" not in elsewhere.content.decode()


@pytest.mark.time_machine(NOW, tick=False)
def test_the_reveal_page_summarises_an_empty_reason_and_after_a_reveal_shows_its_end(
    client_for, make_user, refuge_incident, settings
):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 60
    settings.DAPOLICE_BREAK_GLASS_MINUTES = 15
    client = client_for(make_user("supervisor"))
    url = reverse(
        "incidents:address-reveal", args=[refuge_incident.pk, refuge_incident.location_id]
    )
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        empty = client.post(url, {"reason": ""})
        assert empty.status_code == 400
        assert b'data-testid="error-summary"' in empty.content
        assert b'href="#id_reason"' in empty.content
        shown = client.post(url, {"reason": "Arranging a welfare visit at the refuge"})
        again = client.get(url)
    ends = timezone.localtime(NOW + timedelta(minutes=16)).strftime("%H:%M")
    for page in (shown, again):
        html = page.content.decode()
        assert "Hidden Close" in html
        assert f"Shown to you on this incident until {ends}" in html
        assert "Reveal the address" not in html
    with time_machine.travel(NOW + timedelta(minutes=17), tick=False):
        later = client.get(url).content.decode()
    assert "Reveal the address" in later
    assert "Hidden Close" not in later

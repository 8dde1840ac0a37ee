"""The call-intake API: same rules and audit as the pages, token and session authentication."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dapolice.audit.models import AuditEvent
from incidents import services
from incidents.models import Incident, Marker
from tests.incidents.helpers import victim_of


def api_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def incident_payload(**overrides):
    payload = {
        "idempotency_key": str(uuid.uuid4()),
        "location": {"house": "4", "street": "Elm Row", "town": "Diss", "postcode": "IP22 4AA"},
        "relationship": "ex_partner",
        "category": "B",
        "immediate_risk": False,
        "injuries": True,
        "weapons": False,
        "children_present": True,
        "firearm_at_address": False,
        "happened_before": False,
        "victim_vulnerable": False,
        "people": [
            {"role": "victim", "given_name": "Liz", "family_name": "Brown",
             "phones": ["07700 900456"], "is_caller": True, "lives_at_location": True},
            {"role": "suspect", "given_name": "Gary", "family_name": "Brown"},
            {"role": "child", "given_name": "Mia", "family_name": "Brown",
             "date_of_birth": "2018-05-02", "lives_at_location": True},
        ],
    }  # fmt: skip
    payload.update(overrides)
    return payload


def test_call_taker_creates_an_incident_through_the_api(call_taker):
    response = api_for(call_taker).post(
        reverse("api-incident-list"), incident_payload(), format="json"
    )
    assert response.status_code == 201, response.data
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["reference"] == incident.reference
    assert body["category"] == "B"
    assert {p["role"] for p in body["people"]} == {"victim", "suspect", "child"}
    assert datetime.fromisoformat(body["deadline_at"]) - datetime.fromisoformat(
        body["received_at"]
    ) == timedelta(hours=1)


def test_api_refuses_bad_input_with_the_field_named(call_taker):
    payload = incident_payload()
    payload["people"][0]["phones"] = ["call me"]
    response = api_for(call_taker).post(reverse("api-incident-list"), payload, format="json")
    assert response.status_code == 400
    assert "phones" in response.json()
    assert Incident.objects.count() == 0


def test_api_list_is_filtered_paginated_and_audited(call_taker, log_incident):
    a = log_incident(category="A")
    log_incident(category="C")
    response = api_for(call_taker).get(reverse("api-incident-list"), {"category": "A"})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [a.pk]
    listed = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert listed.object_ids == [str(a.pk)]


@pytest.mark.parametrize("role", ["partner", "analyst", "sysadmin", "outsider"])
def test_roles_without_intake_access_get_nothing_from_the_api(personas, log_incident, role):
    incident = log_incident()
    client = api_for(personas[role])
    assert client.get(reverse("api-incident-list")).status_code == 403
    assert client.get(reverse("api-incident-detail", args=[incident.pk])).status_code == 403
    match = client.post(reverse("api-person-match"), {"family_name": "Timson"}, format="json")
    assert match.status_code == 403


def test_anonymous_api_requests_are_refused(client, log_incident):
    incident = log_incident()
    response = client.get(reverse("api-incident-detail", args=[incident.pk]))
    assert response.status_code in (401, 403)


def test_only_a_control_room_supervisor_defers_through_the_api(
    call_taker, control_supervisor, log_incident
):
    incident = log_incident(category="A")
    body = {
        "until": (incident.deadline_at + timedelta(hours=1)).isoformat(),
        "reason": "All units committed",
        "victim_wishes": "Happy to wait, suspect has left",
    }
    url = reverse("api-incident-defer", args=[incident.pk])
    assert api_for(call_taker).post(url, body, format="json").status_code == 403
    ok = api_for(control_supervisor).post(url, body, format="json")
    assert ok.status_code == 200
    assert ok.json()["deferral_reason"] == "All units committed"
    again = api_for(control_supervisor).post(
        url, {**body, "reason": ""}, format="json"
    )  # a blank reason never passes
    assert again.status_code == 400


def test_match_api_returns_candidates_with_reasons_and_flags(call_taker, log_incident):
    first = log_incident(
        victim={"given_name": "Elizabeth", "family_name": "Jones", "phones": ("07700 900789",)},
        received_at=timezone.now() - timedelta(days=50),
    )
    liz = victim_of(first)
    response = api_for(call_taker).post(
        reverse("api-person-match"), {"given_name": "Liz", "family_name": "Jones"}, format="json"
    )
    assert response.status_code == 200
    rows = response.json()
    assert rows[0]["person"]["id"] == liz.pk
    assert rows[0]["reasons"]
    assert rows[0]["flags"]["repeat_victim"] is True
    event = AuditEvent.objects.filter(action="incidents.person.matched").latest("pk")
    assert str(liz.pk) in event.object_ids


def test_match_api_compares_the_street_and_town_when_the_postcode_disagrees(call_taker):
    from incidents.choices import PersonRole
    from incidents.inputs import AddressInput, PersonInput

    person = services.person_create(
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
    body = {"given_name": "Ottilie", "family_name": "Brannagh", "postcode": "NR1 3ED"}
    url = reverse("api-person-match")
    client = api_for(call_taker)
    plain = client.post(url, {**body, "house": "22"}, format="json").json()
    assert (plain[0]["person"]["id"], plain[0]["flagged"]) == (person.pk, False)
    street = {"house": "22", "street": "Castle Meadow", "town": "Norwich"}
    rows = client.post(url, {**body, **street}, format="json").json()
    assert (rows[0]["person"]["id"], rows[0]["flagged"]) == (person.pk, True)
    assert "same house number and street, postcode different or missing" in rows[0]["reasons"]


def test_match_api_compares_a_year_of_birth_typed_alone(call_taker):
    """A child known only by year: the father of the same name at the home is someone else."""
    from datetime import date

    from incidents.choices import PersonRole
    from incidents.inputs import AddressInput, PersonInput

    father = services.person_create(
        actor=call_taker,
        data=PersonInput(
            role=PersonRole.VICTIM,
            given_name="Callum",
            family_name="Reid",
            date_of_birth=date(1984, 6, 2),
            address=AddressInput(house="15", postcode="NR2 4SQ"),
        ),
    )
    url = reverse("api-person-match")
    client = api_for(call_taker)
    body = {"given_name": "Callum", "family_name": "Reid", "house": "15", "postcode": "NR2 4SQ"}
    unknown = client.post(url, body, format="json").json()
    assert (unknown[0]["person"]["id"], unknown[0]["flagged"]) == (father.pk, True)
    child = client.post(url, {**body, "birth_year": 2015}, format="json").json()
    assert (child[0]["person"]["id"], child[0]["flagged"]) == (father.pk, False)
    own = client.post(url, {**body, "birth_year": 1984}, format="json").json()
    assert own[0]["flagged"]
    assert "same year of birth" in own[0]["reasons"]
    future = client.post(url, {**body, "birth_year": timezone.localdate().year + 1}, format="json")
    assert future.status_code == 400
    assert "birth_year" in future.json()
    assert client.post(url, {**body, "birth_year": 1899}, format="json").status_code == 400


def test_match_api_needs_something_to_search_on(call_taker):
    client = api_for(call_taker)
    url = reverse("api-person-match")
    assert client.post(url, {"postcode": "NR1 2AB"}, format="json").status_code == 400
    bad = client.post(url, {"family_name": "X", "date_of_birth": "31/02/1990"}, format="json")
    assert bad.status_code == 400
    assert "date_of_birth" in bad.json()


def test_match_api_takes_no_personal_data_in_the_url(call_taker):
    response = api_for(call_taker).get(reverse("api-person-match"), {"family_name": "Jones"})
    assert response.status_code == 405


def test_person_read_is_audited_and_shows_flags(call_taker, log_incident):
    jane = victim_of(log_incident())
    response = api_for(call_taker).get(reverse("api-person-detail", args=[jane.pk]))
    assert response.status_code == 200
    assert "flags" in response.json()
    assert AuditEvent.objects.filter(
        action="incidents.person.read", subject_id=str(jane.pk), actor=call_taker
    ).exists()


def test_markers_are_added_through_the_api_and_audited(control_supervisor, log_incident):
    jane = victim_of(log_incident())
    response = api_for(control_supervisor).post(
        reverse("api-marker-create"),
        {"kind": "treat_as_emergency", "person": jane.pk, "note": "Stalking"},
        format="json",
    )
    assert response.status_code == 201
    assert Marker.objects.filter(person=jane, kind="treat_as_emergency").exists()
    assert AuditEvent.objects.filter(action="incidents.marker.created").exists()


def test_match_api_queries_do_not_grow_with_the_people_shown(call_taker):
    """Names come with the engine's candidates and phones in one query: no query per person."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents import services
    from incidents.choices import PersonRole
    from incidents.inputs import PersonInput

    def add(n: int) -> None:
        for i in range(n):
            services.person_create(
                actor=call_taker,
                data=PersonInput(
                    role=PersonRole.VICTIM,
                    given_name="Zebedee",
                    family_name="Quarrington",
                    phones=(f"07700 90012{i}",),
                    aliases=(("Zeb", f"Quarrington{i}"),),
                ),
            )

    client = api_for(call_taker)
    url = reverse("api-person-match")
    body = {"given_name": "Zebedee", "family_name": "Quarrington"}
    add(1)
    client.post(url, body, format="json")
    with CaptureQueriesContext(connection) as one:
        rows = client.post(url, body, format="json").json()
    assert len(rows) == 1
    assert rows[0]["person"]["names"] == [
        {"given_name": "Zebedee", "family_name": "Quarrington", "primary": True},
        {"given_name": "Zeb", "family_name": "Quarrington0", "primary": False},
    ]
    assert rows[0]["person"]["phones"] == ["+447700900120"]
    add(3)
    with CaptureQueriesContext(connection) as four:
        rows = client.post(url, body, format="json").json()
    assert len(rows) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_match_api_output_is_what_its_serializer_gives(call_taker, log_incident):
    """The endpoint builds its JSON directly (``match_rows_output``, for speed); the serializer
    stays its schema. The two give the same output: addresses in clear and restricted, names,
    phones, flags and markers."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from incidents import selectors
    from incidents.api.views import PersonMatchApi, match_rows_output
    from incidents.matching.engine import MatchQuery
    from incidents.models import Address

    first = log_incident(
        victim={"given_name": "Elizabeth", "family_name": "Jones", "phones": ("07700 900789",)},
        suspect={"given_name": "Gary", "family_name": "Jones"},
        received_at=timezone.now() - timedelta(days=50),
    )
    liz = victim_of(first)
    Marker.objects.create(kind="treat_as_emergency", person=liz, note="")
    refuge = Address.objects.create(house="1", street="Quiet Lane", postcode="NR1 1AA")
    Address.objects.filter(pk=refuge.pk).update(is_restricted=True)
    hidden = log_incident(victim={"given_name": "Elisabeth", "family_name": "Jones"})
    type(liz).objects.filter(pk=victim_of(hidden).pk).update(address=refuge)

    result = selectors.person_match(
        user=call_taker,
        query=MatchQuery(given_name="Elizabeth", family_name="Jones"),
        limit=10,
        with_names_and_phones=True,
    )
    assert len(result.rows) >= 2
    assert any(r.person.address and r.person.address.is_restricted for r in result.rows)
    assert any(r.flags.markers for r in result.rows)
    request = Request(RequestFactory().post("/"))
    request.user = call_taker
    rows = [
        {"person": r.person, "score": r.score, "flagged": r.flagged, "reasons": r.reasons,
         "flags": r.flags}
        for r in result.rows
    ]  # fmt: skip
    context = {"request": request, "rows": {r.person.pk: r for r in result.rows}}
    expected = PersonMatchApi.OutputSerializer(rows, many=True, context=context).data
    assert match_rows_output(call_taker, result.rows) == expected


def test_match_api_input_with_shared_fields_validates_as_drf_does():
    """The search's input serializer shares its fields between requests (``SharedFieldsMixin``,
    for speed): values and errors are what the same serializer gives with fields of its own,
    one request's input leaves nothing on the next, and no request's data stays on them."""
    from rest_framework import serializers

    from incidents.api.views import PersonMatchApi

    shared = PersonMatchApi.InputSerializer

    class Own(shared):  # type: ignore[misc,valid-type]
        fields = serializers.Serializer.fields  # DRF's: its fields copied for each serializer

    bodies = [
        {"given_name": "  Liz ", "family_name": "Jones"},
        {"family_name": "Jones", "date_of_birth": "1984-02-29", "limit": "7"},
        {"given_name": "Liz", "birth_year": 1984, "phones": ["07700 900789", " "]},
        {"given_name": "", "family_name": "  "},
        {"given_name": "x" * 101, "date_of_birth": "29/02/1984", "limit": 0},
        {"given_name": 12, "family_name": True, "phones": "07700"},
        {"given_name": "Liz", "birth_year": 1850, "phones": ["1"] * 6},
        {"given_name": "Liz", "date_of_birth": None, "birth_year": "²"},
        {"given_name": "Li\x00z", "postcode": "NR1 1AA", "house": "12", "limit": 21},
        {},
        [],
        "Liz",
    ]
    for body in bodies * 2:  # twice: an earlier request's input must leave nothing behind
        mine, theirs = shared(data=body), Own(data=body)
        assert theirs.fields is not Own(data=body).fields
        assert mine.is_valid() == theirs.is_valid(), body
        assert mine.errors == theirs.errors, body
        if not mine.errors:
            assert mine.validated_data == theirs.validated_data, body
    assert shared(data={}).fields is shared(data={"given_name": "Liz"}).fields
    prototype = shared(data={}).fields["given_name"].root
    assert not hasattr(prototype, "initial_data")


@pytest.mark.postgres
def test_logging_a_call_writes_every_audit_row_in_two_inserts(call_taker):
    """The creation's rows (address, each person, the incident, the people linked) in one
    statement inside its transaction (``audit_append``: the chain lock, the head compared, the
    INSERT); the answer's reads (the incident, its people) in one more; the chain verifies; the
    deadlines in one INSERT; within the query budget."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dapolice.alerts.models import Deadline
    from tests.dapolice.test_audit import verify_output

    client = api_for(call_taker)
    client.post(reverse("api-incident-list"), incident_payload(), format="json")  # warm
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("api-incident-list"), incident_payload(), format="json")
    assert response.status_code == 201
    incident = Incident.objects.get(pk=response.json()["id"])
    sent = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len([q for q in sent if "audit_append(" in q]) == 2
    assert not [q for q in sent if "pg_advisory_xact_lock" in q]  # no other writer came first
    assert not [q for q in sent if q.startswith('INSERT INTO "audit_auditevent"')]
    assert len([q for q in sent if q.startswith('INSERT INTO "alerts_deadline"')]) == 1
    # About 40 before the batches (a lock and INSERT per audit row), 23 with two lock + INSERT.
    assert len(sent) <= 21, "\n".join(sent)
    rows = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk"))
    actions = [e.action for e in rows]
    assert actions.count("incidents.person.created") == 3
    assert actions[-4:] == [
        "incidents.incident.created",
        "incidents.incident.people_linked",
        "incidents.incident.read",
        "incidents.person.listed",
    ]
    people = set(incident.people.values_list("person_id", flat=True))
    assert {int(i) for i in rows[-1].object_ids} == people  # every person the answer shows
    assert Deadline.objects.filter(subject_id=str(incident.pk)).count() == 3
    intact, report = verify_output()
    assert intact, report


def test_logging_a_call_opens_no_savepoint_per_new_person_and_reads_two_columns_for_its_key(
    call_taker,
):
    """Issue 13, the create path's round trips: the three new people are written in the call's
    transaction without a savepoint each (a failure fails the whole call), and the idempotency
    key is looked up by the two columns its check needs, not the incident's whole row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(call_taker)
    client.post(reverse("api-incident-list"), incident_payload(), format="json")  # warm
    payload = incident_payload()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("api-incident-list"), payload, format="json")
    assert response.status_code == 201
    sent = [q["sql"] for q in captured.captured_queries]
    # One savepoint: the call's own transaction (inside the test's); the address is known.
    assert len([q for q in sent if q.startswith("SAVEPOINT ")]) == 1, "\n".join(sent)
    lookup = [q for q in sent if 'WHERE "incidents_incident"."idempotency_key" =' in q]
    assert len(lookup) == 1
    columns = lookup[0].removeprefix("SELECT ").split(" FROM ")[0].split(", ")
    assert [c.split(" AS ")[0] for c in columns] == [
        '"incidents_incident"."id"',
        '"incidents_incident"."taken_by_id"',
    ], lookup[0]
    again = client.post(reverse("api-incident-list"), payload, format="json")
    assert (again.status_code, again.json()["id"]) == (201, response.json()["id"])
    assert again.json()["reference"] == response.json()["reference"]


def test_logging_a_call_at_a_new_address_looks_its_rurality_up_once(call_taker):
    """Issue 13: the new address row takes the rurality the call's deadline was decided with
    (the rural-area table, by postcode) instead of asking the table a second time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import RuralArea

    RuralArea.objects.create(postcode_prefix="IP21")
    client = api_for(call_taker)
    client.post(reverse("api-incident-list"), incident_payload(), format="json")  # warm
    location = {"house": "7", "street": "Mill Lane", "town": "Harleston", "postcode": "IP21 5AB"}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("api-incident-list"), incident_payload(location=location), format="json"
        )
    assert response.status_code == 201, response.content
    sent = [q["sql"] for q in captured.captured_queries]
    assert len([q for q in sent if '"incidents_ruralarea"' in q]) == 1, "\n".join(sent)
    assert len([q for q in sent if q.startswith('INSERT INTO "incidents_address"')]) == 1
    incident = Incident.objects.select_related("location").get(pk=response.json()["id"])
    assert (incident.location_is_rural, incident.location.is_rural) == (True, True)

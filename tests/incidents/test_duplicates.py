"""A second call about an open incident (issue 8, item 4): the intake page says "possible
duplicate call" and adds the call to the open incident instead of logging another."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from incidents import selectors, services
from incidents.models import Incident, IncidentCall
from tests.incidents.helpers import victim_of
from tests.incidents.test_views import intake_post

pytestmark = pytest.mark.django_db


def panel(client: Any, **fields: str) -> str:
    data = {
        "panel": "victim",
        "location_postcode": "NR1 2AB",
        "location_house": "12",
        **{f"victim-{k}": v for k, v in fields.items()},
    }
    return client.post(
        reverse("incidents:match-panel"), data, HTTP_HX_REQUEST="true"
    ).content.decode()


def test_an_open_incident_at_the_address_is_a_possible_duplicate(
    client_for, call_taker, log_incident
):
    open_one = log_incident(category="A")  # 12 Mill Road, NR1 2AB
    html = panel(client_for(call_taker), given_name="Someone", family_name="Else")
    assert 'data-testid="possible-duplicate"' in html
    assert f'data-open-incident="{open_one.reference}"' in html
    assert "12 Mill Road" in html
    assert reverse("incidents:add-call", args=[open_one.pk]) in html
    assert 'aria-keyshortcuts="Alt+D"' in html
    audit = AuditEvent.objects.filter(action="incidents.incident.open_matched").latest("pk")
    assert str(open_one.pk) in audit.object_ids


def test_an_open_incident_of_a_linked_person_is_a_possible_duplicate(
    client_for, call_taker, log_incident
):
    incident = log_incident(victim={"given_name": "Jane", "family_name": "Doe"})
    jane = victim_of(incident)
    html = (
        client_for(call_taker)
        .post(
            reverse("incidents:match-panel"),
            {"panel": "victim", "link": str(jane.pk)},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert f'data-open-incident="{incident.reference}"' in html


def test_an_attended_incident_is_no_duplicate(client_for, call_taker, log_incident):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=call_taker, incident=incident)
    html = panel(client_for(call_taker), given_name="Someone", family_name="Else")
    assert "possible-duplicate" not in html


def test_the_open_incidents_come_in_constant_queries(
    call_taker, log_incident, django_assert_max_num_queries
):
    incidents = [log_incident() for _ in range(6)]
    person_ids = [victim_of(i).pk for i in incidents]
    with django_assert_max_num_queries(3):  # the roles, the incidents, the audit row
        shown = selectors.incident_open_for(
            user=call_taker, postcode="NR1 2AB", house="12", person_ids=person_ids
        )
    assert len(shown) == 5  # the nearest deadlines first, up to the limit


def test_adding_the_call_logs_it_on_the_open_incident_not_a_new_one(
    client_for, call_taker, log_incident
):
    incident = log_incident(category="A")
    client = client_for(call_taker)
    data = intake_post(narrative="Neighbour again: screaming now")
    url = reverse("incidents:add-call", args=[incident.pk])
    response = client.post(url, data)
    again = client.post(url, data)  # Back then send, or a double click
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert again["Location"] == response["Location"]
    assert Incident.objects.count() == 1
    call = IncidentCall.objects.get()
    assert (call.incident_id, call.taken_by_id, call.note) == (
        incident.pk, call_taker.pk, "Neighbour again: screaming now",
    )  # fmt: skip
    page = client.get(response["Location"]).content.decode()
    assert "This call was added to" in page
    assert "Neighbour again: screaming now" in page
    assert AuditEvent.objects.filter(
        action="incidents.incident.call_added", subject_id=str(incident.pk)
    ).exists()


def test_a_call_for_an_incident_attended_meanwhile_comes_back_with_everything_typed(
    client_for, call_taker, log_incident
):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=call_taker, incident=incident)
    data = intake_post(narrative="Still shouting")
    response = client_for(call_taker).post(reverse("incidents:add-call", args=[incident.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "already been attended" in html
    assert "Still shouting" in html
    assert data["idempotency_key"] in html
    assert not IncidentCall.objects.exists()


def test_a_call_cannot_be_added_by_roles_that_do_not_take_calls(personas, client_for, log_incident):
    incident = log_incident()
    url = reverse("incidents:add-call", args=[incident.pk])
    for role in ("attending_officer", "supervisor", "partner"):
        response = client_for(personas[role]).post(url, intake_post())
        assert response.status_code in (403, 404), role
    assert not IncidentCall.objects.exists()


def test_a_key_used_for_another_incident_is_refused(call_taker, log_incident):
    first, second = log_incident(), log_incident()
    key = uuid.uuid4()
    services.incident_add_call(actor=call_taker, incident=first, note="", idempotency_key=key)
    with pytest.raises(Exception, match="already used"):
        services.incident_add_call(actor=call_taker, incident=second, note="", idempotency_key=key)

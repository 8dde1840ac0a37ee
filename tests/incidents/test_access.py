"""Access decided once: policies answer who, services answer when, views refuse with a page.

README, "Access": a view or API endpoint names its policy and the shared mixin / permission class
checks it before the handler; the service checks the record's state. These tests pin each half.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dapolice import access
from dapolice.common.errors import Conflict
from incidents import services
from tests import dates
from tests.incidents.test_api import api_for

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
ROLES = [
    "call_taker", "control_supervisor", "attending_officer", "supervisor", "mash",
    "investigator", "marac_coordinator", "analyst", "partner", "sysadmin", "outsider",
]  # fmt: skip


def _defer_form(incident, **overrides):
    until = timezone.localtime(incident.deadline_at + timedelta(hours=2))
    return {
        **dates.typed("until", until, prefix="defer"),
        "defer-reason": "No unit free before six",
        "defer-victim_wishes": "Safe at work until 6",
        **overrides,
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_a_control_room_supervisor_may_defer(personas, log_incident, role):
    incident = log_incident(category="A")
    allowed = access.check(personas[role], "incidents.defer", incident)
    assert allowed is (role == "control_supervisor")


def test_policies_answer_who_and_the_service_answers_when(log_incident, control_supervisor):
    incident = log_incident(category="A")
    attended = services.incident_record_arrival(actor=control_supervisor, incident=incident)
    # The policy does not look at the state: a control-room supervisor may defer ...
    assert access.check(control_supervisor, "incidents.defer", attended)
    assert access.check(control_supervisor, "incidents.record_attendance", attended)
    # ... and the service refuses the attended incident.
    with pytest.raises(Conflict):
        services.incident_defer(
            actor=control_supervisor,
            incident=attended,
            until=attended.deadline_at + timedelta(hours=2),
            reason="No unit free",
            victim_wishes="Wants to wait",
        )


def test_a_refused_defer_keeps_what_was_typed_and_says_who_may(personas, client_for, log_incident):
    incident = log_incident(category="A")
    response = client_for(personas["attending_officer"]).post(
        reverse("incidents:defer", args=[incident.pk]), _defer_form(incident)
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only a control-room supervisor may do this." in html
    assert "No unit free before six" in html  # what was typed, in the form
    assert incident.reference in html  # the incident page, not a bare 403
    incident.refresh_from_db()
    assert incident.deferred_at is None


def test_a_role_that_cannot_see_incidents_gets_the_403_page_and_nothing_of_the_case(
    personas, client_for, log_incident
):
    incident = log_incident(category="A")
    response = client_for(personas["analyst"]).post(
        reverse("incidents:defer", args=[incident.pk]), _defer_form(incident)
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only a control-room supervisor may do this." in html
    assert incident.reference not in html
    assert "Timson" not in html


def test_a_page_refused_on_the_role_names_who_may(personas, client_for):
    response = client_for(personas["attending_officer"]).get(reverse("incidents:create"))
    assert response.status_code == 403
    assert b"Only call takers and control-room supervisors may do this." in response.content


def test_deferring_an_attended_incident_goes_back_with_a_warning(
    client_for, control_supervisor, log_incident
):
    incident = log_incident(category="A")
    services.incident_record_arrival(actor=control_supervisor, incident=incident)
    client = client_for(control_supervisor)
    response = client.post(reverse("incidents:defer", args=[incident.pk]), _defer_form(incident))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "This incident has already been attended." in page


def test_an_invalid_form_comes_back_on_the_incident_page(client_for, call_taker, log_incident):
    incident = log_incident(category="C")
    response = client_for(call_taker).post(
        reverse("incidents:regrade", args=[incident.pk]),
        {"regrade-category": "A", "regrade-reason": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert incident.reference in html
    assert 'data-testid="error-summary"' in html


def test_lowering_a_passed_grade_through_the_page_needs_a_supervisor(
    client_for, call_taker, log_incident
):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
    url = reverse("incidents:regrade", args=[incident.pk])
    form = {"regrade-category": "C", "regrade-reason": "Suspect has left the area"}
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        response = client_for(call_taker).post(url, form)
    assert response.status_code == 403
    html = response.content.decode()
    assert "only a control-room supervisor may do that" in html
    assert "Suspect has left the area" in html
    incident.refresh_from_db()
    assert incident.category.code == "A"


def test_the_api_refusal_says_who_may(call_taker, log_incident):
    incident = log_incident(category="A")
    url = reverse("api-incident-defer", args=[incident.pk])
    body = {
        "until": (incident.deadline_at + timedelta(hours=1)).isoformat(),
        "reason": "All units committed",
        "victim_wishes": "Happy to wait",
    }
    response = api_for(call_taker).post(url, body, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only a control-room supervisor may do this."


def test_every_incident_rule_names_who_may():
    names = [n for n in access.rules() if n.startswith("incidents.")]
    assert names
    for name in names:
        assert "another role" not in access.refusal(name), name

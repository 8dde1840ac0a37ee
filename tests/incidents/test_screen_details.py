"""Smaller things a call taker met (issue 8, item 8): history in words, the admin refusing a
signed-in user without access, a favicon."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents import services

pytestmark = pytest.mark.django_db


def test_the_incident_history_is_in_words_not_codes(client_for, call_taker, log_incident):
    incident = log_incident(category="C")
    services.incident_regrade(
        actor=call_taker, incident=incident, category_code="A", reason="Knife mentioned"
    )
    html = client_for(call_taker).get(reverse("incidents:detail", args=[incident.pk])).content
    page = html.decode()
    assert ">Call logged</h3>" in page
    assert ">Regraded</h3>" in page
    assert ">incidents.incident.created<" not in page


def test_a_signed_in_user_without_admin_access_gets_403_not_a_sign_in_form(client_for, personas):
    response = client_for(personas["call_taker"]).get("/admin/", follow=True)
    assert response.status_code == 403
    assert b"Password" not in response.content


def test_pages_name_a_favicon_that_exists(client_for, call_taker):
    html = client_for(call_taker).get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html


def test_intake_errors_say_whom_they_are_about_in_page_order(client_for, call_taker):
    from tests.incidents.test_views import intake_post

    data = intake_post(
        **{"victim-phones": "12", "suspect-phones": "34", "location_postcode": "NOPE"}
    )
    del data["category"]
    del data["injuries"]
    response = client_for(call_taker).post(reverse("incidents:create"), data)
    assert response.status_code == 400
    summary = response.context["error_list"]
    messages = [message for message, _ in summary]
    assert messages[0].startswith("Enter a real UK postcode")
    assert messages[1].startswith("Victim: Enter a phone number")
    assert messages[2].startswith("Suspect: Enter a phone number")
    assert "Is anyone injured?" in messages[3]
    assert summary[-1][1] == "#id_category"  # grading comes last, as on the page
    assert summary[1][1] == "#id_victim-phones"


def test_the_thrive_notes_show_on_the_incident_page(client_for, call_taker):
    from incidents.models import Incident
    from tests.incidents.test_views import intake_post

    client = client_for(call_taker)
    client.post(
        reverse("incidents:create"),
        intake_post(thrive_threat="Threat to kill last week", thrive_harm="Bruising seen"),
    )
    incident = Incident.objects.get()
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'data-testid="thrive"' in page
    assert "Threat to kill last week" in page
    assert "Bruising seen" in page


def test_the_board_shows_the_risk_and_the_attendance_forms_name_their_times(
    client_for, call_taker, log_incident
):
    incident = log_incident()
    services.incident_set_risk_level(actor=call_taker, incident=incident, level="high")
    client = client_for(call_taker)
    board = client.get(reverse("incidents:board")).content.decode()
    assert 'data-testid="risk"><strong class="govuk-tag govuk-tag--red">High' in board
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Dispatched at" in page
    assert "Arrived at" in page

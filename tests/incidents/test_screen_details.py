"""Smaller things a call taker met (issue 8, item 8): history in words, the admin refusing a
signed-in user without access, a favicon."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

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
    flags = board.split('data-testid="flags">')[1].split("</td>")[0]
    assert "Immediate risk" not in flags  # every answer "no"
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Dispatched at" in page
    assert "Arrived at" in page


@pytest.mark.parametrize(
    ("postcode", "rurality", "category", "minutes"),
    [
        ("NR25 6AB", "auto", "A", 20),  # a rural district: the longer target
        ("NR2 5AB", "auto", "A", 15),  # "NR2 5" is not "NR25": urban
        ("NR2 5AB", "rural", "A", 20),  # the call taker's choice wins
        ("NR25 6AB", "auto", "B", 60),
    ],
)
def test_the_deadline_shown_while_grading_is_the_deadline_the_incident_gets(
    client_for, call_taker, postcode, rurality, category, minutes
):
    from incidents.forms import call_stamp
    from incidents.models import Incident, RuralArea
    from tests.incidents.test_views import intake_post

    RuralArea.objects.get_or_create(postcode_prefix="NR25")
    started = timezone.now() - timedelta(minutes=3)
    fields = {
        "call_started": call_stamp(started),
        "category": category,
        "location_postcode": postcode,
        "location_rurality": rurality,
    }
    client = client_for(call_taker)
    preview = client.post(reverse("incidents:deadline-preview"), fields)
    assert preview.status_code == 200
    client.post(reverse("incidents:create"), intake_post(**fields))
    incident = Incident.objects.get()
    assert incident.target_minutes == minutes
    shown = timezone.localtime(incident.deadline_at).strftime("%H:%M")
    assert f"Attend by <strong>{shown}</strong>" in preview.content.decode()
    assert f"{minutes} minutes from the start of the call" in preview.content.decode()


def test_the_deadline_preview_waits_for_a_grade_and_ignores_a_tampered_start(
    client_for, call_taker
):
    client = client_for(call_taker)
    url = reverse("incidents:deadline-preview")
    assert "Choose a grade" in client.post(url, {"location_postcode": "NR1 3DE"}).content.decode()
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.localtime(timezone.now() + timedelta(minutes=60)).strftime("%H:%M")
        page = client.post(url, {"category": "B", "call_started": "forged"}).content.decode()
    assert f"Attend by <strong>{now}</strong>" in page
    assert "no postcode yet: urban assumed" in page


def test_the_address_on_record_fills_street_and_town_but_never_a_refuges(
    client_for, call_taker, log_incident
):
    from dapolice.audit.models import AuditEvent
    from incidents.inputs import AddressInput

    log_incident(location=AddressInput(house="4", street="Elm Close", town="Norwich",
                                       postcode="NR2 4AB"))  # fmt: skip
    refuge = log_incident(
        location=AddressInput(house="9", street="Quiet Lane", town="Norwich", postcode="NR4 7TJ")
    ).location
    services.address_mark_restricted(actor=call_taker, address=refuge, reason="Refuge")
    client = client_for(call_taker)
    url = reverse("incidents:address-lookup")
    found = client.post(url, {"location_house": "4", "location_postcode": "nr24ab"}).json()
    assert found == {"found": True, "street": "Elm Close", "town": "Norwich"}
    assert AuditEvent.objects.filter(action="incidents.address.looked_up").count() == 1
    hidden = client.post(url, {"location_house": "9", "location_postcode": "NR4 7TJ"}).json()
    assert hidden == {"found": False}
    unknown = client.post(url, {"location_house": "5", "location_postcode": "NR2 4AB"}).json()
    assert unknown == {"found": False}


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"at_time": "18:30"}, "Enter the day, month and year"),
        ({"at_0": "23", "at_1": "11", "at_2": "2026", "at_time": "6.30pm"}, "24-hour clock"),
        ({"at_0": "31", "at_1": "2", "at_2": "2026", "at_time": "18:30"}, "Enter a real date"),
    ],
)
def test_the_arrival_time_is_a_govuk_date_and_a_24_hour_time(
    client_for, call_taker, log_incident, typed, error
):
    incident = log_incident()
    response = client_for(call_taker).post(
        reverse("incidents:arrival", args=[incident.pk]),
        {f"arrival-{name}": value for name, value in typed.items()},
    )
    assert response.status_code == 400
    assert error in response.content.decode()


def test_an_arrival_time_typed_on_the_24_hour_clock_is_recorded_in_local_time(
    client_for, control_supervisor, log_incident
):
    with time_machine.travel("2026-07-01 17:40:00+00:00", tick=False):  # 18:40 in London
        incident = log_incident(received_at=timezone.now() - timedelta(minutes=15))
        response = client_for(control_supervisor).post(
            reverse("incidents:arrival", args=[incident.pk]),
            {
                "arrival-at_0": "1",
                "arrival-at_1": "7",
                "arrival-at_2": "2026",
                "arrival-at_time": "18:30",
                "arrival-reason": "Radio log shows 18:30",
            },  # fmt: skip
        )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert timezone.localtime(incident.arrived_at).strftime("%d/%m %H:%M") == "01/07 18:30"


def test_the_board_row_carries_the_checklist_flags(client_for, call_taker):
    from tests.incidents.test_views import intake_post

    client = client_for(call_taker)
    client.post(reverse("incidents:create"), intake_post(weapons="yes", children_present="yes"))
    board = client.get(reverse("incidents:board")).content.decode()
    flags = board.split('data-testid="flags">')[1].split("</td>")[0]
    for flag in ("Weapons", "Immediate risk", "Children"):
        assert flag in flags
    assert "Firearm" not in flags


def test_a_child_present_may_have_a_year_of_birth_alone_but_a_victim_may_not(
    client_for, call_taker
):
    from incidents.models import Incident
    from tests.incidents.test_views import intake_post

    client = client_for(call_taker)
    child = {"other0-role": "child", "other0-given_name": "Lily", "other0-family_name": "Smith",
             "other0-date_of_birth_2": "2019"}  # fmt: skip
    refused = client.post(
        reverse("incidents:create"),
        intake_post(**child, **{"victim-date_of_birth_0": "", "victim-date_of_birth_1": ""}),
    )
    assert refused.status_code == 400
    assert "Victim: Enter the day, month and year of birth." in refused.content.decode()
    assert 'value="2019"' in refused.content.decode()  # what was typed comes back
    client.post(reverse("incidents:create"), intake_post(**child))
    lily = Incident.objects.get().people.get(person__given_name="Lily").person
    assert (lily.birth_year, lily.date_of_birth) == (2019, None)
    page = client.get(reverse("incidents:detail", args=[Incident.objects.get().pk]))
    assert "Born 2019" in page.content.decode()
    future = client.post(
        reverse("incidents:create"),
        intake_post(**{**child, "other0-date_of_birth_2": str(timezone.localdate().year + 1)}),
    )
    assert future.status_code == 400

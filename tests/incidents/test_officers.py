"""Dispatch and arrival name the officers attached to an incident (the DASH's attached-officer
rule reads them through ``incidents.selectors.incident_officer_ids``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dapolice.common.errors import DomainError
from incidents import selectors, services
from incidents.models import Incident, IncidentOfficer
from incidents.policies import incident_is_attached


def test_dispatch_names_several_officers_and_a_later_dispatch_adds_one(
    log_incident, call_taker, make_user
):
    first, second, third = (make_user("attending_officer") for _ in range(3))
    incident = services.incident_dispatch(
        actor=call_taker, incident=log_incident(), officers=[first, second]
    )
    assert incident.attending_officer == first
    assert selectors.incident_officer_ids(incident) == {first.pk, second.pk}
    incident = services.incident_dispatch(actor=call_taker, incident=incident, officer=third)
    assert selectors.incident_officer_ids(incident) == {first.pk, second.pk, third.pk}
    assert incident.attending_officer == first  # the first named stays the incident's officer
    attached = Incident.objects.filter(pk__in=selectors.incident_ids_attached_to(second))
    assert list(attached) == [incident]
    assert incident_is_attached(third, incident)


def test_only_officers_can_be_sent(log_incident, call_taker, make_user):
    with pytest.raises(DomainError):
        services.incident_dispatch(
            actor=call_taker, incident=log_incident(), officer=make_user("call_taker")
        )


def test_an_officer_recording_their_arrival_is_attached(log_incident, call_taker, make_user):
    sent, arriving = make_user("attending_officer"), make_user("attending_officer")
    incident = services.incident_dispatch(actor=call_taker, incident=log_incident(), officer=sent)
    incident = services.incident_record_arrival(actor=arriving, incident=incident)
    assert selectors.incident_officer_ids(incident) == {sent.pk, arriving.pk}
    assert incident.attending_officer == sent


def test_dispatch_page_takes_collar_numbers(client_for, log_incident, call_taker, make_user):
    officer = make_user("attending_officer")
    officer.collar_number = "PC1234"
    officer.save()
    incident = log_incident()
    client = client_for(call_taker)
    url = reverse("incidents:dispatch", args=[incident.pk])
    refused = client.post(url, {"dispatch-officers": "PC9999"}, follow=True)
    assert b"No officer has the collar number PC9999" in refused.content
    assert not IncidentOfficer.objects.exists()
    client.post(url, {"dispatch-officers": "PC1234"})
    assert list(IncidentOfficer.objects.values_list("officer_id", flat=True)) == [officer.pk]

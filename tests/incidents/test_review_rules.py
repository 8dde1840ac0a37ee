"""Rules that hold even when configuration or clients try to bend them (found in review)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from incidents import services
from incidents.forms import call_stamp
from incidents.inputs import AddressInput
from incidents.models import Address, Incident, RuralArea
from incidents.selectors import person_flags
from tests import dates
from tests.incidents.helpers import suspect_of, victim_of
from tests.incidents.test_views import intake_post, panel

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
FARM = AddressInput(house="1", street="Farm Lane", town="Holt", postcode="NR25 6AA")


def _grant(role: str, codename: str) -> None:
    Group.objects.get(name=role).permissions.add(Permission.objects.get(codename=codename))


# --- Roles the admin cannot widen ------------------------------------------------------------


def test_granting_defer_to_call_takers_does_not_let_them_defer(log_incident, make_user, client_for):
    _grant("call_taker", "defer_incident")
    call_taker = make_user("call_taker")
    incident = log_incident(category="A")
    until = timezone.localtime(incident.deadline_at + timedelta(hours=1))
    response = client_for(call_taker).post(
        reverse("incidents:defer", args=[incident.pk]),
        {
            **dates.typed("until", until, prefix="defer"),
            "defer-reason": "No unit free",
            "defer-victim_wishes": "Safe at work until 6",
        },
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.deferred_at is None


def test_granting_reveal_to_call_takers_does_not_let_them_reveal(
    log_incident, make_user, client_for
):
    _grant("call_taker", "reveal_restricted_address")
    call_taker = make_user("call_taker")
    incident = log_incident(location=FARM)
    services.address_mark_restricted(
        actor=make_user("mash"), address=incident.location, reason="Refuge placement"
    )
    url = reverse("incidents:address-reveal", args=[incident.pk, incident.location_id])
    client = client_for(call_taker)
    assert client.get(url).status_code == 403
    refused = client.post(url, {"reason": "Checking the address for a welfare visit"})
    assert refused.status_code == 403
    assert b"Farm Lane" not in refused.content
    assert not AuditEvent.objects.filter(action="access.break_glass").exists()


def test_reveal_page_reveals_only_restricted_addresses(log_incident, make_user, client_for):
    incident = log_incident()
    url = reverse("incidents:address-reveal", args=[incident.pk, incident.location_id])
    client = client_for(make_user("supervisor"))
    # The same page for any address id (tests/incidents/test_security.py), and nothing granted.
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": "Welfare visit arranged with the manager"})
    assert refused.status_code == 400
    assert "There is no restricted address to reveal here." in refused.content.decode()
    assert not AuditEvent.objects.filter(action="access.break_glass").exists()


# --- Deadlines a client cannot stretch -------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)  # the user signs in at 14:00 too
def test_the_deadline_runs_from_when_the_intake_page_was_opened(client_for, call_taker):
    client = client_for(call_taker)
    data = intake_post()  # the page is opened (and stamped) at 14:00
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        response = client.post(reverse("incidents:create"), data)  # sent at 14:06
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.received_at == NOW
    assert incident.deadline_at == NOW + timedelta(minutes=15)


@pytest.mark.time_machine(NOW, tick=False)
def test_a_forged_or_stale_call_stamp_is_refused(client_for, call_taker):
    client = client_for(call_taker)
    forged = signing.TimestampSigner(salt="other").sign(str(int(NOW.timestamp())))
    response = client.post(reverse("incidents:create"), intake_post(call_started=forged))
    assert response.status_code == 400
    stale = intake_post(call_started=call_stamp(NOW - timedelta(hours=3)))
    assert client.post(reverse("incidents:create"), stale).status_code == 400
    assert Incident.objects.count() == 0


def test_api_refuses_a_backdated_call_start(call_taker):
    from tests.incidents.test_api import api_for, incident_payload

    payload = incident_payload(received_at=(timezone.now() - timedelta(hours=5)).isoformat())
    response = api_for(call_taker).post(reverse("api-incident-list"), payload, format="json")
    assert response.status_code == 400
    assert "received_at" in response.json()


def test_lowering_the_grade_after_the_target_passed_needs_a_supervisor(
    log_incident, call_taker, control_supervisor
):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        with pytest.raises(PermissionDenied):
            services.incident_regrade(
                actor=call_taker, incident=incident, category_code="C", reason="Calmer now"
            )
        regraded = services.incident_regrade(
            actor=control_supervisor, incident=incident, category_code="C", reason="Calmer"
        )
    assert regraded.target_at == NOW + timedelta(hours=4)


def test_arrival_cannot_be_before_the_dispatch(log_incident, call_taker):
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A")
    with time_machine.travel(NOW + timedelta(minutes=40), tick=False):
        incident = services.incident_dispatch(actor=call_taker, incident=incident)
        with pytest.raises(DomainError):
            services.incident_record_arrival(
                actor=call_taker, incident=incident, at=NOW + timedelta(minutes=5)
            )


def test_a_mistyped_arrival_time_records_nothing(client_for, call_taker, log_incident):
    incident = log_incident()
    response = client_for(call_taker).post(
        reverse("incidents:arrival", args=[incident.pk]),
        {
            "arrival-at_0": "23",
            "arrival-at_1": "11",
            "arrival-at_2": "2026",
            "arrival-at_time": "ten past two",
        },  # fmt: skip
    )
    # The page again, with what was typed and the error beside it; nothing recorded.
    assert response.status_code == 400
    assert b"ten past two" in response.content
    incident.refresh_from_db()
    assert incident.arrived_at is None


def test_rural_is_decided_per_call_from_todays_table(log_incident, call_taker):
    first = log_incident(location=FARM, category="A")
    assert first.location_is_rural is False
    RuralArea.objects.create(postcode_prefix="NR25")
    second = log_incident(location=FARM, category="A")
    assert second.location_id == first.location_id
    assert second.location_is_rural is True
    assert second.target_minutes == 20
    # A call taker's choice for one call never changes the shared address.
    log_incident(location=AddressInput(**{**FARM.__dict__, "is_rural": False}))
    assert Address.objects.get(pk=first.location_id).is_rural is False
    assert log_incident(location=FARM, category="A").location_is_rural is True


def test_another_users_idempotency_key_is_refused(log_incident, make_user):
    key = uuid.uuid4()
    log_incident(key=key)
    with pytest.raises(Conflict):
        log_incident(key=key, actor=make_user("call_taker"))
    assert Incident.objects.count() == 1


# --- Flags as of the call -------------------------------------------------------------------


def test_a_first_time_suspect_is_not_a_known_perpetrator_on_his_own_incident(
    log_incident, client_for, call_taker
):
    incident = log_incident(suspect={"given_name": "New", "family_name": "Suspect"})
    suspect = suspect_of(incident)
    flags = person_flags([suspect.pk], at=incident.received_at, exclude_incident_id=incident.pk)[
        suspect.pk
    ]
    assert (flags.known_perpetrator, flags.victim_count) == (False, 0)
    html = client_for(call_taker).get(reverse("incidents:detail", args=[incident.pk])).content
    assert b"Known perpetrator" not in html


def test_a_persons_own_record_needs_two_victim_incidents_to_be_a_repeat_victim(
    log_incident, call_taker
):
    from tests.incidents.test_api import api_for

    victim = victim_of(log_incident(received_at=timezone.now() - timedelta(days=30)))
    client = api_for(call_taker)
    url = reverse("api-person-detail", args=[victim.pk])
    assert client.get(url).json()["flags"]["repeat_victim"] is False
    log_incident(victim=victim)
    assert client.get(url).json()["flags"]["repeat_victim"] is True


# --- Searching and authentication -----------------------------------------------------------


def test_the_match_panel_is_rate_limited(client_for, call_taker, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"match": "3/min"})
    client = client_for(call_taker)
    codes = [panel(client, family_name="Smith").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_api_tokens_are_refused_while_mfa_is_required(call_taker, settings, log_incident):
    log_incident()
    token, _ = Token.objects.get_or_create(user=call_taker)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(reverse("api-incident-list")).status_code == 200
    settings.MFA_REQUIRED = True
    assert client.get(reverse("api-incident-list")).status_code in (401, 403)


def test_a_client_cannot_choose_the_request_id_in_the_audit_trail(client_for, call_taker):
    client_for(call_taker).get(reverse("incidents:list"), HTTP_X_REQUEST_ID="chosen-by-client-1")
    event = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert event.request_id != "chosen-by-client-1"
    assert len(event.request_id) == 32


def test_address_audit_rows_carry_no_postcode(log_incident):
    log_incident(location=FARM)
    event = AuditEvent.objects.get(action="incidents.address.created")
    assert "NR25" not in str(event.changes)
    assert "postcode_key" not in event.changes


# --- Refuges in the match panel ------------------------------------------------------------


def test_nobody_is_listed_at_a_refuge_for_a_call_taker(log_incident, make_user, client_for):
    incident = log_incident(
        victim={"given_name": "Rae", "family_name": "Safe", "lives_at_location": True},
        location=FARM,
    )
    services.address_mark_restricted(
        actor=make_user("mash"), address=incident.location, reason="Refuge placement"
    )
    html = panel(
        client_for(make_user("call_taker")),
        given_name="Jo",
        family_name="Bloggs",
        house="1",
        postcode="NR25 6AA",
    ).content.decode()
    assert "People and markers at this address" not in html
    assert "Rae" not in html


def test_board_costs_the_same_queries_with_many_restricted_locations(
    log_incident, control_supervisor, client_for, make_user, django_assert_max_num_queries
):
    mash = make_user("mash")
    client = client_for(control_supervisor)

    def refuge(n: int) -> None:
        incident = log_incident(
            location=AddressInput(
                house=str(n), street="Quiet Row", town="Diss", postcode="IP22 4AA"
            )
        )
        services.address_mark_restricted(actor=mash, address=incident.location, reason="Refuge")

    refuge(1)
    client.get(reverse("incidents:board"))
    with django_assert_max_num_queries(14):
        client.get(reverse("incidents:board"))
    for n in range(2, 12):
        refuge(n)
    with django_assert_max_num_queries(14):
        client.get(reverse("incidents:board"))


def test_break_glass_is_for_an_address_in_the_case_and_tells_the_control_room(
    log_incident, make_user, client_for
):
    from dapolice.alerts.models import Alert

    mash = make_user("mash")
    refuge = log_incident(location=FARM)
    services.address_mark_restricted(actor=mash, address=refuge.location, reason="Refuge")
    other = log_incident()
    sergeant = make_user("supervisor")
    client = client_for(sergeant)
    reason = {"reason": "Welfare visit arranged with the refuge manager"}
    # The refuge is not part of the other incident: refused, nothing granted.
    wrong = reverse("incidents:address-reveal", args=[other.pk, refuge.location_id])
    assert client.post(wrong, reason).status_code == 400
    assert not AuditEvent.objects.filter(action="access.break_glass").exists()
    right = reverse("incidents:address-reveal", args=[refuge.pk, refuge.location_id])
    assert b"Farm Lane" in client.post(right, reason).content
    grant = AuditEvent.objects.get(action="access.break_glass")
    assert grant.changes["case"] == [None, refuge.reference]
    alert = Alert.objects.get(kind="incidents.address.revealed")
    assert alert.recipient_role == "control_supervisor"
    assert refuge.reference in alert.title
    assert "Farm" not in alert.title

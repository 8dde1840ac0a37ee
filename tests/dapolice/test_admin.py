"""The admin site: system administrators manage users and configuration, every change audited;
case content is not there at all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dapolice.accounts.models import User
from dapolice.audit.models import AuditEvent
from incidents.models import AttendanceCategory


@pytest.fixture
def admin_client(client_for, personas):
    return client_for(personas["sysadmin"])


def test_only_system_administrators_reach_user_and_configuration_admin(client_for, personas):
    for role, status in (("sysadmin", 200), ("call_taker", 302), ("control_supervisor", 302)):
        response = client_for(personas[role]).get("/admin/accounts/user/")
        assert response.status_code == status, role


def test_case_content_is_not_in_the_admin(admin_client):
    for url in ("/admin/incidents/incident/", "/admin/incidents/person/",
                "/admin/incidents/address/"):  # fmt: skip
        assert admin_client.get(url).status_code == 404


def test_changing_an_attendance_target_is_audited(admin_client, personas):
    category = AttendanceCategory.objects.get(code="C")
    response = admin_client.post(
        f"/admin/incidents/attendancecategory/{category.pk}/change/",
        {"code": "C", "name": "Scheduled", "description": "", "urban_minutes": 120,
         "rural_minutes": 180, "order": 3, "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.urban_minutes, category.rural_minutes) == (120, 180)
    event = AuditEvent.objects.get(action="incidents.attendancecategory.changed")
    assert event.actor == personas["sysadmin"]
    assert event.changes["urban_minutes"] == [240, 120]


def test_a_partner_without_an_agency_is_refused_in_the_admin(admin_client):
    partner = Group.objects.get(name="partner")
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "newpartner", "first_name": "New", "last_name": "Partner", "agency": "",
         "groups": [partner.pk], "password1": "a long enough password 1",
         "password2": "a long enough password 1"},
    )  # fmt: skip
    assert response.status_code == 200
    assert b"must belong to an agency" in response.content
    assert not User.objects.filter(username="newpartner").exists()


def test_role_changes_in_the_admin_are_audited(admin_client, personas):
    officer = personas["attending_officer"]
    group = Group.objects.get(name="supervisor")
    response = admin_client.post(
        f"/admin/accounts/user/{officer.pk}/change/",
        {"username": officer.username, "first_name": officer.first_name,
         "last_name": officer.last_name, "email": "", "collar_number": "", "agency": "",
         "groups": [group.pk], "is_active": "on", "date_joined_0": "2026-01-01",
         "date_joined_1": "00:00:00"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.filter(
        action="accounts.user.roles_changed", subject_id=str(officer.pk)
    ).latest("pk")
    assert event.changes["roles"] == [["attending_officer"], ["supervisor"]]
    assert event.actor == personas["sysadmin"]


def test_audit_values_are_case_content_hidden_from_a_system_administrator(
    client_for, personas, log_incident
):
    incident = log_incident(victim={"given_name": "Zelda", "family_name": "Quorn"})
    victim = incident.people.get(role="victim").person
    event = AuditEvent.objects.get(action="incidents.person.created", subject_id=str(victim.pk))
    admin_page = client_for(personas["sysadmin"]).get(f"/admin/audit/auditevent/{event.pk}/change/")
    trail = client_for(personas["sysadmin"]).get("/audit/", {"action": "incidents.person"})
    for response in (admin_page, trail):
        assert response.status_code == 200
        assert b"Quorn" not in response.content
    # A police auditor (control-room supervisor) sees the values.
    police = client_for(personas["control_supervisor"]).get(
        "/audit/", {"action": "incidents.person"}
    )
    assert b"Quorn" in police.content


def test_an_administrator_cannot_make_themselves_superuser_or_police(admin_client, personas):
    admin = personas["sysadmin"]
    mash = Group.objects.get(name="mash")
    sysadmin = Group.objects.get(name="sysadmin")
    response = admin_client.post(
        f"/admin/accounts/user/{admin.pk}/change/",
        {"username": admin.username, "first_name": "A", "last_name": "B", "email": "",
         "collar_number": "", "agency": "", "groups": [sysadmin.pk, mash.pk],
         "is_active": "on", "is_superuser": "on", "is_staff": "on"},
    )  # fmt: skip
    admin.refresh_from_db()
    assert response.status_code in (200, 302)
    assert admin.is_superuser is False
    assert set(admin.groups.values_list("name", flat=True)) == {"sysadmin"}


def test_an_administrator_cannot_also_hold_a_police_role(admin_client, personas):
    officer = personas["attending_officer"]
    groups = Group.objects.filter(name__in=["attending_officer", "sysadmin"])
    response = admin_client.post(
        f"/admin/accounts/user/{officer.pk}/change/",
        {"username": officer.username, "first_name": "A", "last_name": "B", "email": "",
         "collar_number": "", "agency": "", "groups": [g.pk for g in groups],
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert b"cannot hold another role" in response.content
    assert set(officer.groups.values_list("name", flat=True)) == {"attending_officer"}

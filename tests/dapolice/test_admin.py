"""The admin site: system administrators manage users and configuration through the services,
every change audited; case content is not there at all; and (issue 7, finding 1) an administrator
cannot become a police user: no passwords set, no second factors or tokens enrolled or shown, no
change to the permissions of their own role, and no role given without a second person."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from dapolice.accounts import services
from dapolice.accounts.choices import Role
from dapolice.accounts.models import RoleRequest, User
from dapolice.alerts.models import Alert
from dapolice.audit.admin import DapoliceModelAdmin, ServiceModelAdmin
from dapolice.audit.models import AuditEvent
from dapolice.common.errors import DomainError
from incidents.models import AttendanceCategory

NEW_USER = {"username": "newcomer", "first_name": "New", "last_name": "Comer",
            "email": "newcomer@force.example", "collar_number": "", "agency": ""}  # fmt: skip
REASON = "Joins the control room on Monday"


@pytest.fixture
def sysadmin(personas: dict[str, User]) -> User:
    return personas["sysadmin"]


@pytest.fixture
def admin_client(client_for: Any, sysadmin: User) -> Client:
    return client_for(sysadmin)


def audit(action: str, **filters: Any) -> AuditEvent:
    return AuditEvent.objects.filter(action=action, **filters).latest("pk")


def change_data(user: User, **overrides: Any) -> dict[str, Any]:
    data = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "collar_number": user.collar_number, "agency": user.agency_id or "",
            "roles": sorted(user.roles), "reason": "", "is_active": "on"}  # fmt: skip
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Every admin is read-only or writes through a service ------------------------------------


def test_every_registered_admin_is_read_only_or_routes_its_writes_through_a_service(
    personas: dict[str, User],
) -> None:
    superuser = User.objects.create_superuser("root", "root@force.example", "x" * 20)
    request = RequestFactory().get("/admin/")
    base_writes = ("save_model", "save_related", "delete_model", "delete_queryset")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        name = model._meta.label
        assert isinstance(model_admin, DapoliceModelAdmin), f"{name} bypasses the base admin"
        for user in (superuser, personas["sysadmin"]):
            request.user = user
            writes = (
                model_admin.has_add_permission(request),
                model_admin.has_change_permission(request),
                model_admin.has_delete_permission(request),
            )
            if not any(writes):
                continue
            assert isinstance(model_admin, ServiceModelAdmin), f"{name} writes without services"
            cls = type(model_admin)
            assert cls.service_save is not ServiceModelAdmin.service_save, name
            if writes[2]:
                assert cls.service_delete is not ServiceModelAdmin.service_delete, name
            for method in base_writes:  # the routing itself is not overridden away
                assert getattr(cls, method) is getattr(ServiceModelAdmin, method), (name, method)
        checked += 1
    assert checked >= 12


def test_the_base_admin_refuses_writes_it_was_not_given(sysadmin: User) -> None:
    request = RequestFactory().post("/admin/")
    request.user = sysadmin
    model_admin = DapoliceModelAdmin(AuditEvent, admin.site)
    for call in (
        lambda: model_admin.save_model(request, AuditEvent(), None, False),
        lambda: model_admin.delete_model(request, AuditEvent()),
        lambda: model_admin.delete_queryset(request, AuditEvent.objects.all()),
    ):
        with pytest.raises(PermissionDenied):
            call()


# --- Access and configuration ----------------------------------------------------------------


def test_only_system_administrators_reach_user_and_configuration_admin(client_for, personas):
    for role, status in (("sysadmin", 200), ("call_taker", 302), ("control_supervisor", 302)):
        response = client_for(personas[role]).get("/admin/accounts/user/")
        assert response.status_code == status, role


def test_case_content_is_not_in_the_admin(admin_client):
    for url in ("/admin/incidents/incident/", "/admin/incidents/person/",
                "/admin/incidents/address/"):  # fmt: skip
        assert admin_client.get(url).status_code == 404


def test_changing_an_attendance_target_is_audited(admin_client, sysadmin):
    category = AttendanceCategory.objects.get(code="C")
    response = admin_client.post(
        f"/admin/incidents/attendancecategory/{category.pk}/change/",
        {"code": "C", "name": "Scheduled", "description": "", "urban_minutes": 120,
         "rural_minutes": 180, "order": 3, "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.urban_minutes, category.rural_minutes) == (120, 180)
    event = audit("incidents.attendancecategory.changed")
    assert event.actor == sysadmin
    assert event.changes["urban_minutes"] == [240, 120]


def test_adding_an_agency_goes_through_the_configuration_service(admin_client, sysadmin):
    response = admin_client.post(
        "/admin/accounts/agency/add/", {"name": "Demo Probation", "code": "probation",
                                        "kind": "probation"},
    )  # fmt: skip
    assert response.status_code == 302
    event = audit("accounts.agency.created")
    assert event.actor == sysadmin
    assert event.changes["code"] == [None, "probation"]


def test_the_admin_writes_no_log_entries_of_its_own(admin_client):
    from django.contrib.admin.models import LogEntry

    category = AttendanceCategory.objects.get(code="C")
    admin_client.post(
        f"/admin/incidents/attendancecategory/{category.pk}/change/",
        {"code": "C", "name": "Scheduled", "description": "", "urban_minutes": 100,
         "rural_minutes": 180, "order": 3, "active": "on"},
    )  # fmt: skip
    assert not LogEntry.objects.exists()


# --- Second factors and API tokens: revoke only ----------------------------------------------


@pytest.fixture
def devices(personas: dict[str, User]) -> tuple[TOTPDevice, StaticDevice]:
    mash = personas["mash"]
    totp = TOTPDevice.objects.create(user=mash, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=mash, name="backup", confirmed=True)
    StaticToken.objects.create(device=static, token="backup12")
    return totp, static


def test_an_administrator_cannot_enrol_or_see_a_second_factor(admin_client, devices):
    totp, static = devices
    for url in ("/admin/otp_totp/totpdevice/add/", "/admin/otp_static/staticdevice/add/",
                f"/admin/otp_totp/totpdevice/{totp.pk}/change/",
                f"/admin/otp_static/staticdevice/{static.pk}/change/"):  # fmt: skip
        assert admin_client.get(url).status_code == 403, url
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{totp.pk}/config/", follow=True)
    assert totp.key not in config.content.decode()
    assert config.get("Content-Type", "").startswith("text/html"), "no QR code image"
    add = admin_client.post(
        "/admin/otp_totp/totpdevice/add/",
        {"user": totp.user_id, "name": "mine", "key": "3132333435363738393031323334353637383930",
         "step": 30, "t0": 0, "digits": 6, "tolerance": 1, "drift": 0, "confirmed": "on"},
    )  # fmt: skip
    assert add.status_code == 403
    assert TOTPDevice.objects.count() == 1
    listing = admin_client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "phone" in listing
    assert totp.key not in listing
    backups = admin_client.get("/admin/otp_static/staticdevice/").content.decode()
    assert "backup12" not in backups


def test_revoking_a_second_factor_is_a_service_audited_and_the_user_is_told(
    admin_client, devices, sysadmin, personas, django_capture_on_commit_callbacks
):
    totp, _static = devices
    mash = personas["mash"]
    mash.email = "mash@force.example"
    mash.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/otp_totp/totpdevice/",
            {"action": "revoke", "_selected_action": [totp.pk]},
        )
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    event = audit("accounts.mfa_device.revoked")
    assert (event.actor, event.subject_id) == (sysadmin, str(mash.pk))
    assert [m.to for m in mail.outbox] == [["mash@force.example"]]
    assert "removed a second factor" in mail.outbox[0].body


def test_an_administrator_cannot_mint_or_see_an_api_token(admin_client, personas, sysadmin):
    token = Token.objects.create(user=personas["investigator"])
    assert admin_client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert admin_client.get("/admin/authtoken/tokenproxy/").status_code == 404
    listing = admin_client.get("/admin/accounts/apitokenholder/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert personas["investigator"].username in html
    assert token.key not in html
    holder = personas["investigator"].pk
    assert admin_client.get(f"/admin/accounts/apitokenholder/{holder}/change/").status_code == 403
    assert admin_client.get("/admin/accounts/apitokenholder/add/").status_code == 403
    revoke = admin_client.post(
        "/admin/accounts/apitokenholder/", {"action": "revoke", "_selected_action": [holder]}
    )
    assert revoke.status_code == 302
    assert not Token.objects.exists()
    assert audit("accounts.api_token.revoked").actor == sysadmin


# --- Passwords: a reset the user completes ---------------------------------------------------


def test_the_admin_has_no_password_form(admin_client, personas):
    mash = personas["mash"]
    password_page = admin_client.get(f"/admin/accounts/user/{mash.pk}/password/", follow=True)
    assert b'name="password1"' not in password_page.content
    page = admin_client.get(f"/admin/accounts/user/{mash.pk}/change/").content.decode()
    assert 'name="password' not in page
    assert "Send a password reset" in page
    before = User.objects.get(pk=mash.pk).password
    admin_client.post(f"/admin/accounts/user/{mash.pk}/change/",
                      {**change_data(mash), "password": "chosen by the admin 1"})  # fmt: skip
    assert User.objects.get(pk=mash.pk).password == before


def test_a_password_reset_is_sent_audited_and_completed_by_the_user_alone(
    admin_client, personas, sysadmin, django_capture_on_commit_callbacks
):
    mash = personas["mash"]
    mash.email = "mash@force.example"
    mash.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{mash.pk}/password-reset/")
    assert response.status_code == 302
    sent = audit("accounts.user.password_reset_sent")
    assert (sent.actor, sent.subject_id) == (sysadmin, str(mash.pk))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mash@force.example"]
    assert sysadmin.get_full_name() in message.body, "the user is told who asked"
    link = re.search(r"http://testserver(/account/reset/\S+/)", message.body)
    assert link

    user = Client()
    form = user.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert b'data-testid="set-password"' in form.content
    with django_capture_on_commit_callbacks(execute=True):
        chosen = "my own new passphrase 7"
        done = user.post(
            form.redirect_chain[-1][0], {"new_password1": chosen, "new_password2": chosen}
        )
    assert done.status_code == 302
    assert User.objects.get(pk=mash.pk).check_password("my own new passphrase 7")
    assert audit("accounts.user.password_set").actor == mash
    assert "password was changed" in mail.outbox[-1].subject
    # The link works once.
    again = user.get(link.group(1), follow=True)
    assert b'data-testid="reset-link-invalid"' in again.content


def test_no_reset_goes_to_an_address_an_administrator_just_changed(
    admin_client, personas, django_capture_on_commit_callbacks
):
    mash = personas["mash"]
    mash.email = "mash@force.example"
    mash.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/accounts/user/{mash.pk}/change/",
            change_data(mash, email="attacker@elsewhere.example"),
        )
    assert [m.to for m in mail.outbox] == [["mash@force.example"]], "the old address is told"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/accounts/user/{mash.pk}/password-reset/")
    assert len(mail.outbox) == 1, "no reset link went to the new address"
    assert not AuditEvent.objects.filter(action="accounts.user.password_reset_sent").exists()


# --- Role permissions ------------------------------------------------------------------------


def test_an_administrator_cannot_change_the_permissions_of_their_own_role(admin_client, sysadmin):
    own = Group.objects.get(name=Role.SYSADMIN)
    before = set(own.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="view_incident")
    page = admin_client.get(f"/admin/auth/group/{own.pk}/change/")
    assert page.status_code == 200
    assert b'name="permissions"' not in page.content, "shown read-only"
    response = admin_client.post(
        f"/admin/auth/group/{own.pk}/change/", {"permissions": [*before, extra.pk]}
    )
    assert response.status_code == 403
    assert set(own.permissions.values_list("pk", flat=True)) == before
    with pytest.raises(DomainError, match="role you hold"):
        services.role_set_permissions(actor=sysadmin, role=own, permissions=[extra])


def test_changing_another_roles_permissions_is_audited(admin_client, sysadmin):
    analyst = Group.objects.get(name=Role.ANALYST)
    perm = Permission.objects.get(codename="view_attendancecategory")
    response = admin_client.post(
        f"/admin/auth/group/{analyst.pk}/change/", {"permissions": [perm.pk]}
    )
    assert response.status_code == 302
    assert list(analyst.permissions.all()) == [perm]
    event = audit("accounts.role.permissions_changed")
    assert event.actor == sysadmin
    assert event.changes["permissions"][1] == ["view_attendancecategory"]


# --- Roles: requested by an administrator, approved by a control-room supervisor -------------


def add_user(client: Client, roles: list[str], **extra: Any) -> Any:
    return client.post("/admin/accounts/user/add/",
                       {**NEW_USER, "roles": roles, "reason": REASON, **extra})  # fmt: skip


def test_an_administrator_cannot_give_a_second_account_of_theirs_a_case_reading_role(
    admin_client, client_for, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = add_user(admin_client, [Role.CALL_TAKER])
    assert response.status_code == 302, response.content[:2000]
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.roles == frozenset()
    assert not newcomer.has_usable_password(), "the admin set no password"
    assert client_for(newcomer).get("/incidents/").status_code == 403
    request = RoleRequest.objects.get(user=newcomer)
    assert (request.role, request.status, request.requested_by) == (
        Role.CALL_TAKER, RoleRequest.Status.PENDING, personas["sysadmin"]
    )  # fmt: skip
    assert audit("accounts.role_request.created").reason == REASON
    alert = Alert.objects.get(kind="accounts.role_request")
    assert alert.recipient_role == Role.CONTROL_SUPERVISOR
    assert [m.to for m in mail.outbox] == [["newcomer@force.example"]], "a link to set a password"


def test_the_approval_takes_a_control_room_supervisor_and_then_the_role_applies(
    admin_client, client_for, personas
):
    add_user(admin_client, [Role.CALL_TAKER])
    newcomer = User.objects.get(username="newcomer")
    request = RoleRequest.objects.get(user=newcomer)
    decide = f"/account/role-requests/{request.pk}/decide/"
    approve = {f"r{request.pk}-decision": "approve", f"r{request.pk}-reason": ""}
    for persona in ("sysadmin", "supervisor", "call_taker"):
        assert client_for(personas[persona]).post(decide, approve).status_code == 403, persona

    approver = client_for(personas["control_supervisor"])
    page = approver.get("/account/role-requests/")
    assert page.status_code == 200
    assert f'data-testid="decide-{request.pk}"'.encode() in page.content
    response = approver.post(decide, approve)
    assert response.status_code == 302
    newcomer = User.objects.get(pk=newcomer.pk)
    assert newcomer.roles == {Role.CALL_TAKER}
    assert client_for(newcomer).get("/incidents/").status_code == 200
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", personas["control_supervisor"])
    assert audit("accounts.role_request.approved").actor == personas["control_supervisor"]
    granted = audit("accounts.user.roles_changed", subject_id=str(newcomer.pk))
    assert granted.changes["roles"] == [[], [Role.CALL_TAKER]]
    assert Alert.objects.filter(
        kind="accounts.role_request.decided", recipient=personas["sysadmin"]
    ).exists(), "the requester is told"
    again = approver.post(decide, approve, follow=True)
    assert b"already been decided" in again.content


def test_a_refusal_needs_a_reason_and_keeps_what_was_typed(admin_client, client_for, personas):
    add_user(admin_client, [Role.MASH])
    request = RoleRequest.objects.get(user__username="newcomer")
    approver = client_for(personas["control_supervisor"])
    decide = f"/account/role-requests/{request.pk}/decide/"
    response = approver.post(decide, {f"r{request.pk}-decision": "refuse",
                                      f"r{request.pk}-reason": "no"})  # fmt: skip
    assert response.status_code == 400
    assert b"Say why you refuse it" in response.content
    assert re.search(rb'value="refuse"\s+checked', response.content)
    refusal = {f"r{request.pk}-decision": "refuse", f"r{request.pk}-reason": "Not in the MASH team"}
    assert approver.post(decide, refusal).status_code == 302
    assert User.objects.get(username="newcomer").roles == frozenset()
    assert audit("accounts.role_request.refused").reason == "Not in the MASH team"


def test_nobody_decides_a_request_they_made_or_one_for_themselves(make_user, personas):
    # A superuser who also holds the approver role may request (manage_users) but not approve.
    both = make_user(Role.CONTROL_SUPERVISOR, username="both")
    both.is_superuser = True
    both.save(update_fields=["is_superuser"])
    target = make_user(username="target")
    own = services.role_request_create(actor=both, user=target, role=Role.MASH, reason=REASON)
    with pytest.raises(DomainError, match="someone other"):
        services.role_request_decide(actor=both, request=own, approve=True)
    supervisor = personas["control_supervisor"]
    for_me = services.role_request_create(
        actor=personas["sysadmin"], user=supervisor, role=Role.SUPERVISOR, reason=REASON
    )
    with pytest.raises(DomainError, match="someone other"):
        services.role_request_decide(actor=supervisor, request=for_me, approve=True)
    assert User.objects.get(pk=supervisor.pk).roles == {Role.CONTROL_SUPERVISOR}
    # And the database itself refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.filter(pk=own.pk).update(
            status="approved", decided_by=both, decided_at=timezone.now()
        )
    with pytest.raises(DomainError, match="for yourself"):
        services.role_request_create(actor=both, user=both, role=Role.MASH, reason=REASON)


def test_only_the_system_actor_grants_roles_or_sets_passwords_directly(sysadmin, personas):
    with pytest.raises(DomainError, match="approved by a control-room supervisor"):
        services.user_create(actor=sysadmin, username="x1", roles=[Role.MASH])
    with pytest.raises(DomainError, match="approved by a control-room supervisor"):
        services.user_create(actor=sysadmin, username="x2", password="chosen by the admin 1")
    with pytest.raises(DomainError, match="approved by a control-room supervisor"):
        services.user_set_roles(actor=sysadmin, user=personas["analyst"], roles=[Role.MASH])


def test_a_system_administrator_created_in_the_admin_can_open_the_admin_once_approved(
    admin_client, client_for, personas
):
    add_user(admin_client, [Role.SYSADMIN])
    newcomer = User.objects.get(username="newcomer")
    assert client_for(newcomer).get("/admin/").status_code == 302
    request = RoleRequest.objects.get(user=newcomer)
    services.role_request_decide(
        actor=personas["control_supervisor"], request=request, approve=True
    )
    response = client_for(User.objects.get(pk=newcomer.pk)).get("/admin/")
    assert response.status_code == 200
    assert b"dapolice administration" in response.content


def test_taking_a_role_away_is_immediate_and_audited(admin_client, personas, sysadmin):
    officer = personas["attending_officer"]
    response = admin_client.post(
        f"/admin/accounts/user/{officer.pk}/change/", change_data(officer, roles=[])
    )
    assert response.status_code == 302, response.content[:2000]
    assert User.objects.get(pk=officer.pk).roles == frozenset()
    event = audit("accounts.user.roles_changed", subject_id=str(officer.pk))
    assert event.changes["roles"] == [["attending_officer"], []]
    assert event.actor == sysadmin


def test_adding_a_role_in_the_admin_is_a_request_and_audited(admin_client, personas, sysadmin):
    officer = personas["attending_officer"]
    response = admin_client.post(
        f"/admin/accounts/user/{officer.pk}/change/",
        change_data(officer, roles=["attending_officer", "supervisor"], reason=REASON),
    )
    assert response.status_code == 302, response.content[:2000]
    assert User.objects.get(pk=officer.pk).roles == {"attending_officer"}
    assert RoleRequest.objects.get(user=officer).role == "supervisor"
    assert audit("accounts.role_request.created").actor == sysadmin


def test_a_partner_without_an_agency_is_refused_in_the_admin(admin_client):
    response = add_user(admin_client, [Role.PARTNER])
    assert response.status_code == 200
    assert b"must belong to an agency" in response.content
    assert b'value="newcomer"' in response.content, "what was typed is kept"
    assert not User.objects.filter(username="newcomer").exists()


def test_an_administrator_cannot_also_hold_a_police_role(admin_client, personas):
    officer = personas["attending_officer"]
    response = admin_client.post(
        f"/admin/accounts/user/{officer.pk}/change/",
        change_data(officer, roles=["attending_officer", "sysadmin"], reason=REASON),
    )
    assert response.status_code == 200
    assert b"cannot hold another role" in response.content
    assert not RoleRequest.objects.exists()


def test_an_administrator_cannot_make_themselves_superuser_or_change_their_roles(
    admin_client, sysadmin
):
    response = admin_client.post(
        f"/admin/accounts/user/{sysadmin.pk}/change/",
        {**change_data(sysadmin, roles=["sysadmin", "mash"], reason=REASON),
         "is_superuser": "on", "is_active": ""},
    )  # fmt: skip
    assert response.status_code == 302
    sysadmin = User.objects.get(pk=sysadmin.pk)
    assert sysadmin.is_superuser is False
    assert sysadmin.is_active is True
    assert sysadmin.roles == {"sysadmin"}
    assert not RoleRequest.objects.exists()


def test_role_grant_command_appoints_the_first_approver_as_the_system(make_user, run_manage_py):
    from django.core.management import call_command

    first = make_user(username="first-supervisor")
    call_command("role_grant", first.username, Role.CONTROL_SUPERVISOR,
                 reason="First control-room supervisor of the force")  # fmt: skip
    assert User.objects.get(pk=first.pk).roles == {Role.CONTROL_SUPERVISOR}
    event = audit("accounts.user.roles_changed", subject_id=str(first.pk))
    assert event.actor.username == "system"
    assert event.reason == "First control-room supervisor of the force"


def test_lifting_a_lockout_is_audited(admin_client, personas, sysadmin):
    from axes.models import AccessAttempt

    locked = personas["call_taker"]
    attempt = AccessAttempt.objects.create(
        username=locked.username, ip_address="10.0.0.1", user_agent="x", failures_since_start=5,
        get_data="", post_data="", http_accept="", path_info="/account/login/",
    )  # fmt: skip
    assert admin_client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").status_code == 403
    response = admin_client.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": [attempt.pk]}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = audit("accounts.user.unlocked")
    assert (event.actor, event.subject_id) == (sysadmin, str(locked.pk))


# --- The audit trail in the admin: no oracle, reads audited ----------------------------------


def test_audit_values_are_case_content_hidden_from_a_system_administrator(
    client_for, personas, log_incident
):
    incident = log_incident(victim={"given_name": "Zelda", "family_name": "Quorn"})
    victim = incident.people.get(role="victim").person
    event = AuditEvent.objects.get(action="incidents.person.created", subject_id=str(victim.pk))
    admin_page = client_for(personas["sysadmin"]).get(f"/admin/audit/auditevent/{event.pk}/change/")
    trail = client_for(personas["sysadmin"]).get("/audit/", {"action": "incidents.person"})
    api = client_for(personas["sysadmin"]).get("/api/audit/events/", {"action": "incidents.person"})
    for response in (admin_page, trail, api):
        assert response.status_code == 200
        assert b"Quorn" not in response.content
    # A police auditor (control-room supervisor) sees the values.
    police = client_for(personas["control_supervisor"])
    assert b"Quorn" in police.get("/audit/", {"action": "incidents.person"}).content
    assert b"Quorn" in police.get("/api/audit/events/", {"action": "incidents.person"}).content


@pytest.mark.parametrize(
    "lookup",
    ["changes__icontains", "reason__icontains", "reason__startswith", "changes__contains",
     "object_ids__icontains", "actor__password__startswith", "actor__username__startswith",
     "request_id__startswith", "kind__startswith"],
)  # fmt: skip
def test_the_admin_audit_list_refuses_lookups_on_values(admin_client, log_incident, lookup):
    log_incident(victim={"given_name": "Zelda", "family_name": "Quorn"})
    response = admin_client.get("/admin/audit/auditevent/", {lookup: "Q"})
    assert response.status_code == 400
    refused = audit("admin.lookup_refused")
    assert refused.changes["lookups"][1] == [lookup]


def test_the_admin_audit_list_keeps_its_own_filters(admin_client):
    assert admin_client.get("/admin/audit/auditevent/", {"kind__exact": "read"}).status_code == 200
    assert admin_client.get("/admin/audit/auditevent/", {"at__year": "2026"}).status_code == 200


def test_every_admin_changelist_refuses_lookups_outside_its_filters(admin_client):
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(url, {"id__gt": "0"}).status_code in (400, 404), url
    oracle = admin_client.get("/admin/accounts/user/", {"password__startswith": "md5"})
    assert oracle.status_code == 400


def test_reading_the_audit_trail_in_the_admin_is_audited(admin_client, sysadmin, log_incident):
    log_incident()
    response = admin_client.get("/admin/audit/auditevent/")
    assert response.status_code == 200
    listed = audit("audit.event.listed")
    assert listed.actor == sysadmin
    shown = set(map(int, listed.object_ids))
    assert shown
    assert shown < set(AuditEvent.objects.values_list("pk", flat=True))
    detail = admin_client.get(f"/admin/audit/auditevent/{min(shown)}/change/")
    assert detail.status_code == 200
    read = audit("audit.event.read")
    assert (read.actor, read.subject_id) == (sysadmin, str(min(shown)))


def test_reading_users_in_the_admin_is_audited(admin_client, personas):
    admin_client.get("/admin/accounts/user/")
    assert str(personas["mash"].pk) in audit("accounts.user.listed").object_ids
    admin_client.get(f"/admin/accounts/user/{personas['mash'].pk}/change/")
    assert audit("accounts.user.read").subject_id == str(personas["mash"].pk)


def test_the_system_actor_is_not_administered_in_the_admin(admin_client, system):
    assert system.username not in admin_client.get("/admin/accounts/user/").content.decode()
    page = admin_client.get(f"/admin/accounts/user/{system.pk}/change/", follow=True)
    assert b'name="first_name"' not in page.content


def test_an_administrators_own_password_change_is_audited(admin_client, sysadmin):
    from tests.conftest import PASSWORD

    response = admin_client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "a new passphrase 2026",
         "new_password2": "a new passphrase 2026"},
    )  # fmt: skip
    assert response.status_code == 302
    event = audit("accounts.user.password_set")
    assert (event.actor, event.subject_id) == (sysadmin, str(sysadmin.pk))

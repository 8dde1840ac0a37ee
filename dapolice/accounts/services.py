"""Users, their roles, their credentials. The admin, the approvers' page, the management commands
and ``seed_demo`` call these; each checks its precondition, changes, and audits in one
transaction. Notices to the user go out by e-mail when the transaction commits.

The rules an administrator cannot get around (issue 7, finding 1):

* Nobody holds a second factor or an API token they did not enrol themselves: the admin can only
  revoke them (``mfa_device_revoke``, ``api_token_revoke``), and the user is told.
* An administrator never sets another user's password: they send a reset link that the user
  completes (``user_password_reset_send``, ``user_password_reset_complete``), and the user is
  told. Not within ``DAPOLICE_RESET_AFTER_EMAIL_CHANGE_HOURS`` of an administrator changing the
  user's e-mail address (whose old address is told), so a changed address cannot take an account.
* Nobody changes the permissions of a role they hold (``role_set_permissions``).
* Roles are granted only on a second person's approval (``role_request_create`` then
  ``role_request_decide`` by a control-room supervisor); only the system actor (``seed_demo``,
  ``manage.py role_grant`` run on the server) grants directly. Removing a role takes effect at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.models import Device
from rest_framework.authtoken.models import Token

from dapolice.accounts.choices import POLICE_ROLES, SYSTEM_USERNAME, Role
from dapolice.accounts.models import Agency, RoleRequest, User
from dapolice.accounts.policies import ROLE_APPROVER
from dapolice.alerts.choices import Severity
from dapolice.alerts.registry import AlertSpec
from dapolice.alerts.services import alert_raise
from dapolice.audit.models import AuditEvent
from dapolice.audit.services import diff, record_access, record_change, record_create, snapshot
from dapolice.common.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

USER_FIELDS = ["first_name", "last_name", "email", "collar_number", "agency", "is_active"]
MIN_REASON_LENGTH = 10


def system_user() -> User:
    """The named actor of background changes (created by migration 0002)."""
    return User.objects.get(username=SYSTEM_USERNAME)


# --- Roles ------------------------------------------------------------------------------------


def validate_roles(roles: set[str], agency: Agency | None) -> None:
    """A partner needs an agency and holds no police role (raises ``DomainError``)."""
    unknown = roles - set(Role.values)
    if unknown:
        raise DomainError(_("Unknown role."), field="roles")
    if Role.SYSADMIN in roles and roles - {Role.SYSADMIN}:
        # Administrators get no case content: an administrator who also held a police role
        # could grant themselves access to anything.
        raise DomainError(
            _("A system administrator cannot hold another role; use a second account."),
            field="roles",
        )
    if Role.PARTNER in roles:
        if agency is None:
            raise DomainError(
                _("A partner-agency member must belong to an agency."), field="agency"
            )
        if roles & POLICE_ROLES:
            raise DomainError(
                _("A partner-agency member cannot also hold a police role."), field="roles"
            )


def _roles_of(user: User) -> list[str]:
    return sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def _apply_roles(*, actor: User, user: User, roles: set[str], reason: str = "") -> User:
    """Set the user's roles (already checked) and keep ``is_staff`` in step: a system
    administrator opens the admin site, nobody else does."""
    before = _roles_of(user)
    user.groups.set(Group.objects.filter(name__in=roles))
    user.is_staff = Role.SYSADMIN in roles or user.is_superuser
    user.save(update_fields=["is_staff"])
    user.forget_grants()
    if before != sorted(roles):
        record_change(
            actor=actor,
            action="accounts.user.roles_changed",
            subject=user,
            changes={"roles": [before, sorted(roles)]},
            reason=reason,
        )
    return user


def _only_the_system_grants(actor: User) -> None:
    if not actor.is_system:
        raise DomainError(
            _("Roles are given on request, approved by a control-room supervisor."),
            field="roles",
        )


def user_create(
    *,
    actor: User,
    username: str,
    password: str | None = None,
    roles: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    agency: Agency | None = None,
    collar_number: str = "",
) -> User:
    """Create a user. People (the admin) create them without roles or a password: roles are
    requested (``role_request_create``) and the user sets their own password from a reset link.
    Only the system actor (``seed_demo``, benchmarks, tests' fixtures) gives both at once."""
    role_set = set(roles)
    if role_set or password:
        _only_the_system_grants(actor)
    validate_roles(role_set, agency)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("A user with that username already exists."), field="username")
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            agency=agency,
            collar_number=collar_number,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record_create(
            actor=actor,
            action="accounts.user.created",
            subject=user,
            fields=["username", *USER_FIELDS],
        )
        _apply_roles(actor=actor, user=user, roles=role_set)
    return user


def user_set_roles(*, actor: User, user: User, roles: Iterable[str], reason: str = "") -> User:
    """Set the roles outright: the system actor only (``manage.py role_grant``, run on the server
    to appoint the first control-room supervisor). People use requests and ``user_remove_roles``."""
    _only_the_system_grants(actor)
    role_set = set(roles)
    validate_roles(role_set, user.agency)
    with transaction.atomic():
        return _apply_roles(actor=actor, user=_locked(user), roles=role_set, reason=reason)


def user_remove_roles(*, actor: User, user: User, roles: Iterable[str]) -> User:
    """Take roles away, at once (less access needs no second person); not one's own."""
    if actor.pk == user.pk:
        raise DomainError(_("You cannot change your own roles."), field="roles")
    with transaction.atomic():
        user = _locked(user)
        remaining = set(_roles_of(user)) - set(roles)
        return _apply_roles(actor=actor, user=user, roles=remaining)


def user_update(
    *,
    actor: User,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    collar_number: str,
    agency: Agency | None,
    is_active: bool,
) -> User:
    """Change a user's details. Nobody deactivates themselves; a partner keeps an agency; when an
    administrator changes someone's e-mail address, the old address is told."""
    if actor.pk == user.pk and not is_active:
        raise DomainError(_("You cannot deactivate your own account."), field="is_active")
    with transaction.atomic():
        user = _locked(user)
        validate_roles(set(_roles_of(user)), agency)
        before = snapshot(user, USER_FIELDS)
        old_email = user.email
        user.first_name, user.last_name, user.email = first_name, last_name, email
        user.collar_number, user.agency, user.is_active = collar_number, agency, is_active
        user.save(update_fields=USER_FIELDS)
        user.forget_grants()
        changes = diff(before, snapshot(user, USER_FIELDS))
        if changes:
            record_change(
                actor=actor, action="accounts.user.changed", subject=user, changes=changes
            )
        if "email" in changes and old_email and actor.pk != user.pk:
            _notify(user, "email_changed", to=old_email, actor=actor)
    return user


# --- Role requests (the two-person rule) -----------------------------------------------------


def role_request_create(*, actor: User, user: User, role: str, reason: str) -> RoleRequest:
    """Ask for ``user`` to be given ``role``; the control-room supervisors are alerted and one of
    them decides. Nothing changes for the user until then."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise DomainError(
            _("Say why they need this role (at least %(n)d characters).")
            % {"n": MIN_REASON_LENGTH},
            field="reason",
        )
    if actor.pk == user.pk:
        raise DomainError(_("You cannot ask for a role for yourself."), field="roles")
    if user.is_system or not user.is_active:
        raise DomainError(_("Roles are given to active people only."), field="roles")
    with transaction.atomic():
        user = _locked(user)
        current = set(_roles_of(user))
        if role in current:
            raise Conflict(_("They already hold this role."), field="roles")
        validate_roles(current | {role}, user.agency)
        if RoleRequest.objects.filter(
            user=user, role=role, status=RoleRequest.Status.PENDING
        ).exists():
            raise Conflict(_("This role has already been requested for them."), field="roles")
        request = RoleRequest.objects.create(
            user=user, role=role, reason=reason, requested_by=actor
        )
        record_create(
            actor=actor,
            action="accounts.role_request.created",
            subject=request,
            fields=["user", "role"],
            reason=reason,
        )
        alert_raise(
            kind="accounts.role_request",
            subject=request,
            spec=AlertSpec(
                title=_("Role request to decide: %(role)s for %(user)s")
                % {"role": Role(role).label, "user": user.username},
                link=reverse("accounts:role-requests"),
                recipient_role=ROLE_APPROVER,
            ),
        )
    return request


def role_request_decide(
    *, actor: User, request: RoleRequest, approve: bool, reason: str = ""
) -> RoleRequest:
    """Approve (the role is added now) or refuse (a reason is needed) a pending request. Never by
    the person who asked or the person it is for; the requester is told either way."""
    reason = (reason or "").strip()
    if not approve and len(reason) < MIN_REASON_LENGTH:
        raise DomainError(
            _("Say why you refuse it (at least %(n)d characters).") % {"n": MIN_REASON_LENGTH},
            field="reason",
        )
    with transaction.atomic():
        request = RoleRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
        if actor.pk in (request.requested_by_id, request.user_id):
            raise DomainError(
                _("A role request is decided by someone other than who asked and who it is for.")
            )
        if request.status != RoleRequest.Status.PENDING:
            raise Conflict(_("This request has already been decided."))
        user = _locked(request.user)
        if approve:
            roles = set(_roles_of(user)) | {request.role}
            validate_roles(roles, user.agency)
            if not user.is_active:
                raise Conflict(_("This account has been deactivated since the request."))
        request.status = RoleRequest.Status.APPROVED if approve else RoleRequest.Status.REFUSED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        record_change(
            actor=actor,
            action=f"accounts.role_request.{request.status}",
            subject=request,
            changes={"status": [RoleRequest.Status.PENDING, request.status]},
            reason=reason,
        )
        if approve:
            _apply_roles(
                actor=actor,
                user=user,
                roles=roles,
                reason=_("Role request %(n)d approved") % {"n": request.pk},
            )
        alert_raise(
            kind="accounts.role_request.decided",
            subject=request,
            spec=AlertSpec(
                title=_("Role request %(status)s: %(role)s for %(user)s")
                % {
                    "status": request.get_status_display().lower(),
                    "role": request.get_role_display(),
                    "user": user.username,
                },
                recipient_id=request.requested_by_id,
                severity=Severity.INFO,
            ),
        )
    return request


def role_set_permissions(*, actor: User, role: Group, permissions: Iterable[Permission]) -> Group:
    """Which permissions a role holds (force configuration). Nobody changes a role they hold:
    an administrator could otherwise give their own role whatever they like."""
    if role.name in _roles_of(actor) or actor.groups.filter(pk=role.pk).exists():
        raise DomainError(
            _("You cannot change the permissions of a role you hold."), field="permissions"
        )
    with transaction.atomic():
        role = Group.objects.select_for_update().get(pk=role.pk)
        before = sorted(role.permissions.values_list("codename", flat=True))
        role.permissions.set(list(permissions))
        after = sorted(role.permissions.values_list("codename", flat=True))
        if before != after:
            record_change(
                actor=actor,
                action="accounts.role.permissions_changed",
                subject=role,
                changes={"permissions": [before, after]},
            )
    return role


# --- Credentials: passwords, second factors, API tokens, lockouts ----------------------------


def user_password_reset_send(*, actor: User, user: User, site_url: str) -> None:
    """E-mail ``user`` a link to set a new password (Django's reset flow); the message says who
    asked. Their current password keeps working until they use the link."""
    if user.is_system or not user.is_active:
        raise DomainError(_("Password resets are for active people only."))
    if not user.email:
        raise DomainError(_("Add an e-mail address for them first."), field="email")
    hold = timedelta(hours=settings.DAPOLICE_RESET_AFTER_EMAIL_CHANGE_HOURS)
    recent_change = (
        AuditEvent.objects.filter(
            subject_type=User._meta.label_lower,
            subject_id=str(user.pk),
            action="accounts.user.changed",
            at__gte=timezone.now() - hold,
            changes__has_key="email",
        )
        .exclude(actor=user)
        .exists()
    )
    if recent_change:
        raise DomainError(
            _(
                "Their e-mail address was changed in the last %(h)d hours; a reset cannot be "
                "sent to it yet (their old address has been told of the change)."
            )
            % {"h": settings.DAPOLICE_RESET_AFTER_EMAIL_CHANGE_HOURS}
        )
    with transaction.atomic():
        record_access(actor=actor, action="accounts.user.password_reset_sent", subject=user)
        path = reverse(
            "accounts:password-reset-confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        _notify(
            user,
            "password_reset",
            actor=actor,
            link=f"{site_url.rstrip('/')}{path}",
            hours=settings.PASSWORD_RESET_TIMEOUT // 3600,
        )


def user_password_reset_complete(*, user: User, password: str) -> User:
    """The user sets their own password from a reset link (the form has validated it)."""
    with transaction.atomic():
        user = _locked(user)
        user.set_password(password)
        user.save(update_fields=["password"])
        user_password_changed(user=user)
    return user


def user_password_changed(*, user: User) -> None:
    """A user changed their own password (knowing the old one): audited, and they are told."""
    with transaction.atomic():
        record_change(
            actor=user,
            action="accounts.user.password_set",
            subject=user,
            changes={"password": ["(set)", "(changed)"]},
        )
        _notify(user, "password_changed")


def mfa_device_revoke(*, actor: User, device: Device) -> None:
    """Remove a second factor (a lost phone). The user enrols a new one themselves at their next
    sign-in; nobody else can enrol one for them, and they are told."""
    user = device.user
    label = f"{device._meta.verbose_name}: {device.name}"
    with transaction.atomic():
        device.delete()
        record_change(
            actor=actor,
            action="accounts.mfa_device.revoked",
            subject=user,
            changes={"second_factor": [label, None]},
        )
        _notify(user, "mfa_revoked", actor=actor)


def api_token_revoke(*, actor: User, token: Token) -> None:
    """Remove an API token (never shown); its owner can create a new one where tokens are
    allowed."""
    user = token.user
    with transaction.atomic():
        token.delete()
        record_change(
            actor=actor,
            action="accounts.api_token.revoked",
            subject=user,
            changes={"api_token": ["(set)", None]},
        )
        _notify(user, "token_revoked", actor=actor)


def user_unlock(*, actor: User, username: str) -> int:
    """Lift a sign-in lockout (django-axes) before its cool-off ends."""
    from axes.utils import reset

    with transaction.atomic():
        cleared = int(reset(username=username))
        user = User.objects.filter(username=username).first()
        record_access(
            actor=actor,
            action="accounts.user.unlocked",
            subject=user,
            subject_type="" if user else User._meta.label_lower,
            changes={"attempts_cleared": [None, cleared]},
        )
    return cleared


# --- Bulk reads ------------------------------------------------------------------------------


def read_rate_alert(*, user: User, records: int, window_minutes: int) -> None:
    """A user passed the read rate: audit it and alert the system administrators and the
    control-room supervisors (sent once per user and window by ``dapolice.audit.throttle``)."""
    record_access(
        actor=user,
        action="audit.read_rate.exceeded",
        subject=user,
        changes={"records": [None, records], "window_minutes": [None, window_minutes]},
    )
    title = _("Bulk reading stopped: %(user)s was shown over %(n)d records in %(m)d minutes") % {
        "user": user.username,
        "n": settings.DAPOLICE_READ_RATE_LIMIT,
        "m": window_minutes,
    }
    link = f"{reverse('audit:list')}?actor={user.pk}"
    for role in (Role.SYSADMIN, Role.CONTROL_SUPERVISOR):
        alert_raise(
            kind="security.read_rate",
            subject=user,
            spec=AlertSpec(title=title, link=link, recipient_role=role, severity=Severity.URGENT),
        )


# --- Helpers ---------------------------------------------------------------------------------


def _locked(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _notify(user: User, template: str, *, to: str = "", **extra: object) -> None:
    """Send ``accounts/email/<template>.txt`` (first line the subject) when the transaction
    commits. A mail server that is down is logged (never the address) and does not undo the
    change, which is already in the audit trail."""
    address = to or user.email
    if not address:
        return
    context = {"user": user, "force_name": settings.DAPOLICE_FORCE_NAME, **extra}
    subject, _sep, body = render_to_string(f"accounts/email/{template}.txt", context).partition(
        "\n"
    )

    def send() -> None:
        try:
            send_mail(subject.strip(), body.strip() + "\n", None, [address])
        except OSError:
            logger.warning("could not send the %s notice for user %s", template, user.pk)

    transaction.on_commit(send)

"""Access rules for pages every signed-in user has, and for user administration."""

from __future__ import annotations

from django.conf import settings

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.accounts.models import RoleRequest, User
from dapolice.audit import values as audit_values


@access.rule("accounts.home")
def can_open_home(user: User, obj: object = None) -> bool:
    return not user.is_system


@access.rule("accounts.manage_users")
def can_manage_users(user: User, obj: object = None) -> bool:
    return user.has_role(Role.SYSADMIN) or bool(user.is_superuser)


@access.rule("api.docs")
def can_read_api_docs(user: User, obj: object = None) -> bool:
    """The API's schema and its Swagger page: for those who build or run integrations
    (``DAPOLICE_API_DOCS_ROLES``), not for roles whose work has no use for it (issue 8)."""
    return user.has_role(*settings.DAPOLICE_API_DOCS_ROLES) or bool(user.is_superuser)


@access.rule("audit.view")
def can_view_audit(user: User, obj: object = None) -> bool:
    # Reading the trail reveals who looked at whom; administrators and supervisors of the
    # control room audit calls (domain.md, roles).
    return user.has_role(Role.SYSADMIN, Role.CONTROL_SUPERVISOR) or bool(user.is_superuser)


@access.rule("audit.view_values")
def can_view_audited_values(user: User, obj: object = None) -> bool:
    """Old and new values and reasons can be case content (names, dates of birth): police
    auditors see them; a system administrator sees which fields changed, not to what."""
    return can_view_audit(user, obj) and user.is_police


#: Who approves or refuses a role request (the second person of the two-person rule). Control-room
#: supervisors: on duty round the clock, they already audit calls and receive the break-glass and
#: bulk-read alerts, so they know the people who ask. An administrator never approves.
ROLE_APPROVER = Role.CONTROL_SUPERVISOR


@access.rule("accounts.decide_role_requests")
def can_decide_role_requests(user: User, request: RoleRequest | None = None) -> bool:
    """The approvers' page; for one request, never the person who asked or the one it is for."""
    if not user.has_role(ROLE_APPROVER):
        return False
    if request is None:
        return True
    return user.pk not in (request.requested_by_id, request.user_id)


@access.rule("accounts.manage_configuration")
def can_manage_configuration(user: User, obj: object = None) -> bool:
    """Attendance categories, rural areas, agencies: system administrators."""
    return user.has_role(Role.SYSADMIN) or bool(user.is_superuser)


# --- The audit trail's values (dapolice.audit.values) -----------------------------------------
# Staff accounts, sign-in and the admin's own records: any police auditor sees their values.
audit_values.auditor(
    "",  # rows about no record: sign-in, sign-out, refused lookups
    "accounts.agency",
    "accounts.user",
    "accounts.rolerequest",
    "accounts.apitokenholder",
    "audit.auditevent",
    "auth.group",
    "auth.permission",
    "authtoken.token",
    "authtoken.tokenproxy",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "otp_static.statictoken",
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accesslog",
    "sessions.session",
)

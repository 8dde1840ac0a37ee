"""Access rules for pages every signed-in user has, and for user administration."""

from __future__ import annotations

from typing import Any

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User


@access.rule("accounts.home")
def can_open_home(user: User, obj: Any = None) -> bool:
    return not user.is_system


@access.rule("accounts.manage_users")
def can_manage_users(user: User, obj: Any = None) -> bool:
    return user.has_role(Role.SYSADMIN) or user.is_superuser


@access.rule("audit.view")
def can_view_audit(user: User, obj: Any = None) -> bool:
    # Reading the trail reveals who looked at whom; administrators and supervisors of the
    # control room audit calls (domain.md, roles).
    return user.has_role(Role.SYSADMIN, Role.CONTROL_SUPERVISOR) or user.is_superuser


@access.rule("audit.view_values")
def can_view_audited_values(user: User, obj: Any = None) -> bool:
    """Old and new values and reasons can be case content (names, dates of birth): police
    auditors see them; a system administrator sees which fields changed, not to what."""
    return can_view_audit(user) and user.is_police


@access.rule("accounts.manage_configuration")
def can_manage_configuration(user: User, obj: Any = None) -> bool:
    """Attendance categories, rural areas, agencies: system administrators."""
    return user.has_role(Role.SYSADMIN) or user.is_superuser

"""Users and their roles. Admin forms and ``seed_demo`` call these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from dapolice.accounts.choices import POLICE_ROLES, Role
from dapolice.accounts.models import Agency, User
from dapolice.audit.services import record_change, record_create
from dapolice.common.errors import DomainError


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
            field="groups",
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


def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    agency: Agency | None = None,
    collar_number: str = "",
) -> User:
    """Create a user holding ``roles``; a partner needs an agency and no police role."""
    role_set = set(roles)
    validate_roles(role_set, agency)
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            agency=agency,
            collar_number=collar_number,
            is_staff=Role.SYSADMIN in role_set,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.set(Group.objects.filter(name__in=role_set))
        record_create(
            actor=actor,
            action="accounts.user.created",
            subject=user,
            fields=["username", "agency", "is_staff"],
        )
        record_change(
            actor=actor,
            action="accounts.user.roles_changed",
            subject=user,
            changes={"roles": [[], sorted(role_set)]},
        )
    return user


def user_set_roles(*, actor: Any, user: User, roles: Iterable[str]) -> User:
    role_set = set(roles)
    validate_roles(role_set, user.agency)
    with transaction.atomic():
        before = sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user.groups.set(Group.objects.filter(name__in=role_set))
        user.is_staff = Role.SYSADMIN in role_set or user.is_superuser
        user.save(update_fields=["is_staff"])
        user.forget_grants()
        record_change(
            actor=actor,
            action="accounts.user.roles_changed",
            subject=user,
            changes={"roles": [before, sorted(role_set)]},
        )
    return user


def system_user() -> User:
    """The named actor of background changes (created by migration 0002)."""
    from dapolice.accounts.choices import SYSTEM_USERNAME

    return User.objects.get(username=SYSTEM_USERNAME)

"""Permissions come from roles: one query per request answers both "which roles" and "which
permissions" (``User.role_grants``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import CharField, F, OuterRef, Value
from django.db.models.functions import Concat

from dapolice.accounts.models import User
from dapolice.common.compiled import CompiledQuery


class RoleBackend(ModelBackend):
    """``ModelBackend`` whose permissions are exactly those of the user's roles (groups).

    Per-user permissions are not used anywhere (the admin does not offer them to administrators),
    so they are not read: a role is the only way to hold a permission, and the audit trail of
    role changes is the whole story.
    """

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(user_obj.role_grants()[1])

    def get_user(self, user_id: Any) -> Any:
        """The signed-in user of a request with their roles and permissions, in one query.

        Read on every request, never cached across requests: a role removed (or an account
        deactivated) counts from the very next request.
        """
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER_WITH_GRANTS.run(None, pk=pk)
        user = found[0] if found else None
        if user is None or not self.user_can_authenticate(user):
            return None
        user.set_role_grants(user.role_names, user.role_permissions)
        return user


def _user_with_grants(pk: int) -> Any:
    """The user with their role names and "app.codename" permissions (two array subqueries)."""
    mine = OuterRef("pk")
    return (
        User._default_manager.annotate(
            role_names=ArraySubquery(Group.objects.filter(user=mine).values("name")),
            role_permissions=ArraySubquery(
                Permission.objects.filter(group__user=mine)
                .annotate(
                    code=Concat(
                        F("content_type__app_label"),
                        Value("."),
                        F("codename"),
                        output_field=CharField(),
                    )
                )
                .values("code")
            ),
        )
        .filter(pk=pk)
        .order_by()
    )


#: Compiled once per process: the ORM's query building was most of this query's cost.
_USER_WITH_GRANTS = CompiledQuery("accounts.user_with_grants", _user_with_grants, {"pk": "int"})

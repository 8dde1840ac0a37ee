"""Permissions come from roles: one query per request answers both "which roles" and "which
permissions" (``User.role_grants``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


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

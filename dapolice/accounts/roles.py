"""Helpers for the data migrations that create roles and grant them permissions.

Each app grants its own model permissions to roles in a data migration of its own, through
:func:`grant`, so ``Group`` permissions stay editable in the admin afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def ensure_permissions(apps: Any, app_label: str) -> None:
    """Create the app's permissions now (Django only creates them after ``migrate`` ends)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None


def grant(apps: Any, app_label: str, grants: Mapping[str, Iterable[str]]) -> None:
    """``grants`` maps a role code to permission codenames of ``app_label``."""
    ensure_permissions(apps, app_label)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=list(codenames)
        )
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"unknown permissions for {app_label}: {sorted(missing)}")
        group.permissions.add(*perms)

"""The admin site: the index, and every registered model's list and "add" page, for every
principal. Only a system administrator (staff, through the approved role) is let in; everyone
else is sent to the admin's sign-in. Each model's other generated routes (change, delete,
history) are covered by ``PATTERNS``: ``tests/dapolice/test_admin.py`` proves every ModelAdmin is
read-only or writes through a service (``DapoliceModelAdmin``)."""

from __future__ import annotations

from django.contrib import admin

from tests.security.matrix import LOGIN, SIGNED_IN, SYSADMIN, Route, RoutePattern, expect

#: Models whose admin offers "add" (a ``ServiceModelAdmin`` saving through a service).
_ADDABLE = {
    "accounts.user",
    "accounts.agency",
    "incidents.attendancecategory",
    "incidents.ruralarea",
    "incidents.staffexclusion",
    "risk.instrument",
    "risk.officersupervisor",
    "mash.dutyrota",
}


def _staff_only() -> dict[str, str]:
    return expect({SYSADMIN}, **{LOGIN: SIGNED_IN - {SYSADMIN}})


def _rows() -> list[Route]:
    rows = [Route("admin:index", get=_staff_only())]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label_lower):
        label = model._meta.label_lower
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        rows.append(Route(f"{prefix}_changelist", get=_staff_only(), note=label))
        add = _staff_only()
        if label not in _ADDABLE:
            add[SYSADMIN] = "denied"
        rows.append(Route(f"{prefix}_add", get=add, note=label))
    return rows


ROUTES = _rows()

PATTERNS = [
    RoutePattern(
        "admin:",
        why="generated per model (change, delete, history, view on site, app index, catch-all): "
        "staff only (django.contrib.admin), and tests/dapolice/test_admin.py proves each "
        "ModelAdmin is read-only or writes through an audited service",
    ),
]

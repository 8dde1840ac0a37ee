from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from dapolice import access
from dapolice.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be edited or deleted through the app."""

    list_display = ["at", "actor", "kind", "action", "subject_type", "subject_id", "ip"]
    list_filter = ["kind"]
    search_fields = ["action", "subject_id", "request_id"]
    date_hierarchy = "at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.check(request.user, "audit.view")

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # Values and reasons can be case content; the same rule as the audit page.
        if access.check(request.user, "audit.view_values"):
            return ()
        return ("changes", "reason")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.check(request.user, "audit.view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    """A configuration admin whose every save and delete writes an audit row.

    ``audit_prefix`` names the action (``incidents.attendancecategory`` → ``...created``,
    ``...changed``, ``...deleted``); the changed fields go in as ``[old, new]``. Access follows
    the ``policy`` rule (default: system administrators).
    """

    policy = "accounts.manage_configuration"

    @property
    def audit_prefix(self) -> str:
        return str(self.model._meta.label_lower)

    def _allowed(self, request: HttpRequest) -> bool:
        return access.check(request.user, self.policy)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from dapolice.audit.services import diff, record_change, record_create, snapshot

        names = [f for f in form.changed_data if f in {x.name for x in obj._meta.concrete_fields}]
        with transaction.atomic():
            before = snapshot(type(obj).objects.get(pk=obj.pk), names) if change and names else {}
            super().save_model(request, obj, form, change)
            if change:
                record_change(
                    actor=request.user,
                    action=f"{self.audit_prefix}.changed",
                    subject=obj,
                    changes=diff(before, snapshot(obj, names)),
                )
            else:
                record_create(
                    actor=request.user,
                    action=f"{self.audit_prefix}.created",
                    subject=obj,
                    fields=names,
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from dapolice.audit.services import record_delete

        with transaction.atomic():
            record_delete(actor=request.user, action=f"{self.audit_prefix}.deleted", subject=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

from typing import Any

from django.contrib import admin
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

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.check(request.user, "audit.view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

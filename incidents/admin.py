"""Call-intake configuration a force edits. Case content (incidents, persons, addresses) is not
in the admin at all: administrators read case content only through break-glass."""

from django.contrib import admin

from dapolice.audit.admin import AuditedModelAdmin
from incidents.models import AttendanceCategory, RuralArea


@admin.register(AttendanceCategory)
class AttendanceCategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "urban_minutes", "rural_minutes", "order", "active"]
    list_editable = ["order", "active"]
    ordering = ["order"]


@admin.register(RuralArea)
class RuralAreaAdmin(AuditedModelAdmin):
    list_display = ["postcode_prefix", "note"]
    search_fields = ["postcode_prefix"]

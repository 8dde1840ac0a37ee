"""Risk configuration a force edits: the checklists (new versions only; a version already used
by an assessment is read-only, so every assessment keeps its wording) and who supervises whom.
Assessments themselves are case content and are not in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from dapolice.audit.admin import AuditedModelAdmin
from dapolice.audit.services import record_change
from risk.models import Assessment, Instrument, OfficerSupervisor, Question, Section


def _used(instrument: Any) -> bool:
    return instrument is not None and Assessment.objects.filter(instrument=instrument).exists()


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "title", "supplement", "trigger", "intro"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not _used(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return not _used(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class QuestionInline(SectionInline):
    model = Question  # type: ignore[assignment]
    fields = ["order", "number", "key", "section", "text", "hint", "counts", "standalone_high"]


@admin.register(Instrument)
class InstrumentAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "version", "audience", "active", "order"]
    list_filter = ["audience", "active"]
    inlines = [SectionInline, QuestionInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if _used(obj):
            # Only whether it is still offered may change.
            return ["code", "version", "name", "audience", "description", "order"]
        return []

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            rows = [str(o) for o in formset.new_objects]
            rows += [str(o) for o, _fields in formset.changed_objects]
            if rows:
                record_change(
                    actor=request.user,
                    action="risk.instrument.rows_changed",
                    subject=form.instance,
                    changes={formset.model._meta.model_name: [None, rows]},
                )


@admin.register(OfficerSupervisor)
class OfficerSupervisorAdmin(AuditedModelAdmin):
    list_display = ["officer", "supervisor"]

"""Call-intake configuration a force edits, and the must-not-see lists (by record id). Case
content (incidents, persons, addresses) is not in the admin at all: administrators read case
content only through break-glass."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from dapolice.audit.admin import AuditedModelAdmin, ServiceModelAdmin
from incidents import services
from incidents.models import AttendanceCategory, Incident, Person, RuralArea, StaffExclusion


@admin.register(AttendanceCategory)
class AttendanceCategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "urban_minutes", "rural_minutes", "order", "active"]
    list_editable = ["order", "active"]
    ordering = ["order"]


@admin.register(RuralArea)
class RuralAreaAdmin(AuditedModelAdmin):
    list_display = ["postcode_prefix", "note"]
    search_fields = ["postcode_prefix"]


class StaffExclusionForm(forms.ModelForm):
    """Records are named by id (the administrator sees no case content); an entry is removed,
    never deleted, with a reason."""

    person_ref = forms.IntegerField(label=_("Person id"), required=False, min_value=1)
    incident_ref = forms.IntegerField(label=_("Incident id"), required=False, min_value=1)
    remove = forms.BooleanField(label=_("Remove this entry"), required=False)
    removal_reason = forms.CharField(label=_("Why it is removed"), required=False)

    class Meta:
        model = StaffExclusion
        fields = ["user", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            person_id, incident_id = data.get("person_ref"), data.get("incident_ref")
            if bool(person_id) == bool(incident_id):
                raise forms.ValidationError(_("Give a person id or an incident id."))
            model = Person if person_id else Incident
            found = model.objects.filter(pk=person_id or incident_id).first()
            if found is None:
                raise forms.ValidationError(_("No record has that id."))
            data["record"] = found
        elif data.get("remove") and not (data.get("removal_reason") or "").strip():
            self.add_error("removal_reason", _("Say why the entry is removed."))
        return data


@admin.register(StaffExclusion)
class StaffExclusionAdmin(ServiceModelAdmin):
    """Must-not-see lists, through ``exclusion_add``/``exclusion_remove`` (audited)."""

    policy = "accounts.manage_users"
    form = StaffExclusionForm
    list_display = ["user", "person_id", "incident_id", "added_by", "added_at", "removed_at"]
    list_filter = ["removed_at"]
    list_select_related = ["user", "added_by"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "person_ref", "incident_ref", "reason"]
        return ["remove", "removal_reason"]

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> models.Model:
        data, actor = form.cleaned_data, request.user
        if not change:
            record = data["record"]
            return services.exclusion_add(
                actor=actor,  # type: ignore[arg-type]
                user=data["user"],
                reason=data["reason"],
                person=record if isinstance(record, Person) else None,
                incident=record if isinstance(record, Incident) else None,
            )
        if data.get("remove"):
            return services.exclusion_remove(
                actor=actor,  # type: ignore[arg-type]
                entry=obj,
                reason=data["removal_reason"],
            )
        return obj

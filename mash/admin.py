"""MASH configuration a force edits: the duty rota (who is the MASH team lead and the detective
sergeant taking high-risk cases out of MASH hours, shift by shift). Cases, referrals and
contacts are case content and are not in the admin."""

from __future__ import annotations

from django.contrib import admin

from dapolice.audit.admin import AuditedModelAdmin
from mash.models import DutyRota


@admin.register(DutyRota)
class DutyRotaAdmin(AuditedModelAdmin):
    list_display = ["duty", "user", "starts_at", "ends_at"]
    list_filter = ["duty"]
    date_hierarchy = "starts_at"
    fields = ["duty", "user", "starts_at", "ends_at"]

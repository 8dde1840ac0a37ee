from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dapolice.audit"
    label = "audit"
    verbose_name = "Audit trail"

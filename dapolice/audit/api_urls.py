from django.urls import path

from dapolice.audit.api import AuditEventListApi

urlpatterns = [
    path("events/", AuditEventListApi.as_view(), name="api-audit-events"),
]

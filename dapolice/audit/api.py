"""The audit trail over the API (police auditors), and the mixin that audits every API list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination

from dapolice.audit.filters import AuditEventFilter
from dapolice.audit.models import AuditEvent
from dapolice.audit.values import Shown, shown_values


class AuditedListMixin:
    """Records the ids on each returned page (``audit_list_action``) as a list read."""

    audit_list_action: str

    def paginate_queryset(self, queryset: Any) -> Any:
        from dapolice.audit.services import record_list

        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        rows = page if page is not None else list(queryset)
        record_list(
            actor=self.request.user,  # type: ignore[attr-defined]
            action=self.audit_list_action,
            model=queryset.model,
            ids=[row.pk for row in rows],
        )
        return page


class AuditCursorPagination(CursorPagination):
    """Newest first by id, no COUNT(*) (the audit table is the fastest-growing one)."""

    ordering = "-id"
    page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]


class AuditEventListApi(AuditedListMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """The audit trail, newest first, with the page's filters. Reading it is audited; old and new
    values and reasons are shown to police auditors only, and of the records they are entitled to
    (``dapolice.audit.values``; a system administrator sees which fields changed and whether a
    reason was given)."""

    policy = "audit.view"
    audit_list_action = "audit.event.listed"
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter
    pagination_class = AuditCursorPagination

    class OutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
        actor = serializers.CharField(source="actor.username")
        # A plain string: "create", "read", "list", ... (an enum would collide in the schema
        # with the incidents' marker and phone kinds).
        kind = serializers.CharField()
        changes = serializers.SerializerMethodField()
        reason = serializers.SerializerMethodField()

        class Meta:
            model = AuditEvent
            fields = [
                *("id", "at", "actor", "actor_roles", "kind", "action", "subject_type"),
                *("subject_id", "object_ids", "changes", "reason", "ip", "request_id"),
            ]

        def _shown(self, event: AuditEvent) -> Shown:
            shown: dict[int, Shown] = self.context["shown"]
            return shown[event.pk]

        def get_changes(self, event: AuditEvent) -> dict[str, Any] | list[str]:
            shown = self._shown(event)
            return shown.changes if shown.values else shown.names

        def get_reason(self, event: AuditEvent) -> str:
            return self._shown(event).reason

    serializer_class = OutputSerializer

    def get_queryset(self) -> Any:
        return AuditEvent.objects.select_related("actor")

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if args and "context" not in kwargs:
            # One batch per page: what the reader may see of each row's values.
            kwargs["context"] = {
                **self.get_serializer_context(),
                "shown": shown_values(self.request.user, list(args[0])),  # type: ignore[arg-type]
            }
        return super().get_serializer(*args, **kwargs)

    @extend_schema(operation_id="audit_events_list")
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

"""The base of every ModelAdmin on the admin site, and the audit trail's own (read-only) admin.

Every registered admin derives from :class:`DapoliceModelAdmin` (a test walks the registry):

* **Writes go through services.** The base refuses add, change and delete; an admin that allows
  one derives from :class:`ServiceModelAdmin` and implements ``service_save``/``service_delete``
  with a service, which audits. Django's own ``LogEntry`` is not written: the audit trail is the
  record.
* **Reads are audited**: each changelist page is a list read of the rows shown, each detail page a
  read (``<app>.<model>.listed`` / ``.read``).
* **No oracle in the query string**: only the lookups the list filters and the date hierarchy
  make are accepted (Django accepts any lookup on a local field, such as
  ``?changes__icontains=a``); a refused lookup is audited by name and answered 400.
* **Search terms stay out of URLs** (access logs): the search box POSTs, the term is kept in the
  session per model and applied from there; ``?q=`` in a URL is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.filters import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from dapolice import access
from dapolice.audit.models import AuditEvent
from dapolice.audit.values import shown_values

if TYPE_CHECKING:
    from dapolice.accounts.models import User

#: Session key holding ``{"app.model": "search term"}`` for the admin's changelists.
SEARCH_SESSION_KEY = "dapolice_admin_search"
_SEARCH_FIELD = "_dapolice_search"
_ALLOWED_LOOKUP_SUFFIXES = frozenset(
    {"exact", "isnull", "id__exact", "pk__exact", "year", "month", "day", "gte", "lt"}
)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class DapoliceModelAdmin(admin.ModelAdmin):
    """Read-only unless a subclass routes writes through services (see the module docstring).

    ``policy`` names the access rule that opens it (default: system administrators).
    """

    policy = "accounts.manage_configuration"
    #: Prefix of the read audit actions (default ``<app>.<model>``: ``.listed``, ``.read``).
    audit_read_prefix = ""
    change_list_template = "admin/dapolice/change_list.html"

    # --- Who -------------------------------------------------------------------------------

    def _allowed(self, request: HttpRequest) -> bool:
        return access.check(request.user, self.policy)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    # --- Writes: refused here; ServiceModelAdmin routes them through services ----------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise PermissionDenied

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        raise PermissionDenied

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise PermissionDenied

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        raise PermissionDenied

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """Not written: the audit trail (written by the service) is the record."""
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """Not written: the audit trail (written by the service) is the record."""
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        """Not written: the audit trail (written by the service) is the record."""
        return None

    # --- No value oracles in the query string ----------------------------------------------

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        paths: set[str] = set()
        for item in self.get_list_filter(request) if request is not None else self.list_filter:
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                if lookup == item.parameter_name:
                    return True
                continue
            path = item[0] if isinstance(item, list | tuple) else item
            if isinstance(path, str):
                paths.add(path)
        if self.date_hierarchy:
            paths.add(self.date_hierarchy)
        return any(
            lookup.startswith(f"{path}__") and lookup[len(path) + 2 :] in _ALLOWED_LOOKUP_SUFFIXES
            for path in paths
        )

    # --- Search through the session; reads audited -----------------------------------------

    def _search_key(self) -> str:
        return str(self.model._meta.label_lower)

    def _read_prefix(self) -> str:
        return self.audit_read_prefix or self._search_key()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST" and _SEARCH_FIELD in request.POST:
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            searches = dict(request.session.get(SEARCH_SESSION_KEY, {}))
            term = request.POST.get("q", "").strip()[:200]
            if term:
                searches[self._search_key()] = term
            else:
                searches.pop(self._search_key(), None)
            request.session[SEARCH_SESSION_KEY] = searches
            return HttpResponseRedirect(request.get_full_path())
        if "q" in request.GET:
            # A search typed into a URL is in the access log already; it is not applied.
            params = request.GET.copy()
            del params["q"]
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        term = str(request.session.get(SEARCH_SESSION_KEY, {}).get(self._search_key(), ""))
        request.dapolice_admin_search = term  # type: ignore[attr-defined]
        extra_context = {**(extra_context or {}), "session_search": term,
                         "search_field": _SEARCH_FIELD}  # fmt: skip
        try:
            response = super().changelist_view(request, extra_context)
        except DisallowedModelAdminLookup:
            self._audit_refused_lookup(request)
            raise
        changelist = getattr(response, "context_data", {}).get("cl")
        if isinstance(response, TemplateResponse) and changelist is not None:
            from dapolice.audit.services import record_list

            rows = list(changelist.result_list)
            record_list(
                actor=_actor(request),
                action=f"{self._read_prefix()}.listed",
                model=self.model,
                ids=[row.pk for row in rows],
                changes={"searched": [None, bool(term)]},
            )
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = getattr(request, "dapolice_admin_search", "")
        return super().get_search_results(request, queryset, term)

    def _audit_refused_lookup(self, request: HttpRequest) -> None:
        from dapolice.audit.services import record_access

        record_access(
            actor=_actor(request),
            action="admin.lookup_refused",
            subject_type=self._search_key(),
            changes={"lookups": [None, sorted(request.GET.keys())]},
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            from dapolice.audit.services import record_read

            record_read(actor=_actor(request), action=f"{self._read_prefix()}.read", subject=obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


class ServiceModelAdmin(DapoliceModelAdmin):
    """An admin whose writes are services: ``service_save`` creates or changes the row and
    returns it, ``service_delete`` removes it; both audit. ``allow_add``/``allow_change``/
    ``allow_delete`` open the matching pages to holders of ``policy``."""

    allow_add = True
    allow_change = True
    allow_delete = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allow_add and self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.allow_change and self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.allow_delete and self._allowed(request)

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> models.Model:
        raise NotImplementedError

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self.service_save(request, obj, form, change)
        if saved is not obj:
            # The admin's redirect and messages use the form's instance.
            obj.pk = saved.pk
            obj._state.adding = False
            obj._state.db = saved._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields and inlines are part of ``service_save``."""
        if formsets:
            raise PermissionDenied

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.service_delete(request, obj)


class AuditedModelAdmin(ServiceModelAdmin):
    """Plain configuration rows (agencies, attendance categories, rural areas): the form
    validates, ``configuration_save``/``configuration_delete`` save and audit
    (``<app>.<model>.created``/``.changed`` with ``[old, new]``/``.deleted``)."""

    allow_delete = True

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> models.Model:
        from dapolice.audit.services import configuration_save

        return configuration_save(
            actor=_actor(request), obj=obj, fields=form.changed_data, created=not change
        )

    def service_delete(self, request: HttpRequest, obj: Any) -> None:
        from dapolice.audit.services import configuration_delete

        configuration_delete(actor=_actor(request), obj=obj)


@admin.register(AuditEvent)
class AuditEventAdmin(DapoliceModelAdmin):
    """Read-only, and its reads are audited. Values and reasons are shown only to police auditors
    entitled to the record (never to system administrators), and cannot be filtered or searched
    on by anyone."""

    policy = "audit.view"
    audit_read_prefix = "audit.event"
    list_display = ["at", "actor", "kind", "action", "subject_type", "subject_id", "ip"]
    list_filter = ["kind"]
    search_fields = ["action", "subject_id", "request_id"]
    date_hierarchy = "at"

    #: The stored values and reason are never shown as such: the read-only "changes" and
    #: "reason" show them only where the reader is entitled to the record
    #: (``dapolice.audit.values``).
    exclude = ("changes", "reason", "prev_hash", "chain_hash")

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> Any:
        reader = _actor(request)  # per request: the admin instance is shared between threads

        def changes(event: AuditEvent) -> str:
            shown = shown_values(reader, [event])[event.pk]
            if not shown.values:
                return ", ".join(shown.names)
            return "; ".join(f"{name}: {change}" for name, change in shown.changes.items())

        def reason(event: AuditEvent) -> str:
            return shown_values(reader, [event])[event.pk].reason

        return (
            admin.display(description="changes")(changes),
            admin.display(description="reason")(reason),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).select_related("actor")

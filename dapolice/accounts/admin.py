"""User, role, agency and credential administration: system administrators only, every write
through ``dapolice.accounts.services`` (and so the audit trail).

What an administrator can no longer do (issue 7, finding 1): set anyone's password (they send a
reset link the user completes), see or create anyone's second factor or API token (they can
only revoke one), change the permissions of a role they hold, or give anyone a role, themselves
or a second account of theirs included (they request it; a control-room supervisor decides).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dapolice.accounts import services
from dapolice.accounts.choices import SYSTEM_USERNAME, Role
from dapolice.accounts.models import Agency, ApiTokenHolder, RoleRequest, User
from dapolice.audit.admin import AuditedModelAdmin, DapoliceModelAdmin, ServiceModelAdmin
from dapolice.common.errors import DomainError

if TYPE_CHECKING:
    from django.forms import ModelForm

MANAGE_USERS = "accounts.manage_users"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _site_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# --- Users -------------------------------------------------------------------------------------


class _UserForm(forms.ModelForm):
    """Details and roles. Roles added here are *requested* (a control-room supervisor decides);
    roles taken away go at once. The rules are the services' own (``validate_roles``), checked
    here too so a refusal appears beside the field with what was typed."""

    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "A role you add is requested, not given: a control-room supervisor approves or "
            "refuses it. A role you take away goes at once."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why they need the roles you add"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    actor: User

    def current_roles(self) -> set[str]:
        return set(self.instance.roles) if self.instance.pk else set()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "roles" not in self.fields or self.fields["roles"].disabled:
            return data
        wanted = set(data.get("roles") or [])
        added = wanted - self.current_roles()
        try:
            services.validate_roles(wanted, data.get("agency"))
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else "roles", exc.message)
        reason = (data.get("reason") or "").strip()
        if added and len(reason) < services.MIN_REASON_LENGTH:
            self.add_error(
                "reason",
                _("Say why they need it (at least %(n)d characters).")
                % {"n": services.MIN_REASON_LENGTH},
            )
        return data


class UserAddForm(_UserForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "collar_number", "agency"]


class UserChangeForm(_UserForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "collar_number", "agency", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["roles"].initial = sorted(self.current_roles())


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    policy = MANAGE_USERS
    allow_delete = False  # deactivate instead: audit rows keep pointing at the user
    list_display = ["username", "first_name", "last_name", "agency", "role_list", "is_active",
                    "last_login"]  # fmt: skip
    list_filter = ["is_active", "groups", "agency"]
    search_fields = ["username", "first_name", "last_name", "collar_number"]
    ordering = ["username"]
    actions = ["send_password_reset"]
    change_form_template = "admin/accounts/user/change_form.html"
    readonly_fields = ["username", "pending_roles", "last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # The system actor (the one that may grant roles directly) is not administered here.
        qs = super().get_queryset(request).exclude(username=SYSTEM_USERNAME)
        return qs.select_related("agency").prefetch_related("groups")

    @admin.display(description=gettext_lazy("Roles"))
    def role_list(self, user: User) -> str:
        return ", ".join(sorted(str(Role(g.name).label) for g in user.groups.all()
                                if g.name in Role.values))  # fmt: skip

    @admin.display(description=gettext_lazy("Roles waiting for approval"))
    def pending_roles(self, user: User) -> str:
        pending = user.role_requests.filter(status=RoleRequest.Status.PENDING)
        return ", ".join(r.get_role_display() for r in pending) or "–"

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> Any:
        person = ["username", "first_name", "last_name", "email", "collar_number", "agency"]
        if obj is None:
            return (
                (None, {"fields": person}),
                (_("Roles to request"), {"fields": ["roles", "reason"]}),
            )
        return (
            (None, {"fields": person}),
            (_("Roles"), {"fields": ["roles", "pending_roles", "reason", "is_active"]}),
            (_("Dates"), {"fields": ["last_login", "date_joined"]}),
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[User]]:
        kwargs["form"] = UserAddForm if obj is None else UserChangeForm
        form = super().get_form(request, obj, change=change, **kwargs)
        actor = _actor(request)
        disabled = ["roles", "is_active"] if obj is not None and obj.pk == actor.pk else []

        class BoundForm(form):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kw: Any):
                super().__init__(*args, **kw)
                self.actor = actor
                for name in disabled:
                    if name in self.fields:
                        self.fields[name].disabled = True

        return BoundForm

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> User:
        actor, data = _actor(request), form.cleaned_data
        details = {k: data[k] for k in ["first_name", "last_name", "email", "collar_number",
                                        "agency"]}  # fmt: skip
        if change:
            user = services.user_update(
                actor=actor, user=obj, is_active=data.get("is_active", obj.is_active), **details
            )
        else:
            user = services.user_create(actor=actor, username=data["username"], **details)
        if form.fields["roles"].disabled:
            return user
        wanted = set(data.get("roles") or [])
        current = set(user.roles)
        try:
            if current - wanted:
                services.user_remove_roles(actor=actor, user=user, roles=current - wanted)
            for role in sorted(wanted - current):
                services.role_request_create(
                    actor=actor, user=user, role=role, reason=data.get("reason", "")
                )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            if wanted - current:
                self.message_user(
                    request,
                    _("Requested: %(roles)s. It takes effect when a control-room supervisor "
                      "approves it.") % {"roles": ", ".join(sorted(wanted - current))},
                    messages.WARNING,
                )  # fmt: skip
        if not change and user.email:
            self._send_reset(request, user)
        elif not change:
            self.message_user(
                request,
                _("%(user)s has no password yet: add their e-mail address, then send a password "
                  "reset.") % {"user": user.username},
                messages.WARNING,
            )  # fmt: skip
        return user

    def _send_reset(self, request: HttpRequest, user: User) -> bool:
        try:
            services.user_password_reset_send(
                actor=_actor(request), user=user, site_url=_site_url(request)
            )
        except DomainError as exc:
            self.message_user(request, f"{user.username}: {exc.message}", messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(user)s has been sent a link to set their password.") % {"user": user.username},
        )
        return True

    @admin.action(description=gettext_lazy("Send a password reset"), permissions=["change"])
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            self._send_reset(request, user)

    def get_urls(self) -> list[URLPattern]:
        reset = path(
            "<int:pk>/password-reset/",
            self.admin_site.admin_view(require_POST(self.password_reset_view)),
            name="accounts_user_password_reset",
        )
        return [reset, *super().get_urls()]

    def password_reset_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = get_object_or_404(self.get_queryset(request), pk=pk)
        self._send_reset(request, user)
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))


@admin.register(RoleRequest)
class RoleRequestAdmin(DapoliceModelAdmin):
    """Read-only: requests are made on the user's page and decided by the approvers."""

    policy = MANAGE_USERS
    list_display = ["user", "role", "status", "requested_by", "created_at", "decided_by",
                    "decided_at"]  # fmt: skip
    list_filter = ["status", "role"]
    list_select_related = ["user", "requested_by", "decided_by"]


# --- Agencies and roles ----------------------------------------------------------------------


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    allow_delete = False  # users and alerts point at agencies
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


class RoleForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["permissions"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        permissions = self.fields.get("permissions")  # not there when shown read-only
        if isinstance(permissions, forms.ModelMultipleChoiceField):
            permissions.queryset = Permission.objects.select_related("content_type")


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ServiceModelAdmin):
    """Roles are groups; which permissions a role holds is force configuration, changed through
    ``role_set_permissions`` (audited), never by someone who holds that role."""

    policy = MANAGE_USERS
    allow_add = False  # the roles are fixed; their permissions are not
    form = RoleForm
    fields = ["name", "permissions"]
    readonly_fields = ["name"]
    filter_horizontal = ["permissions"]
    search_fields = ["name"]

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if obj is not None and _actor(request).groups.filter(pk=obj.pk).exists():
            return False  # shown read-only: your own role
        return super().has_change_permission(request, obj)

    def service_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> Group:
        return services.role_set_permissions(
            actor=_actor(request), role=obj, permissions=form.cleaned_data["permissions"]
        )


# --- Credentials: second factors, API tokens, lockouts -------------------------------------


class _CredentialListAdmin(DapoliceModelAdmin):
    """A list only: no page shows one credential (it would show its secret), none is added or
    changed here; the one action revokes through a service."""

    policy = MANAGE_USERS
    list_display_links = None
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return obj is None and self._allowed(request)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)


def _unregister(model: type[models.Model]) -> None:
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _register_second_factors() -> None:
    """Every django-otp device type the site has (TOTP, backup codes, and a phone device if the
    two_factor phone plugin were installed), whatever admin its package registered."""
    from django_otp.models import Device
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    registered = [m for m in admin.site._registry if issubclass(m, Device)]
    for model in {TOTPDevice, StaticDevice, *registered}:
        _unregister(model)
        admin.site.register(model, SecondFactorAdmin)


class SecondFactorAdmin(_CredentialListAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    actions = ["revoke"]

    @admin.action(description=gettext_lazy("Revoke (the user enrols a new one themselves)"),
                  permissions=["revoke"])  # fmt: skip
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for device in queryset:
            services.mfa_device_revoke(actor=_actor(request), device=device)
        self.message_user(request, _("Revoked; the users have been told."))


@admin.register(ApiTokenHolder)
class ApiTokenAdmin(_CredentialListAdmin):
    """Users holding an API token (a token's primary key is the token itself, so rows are the
    users); the key is never shown."""

    list_display = ["username", "first_name", "last_name", "token_created"]
    search_fields = ["username", "first_name", "last_name"]
    list_select_related = []
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).filter(auth_token__isnull=False)
            .select_related("auth_token")
        )  # fmt: skip

    @admin.display(description=gettext_lazy("Created"))
    def token_created(self, user: ApiTokenHolder) -> Any:
        return user.auth_token.created

    @admin.action(description=gettext_lazy("Revoke their API token"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        from rest_framework.authtoken.models import Token

        for token in Token.objects.filter(user__in=queryset).select_related("user"):
            services.api_token_revoke(actor=_actor(request), token=token)
        self.message_user(request, _("Revoked; the users have been told."))


class LockoutAdmin(DapoliceModelAdmin):
    """Sign-in attempts (django-axes), read-only lists; a lockout is lifted through a service."""

    policy = MANAGE_USERS
    list_display_links = None
    search_fields = ["username", "ip_address"]
    list_filter = ["attempt_time"]
    date_hierarchy = "attempt_time"

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return obj is None and self._allowed(request)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)


class AccessAttemptAdmin(LockoutAdmin):
    list_display = ["attempt_time", "username", "ip_address", "failures_since_start"]
    actions = ["unlock"]

    @admin.action(description=gettext_lazy("Lift the lockout"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for username in sorted(set(queryset.values_list("username", flat=True))):
            services.user_unlock(actor=_actor(request), username=username)
        self.message_user(request, _("Lockouts lifted."))


class AccessLogAdmin(LockoutAdmin):
    list_display = ["attempt_time", "logout_time", "username", "ip_address"]


class AccessFailureLogAdmin(LockoutAdmin):
    list_display = ["attempt_time", "username", "ip_address", "locked_out"]


def _register_credentials() -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from rest_framework.authtoken.models import TokenProxy

    _register_second_factors()
    _unregister(TokenProxy)
    for model, model_admin in ((AccessAttempt, AccessAttemptAdmin), (AccessLog, AccessLogAdmin),
                               (AccessFailureLog, AccessFailureLogAdmin)):  # fmt: skip
        _unregister(model)
        admin.site.register(model, model_admin)


_register_credentials()


def _audited_own_password_change(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    """The admin's "change password" (one's own, with the old one): audited like a reset."""
    response = _own_password_change(request, extra_context)
    if request.method == "POST" and response.status_code == 302:
        services.user_password_changed(user=_actor(request))
    return response


_own_password_change = admin.site.password_change
admin.site.password_change = _audited_own_password_change  # type: ignore[method-assign,assignment]

"""User, agency and role administration: system administrators only, every change audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.accounts.models import Agency, User
from dapolice.accounts.services import validate_roles
from dapolice.audit.admin import AuditedModelAdmin
from dapolice.audit.services import diff, record_change, record_create, snapshot
from dapolice.common.errors import DomainError

USER_AUDIT_FIELDS = ["username", "first_name", "last_name", "email", "agency", "collar_number",
                     "is_active", "is_staff", "is_superuser"]  # fmt: skip


class _RoleRulesMixin:
    """The admin form refuses what ``user_create`` refuses: a partner without an agency or with
    a police role."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        groups = data.get("groups")
        roles = {g.name for g in groups} if groups is not None else set()
        try:
            validate_roles(roles & set(Role.values), data.get("agency"))
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)  # type: ignore[attr-defined]
        return data


class UserChangeForm(_RoleRulesMixin, DjangoUserAdmin.form):  # type: ignore[name-defined,misc]
    """Django's user change form with the role rules of ``user_create``."""


class UserCreationForm(_RoleRulesMixin, DjangoUserAdmin.add_form):  # type: ignore[name-defined,misc]
    class Meta(DjangoUserAdmin.add_form.Meta):  # type: ignore[name-defined,misc]
        model = User
        fields = ("username", "first_name", "last_name", "agency", "groups")

    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.all(), required=False, label="Roles"
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "first_name", "last_name", "agency", "is_active", "last_login"]
    list_filter = ["is_active", "groups", "agency"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "collar_number", "agency")}),
        ("Roles", {"fields": ("groups", "is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "agency", "groups",
                           "password1", "password2")}),
    )  # fmt: skip
    readonly_fields = ["last_login", "date_joined"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser makes superusers or staff; nobody edits their own roles.
            readonly += ["is_superuser", "is_staff"]
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["groups", "is_active"]
        return readonly

    def _allowed(self, request: HttpRequest) -> bool:
        return access.check(request.user, "accounts.manage_users")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: audit rows keep pointing at the user

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = snapshot(User.objects.get(pk=obj.pk), USER_AUDIT_FIELDS) if change else {}
            super().save_model(request, obj, form, change)
            if change:
                changes = diff(before, snapshot(obj, USER_AUDIT_FIELDS))
                if "password" in form.changed_data:
                    changes["password"] = ["(set)", "(changed)"]
                record_change(
                    actor=request.user, action="accounts.user.changed", subject=obj,
                    changes=changes,
                )  # fmt: skip
            else:
                record_create(
                    actor=request.user, action="accounts.user.created", subject=obj,
                    fields=USER_AUDIT_FIELDS,
                )  # fmt: skip

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user = form.instance
        before = sorted(user.groups.values_list("name", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        after = sorted(user.groups.values_list("name", flat=True))
        if before != after:
            record_change(
                actor=request.user,
                action="accounts.user.roles_changed",
                subject=user,
                changes={"roles": [before, after]},
            )


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(DjangoGroupAdmin):
    """Roles are groups; which permissions a role holds is force configuration, audited."""

    def _allowed(self, request: HttpRequest) -> bool:
        return access.check(request.user, "accounts.manage_users")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the roles are fixed; their permissions are not

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group = form.instance
        before = sorted(group.permissions.values_list("codename", flat=True))
        super().save_related(request, form, formsets, change)
        after = sorted(group.permissions.values_list("codename", flat=True))
        if before != after:
            record_change(
                actor=request.user,
                action="accounts.role.permissions_changed",
                subject=group,
                changes={"permissions": [before, after]},
            )

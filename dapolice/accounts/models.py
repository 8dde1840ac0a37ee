"""Users, their agency and their roles (Django groups named by ``Role`` values)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dapolice.accounts.choices import POLICE_ROLES, SYSTEM_USERNAME, AgencyKind, Role
from dapolice.common.models import BaseModel


class Agency(BaseModel):
    """An organisation whose staff use the system: the force itself or a MARAC partner."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AgencyKind.choices)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Roles are group memberships; partners belong to one agency.

    The ``system`` user (created by migration, unable to sign in) is the named actor of every
    change made by a background task.
    """

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT
    )
    collar_number = models.CharField(_("collar or staff number"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def roles(self) -> frozenset[str]:
        """Role codes held, read once per request (a user object lives for one request)."""
        return self.role_grants()[0]

    def role_grants(self) -> tuple[frozenset[str], frozenset[str]]:
        """(role codes, "app.codename" permissions of those roles), in one query, kept on the
        object: every page asks both (policies check the role and the permission)."""
        cached = self.__dict__.get("_role_grants")
        if cached is not None:
            return cached
        if not self.is_active or self.pk is None:
            grants: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        else:
            rows = self.groups.values_list(
                "name", "permissions__content_type__app_label", "permissions__codename"
            )
            names = {name for name, _, _ in rows}
            perms = {f"{app}.{code}" for _, app, code in rows if code}
            grants = (frozenset(n for n in names if n in Role.values), frozenset(perms))
        self.__dict__["_role_grants"] = grants
        return grants

    def forget_grants(self) -> None:
        """After a change of roles: the next check reads them again."""
        for attr in ("_role_grants", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            self.__dict__.pop(attr, None)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_police(self) -> bool:
        return bool(self.roles & POLICE_ROLES)

    @property
    def is_partner(self) -> bool:
        return Role.PARTNER in self.roles and self.agency_id is not None

    @property
    def is_system(self) -> bool:
        return self.username == SYSTEM_USERNAME

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in Role.values if r in self.roles]

"""Users, their agency and their roles (Django groups named by ``Role`` values)."""

from __future__ import annotations

from collections.abc import Iterable

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
        cached: tuple[frozenset[str], frozenset[str]] | None = self.__dict__.get("_role_grants")
        if cached is not None:
            return cached
        if not self.is_active or self.pk is None:
            grants: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        else:
            rows = self.groups.values_list(
                "name", "permissions__content_type__app_label", "permissions__codename"
            )
            grants = self.set_role_grants(
                [name for name, _, _ in rows], [f"{app}.{code}" for _, app, code in rows if code]
            )
        self.__dict__["_role_grants"] = grants
        return grants

    def set_role_grants(
        self, groups: Iterable[str], permissions: Iterable[str]
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Keep the grants read with the user itself (``RoleBackend.get_user``: one query for
        the user, the roles and the permissions on every request)."""
        grants: tuple[frozenset[str], frozenset[str]] = (
            (frozenset(n for n in groups if n in Role.values), frozenset(permissions))
            if self.is_active and self.pk is not None
            else (frozenset(), frozenset())
        )
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


class RoleRequest(BaseModel):
    """A request to give ``user`` a role: made by an administrator, decided by someone else.

    No role is ever granted by the person who asked for it (the two-person rule): an
    administrator requests it, a control-room supervisor approves or refuses it, and the role is
    added only on approval. The database refuses a decision by the requester or by the user the
    role is for, and more than one open request per user and role.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="role_requests"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    reason = models.TextField(_("why they need it"))
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("role request")
        verbose_name_plural = _("role requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(status="pending"),
                name="rolerequest_one_open_per_user_role",
            ),
            models.CheckConstraint(
                condition=~models.Q(requested_by=models.F("user")),
                name="rolerequest_not_for_oneself",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                    | (
                        ~models.Q(status="pending")
                        & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                        & ~models.Q(decided_by=models.F("requested_by"))
                        & ~models.Q(decided_by=models.F("user"))
                    )
                ),
                name="rolerequest_decided_by_a_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} for {self.user.username}"


class ApiTokenHolder(User):
    """A user who holds an API token: the admin lists these (a token's own primary key is its
    secret, so the admin never lists tokens themselves) and can revoke their tokens."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

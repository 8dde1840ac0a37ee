"""Roles and agency kinds. Each role is a Django group (created by migration 0002)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CALL_TAKER = "call_taker", _("Call taker")
    CONTROL_SUPERVISOR = "control_supervisor", _("Control-room supervisor")
    ATTENDING_OFFICER = "attending_officer", _("Attending officer")
    SUPERVISOR = "supervisor", _("Supervisor (sergeant)")
    MASH = "mash", _("MASH staff")
    INVESTIGATOR = "investigator", _("Investigator")
    MARAC_COORDINATOR = "marac_coordinator", _("MARAC coordinator")
    PARTNER = "partner", _("Partner agency member")
    ANALYST = "analyst", _("Analyst or senior leader")
    SYSADMIN = "sysadmin", _("System administrator")


#: Roles held by police staff (who see police intelligence); a partner never holds one of these.
POLICE_ROLES = frozenset(
    {
        Role.CALL_TAKER,
        Role.CONTROL_SUPERVISOR,
        Role.ATTENDING_OFFICER,
        Role.SUPERVISOR,
        Role.MASH,
        Role.INVESTIGATOR,
        Role.MARAC_COORDINATOR,
        Role.ANALYST,
    }
)


class AgencyKind(models.TextChoices):
    POLICE = "police", _("Police")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    CHILDRENS_SERVICES = "childrens_services", _("Children's services")
    ADULT_SERVICES = "adult_services", _("Adult services")
    IDVA = "idva", _("IDVA service")
    PROBATION = "probation", _("Probation")
    EDUCATION = "education", _("Schools and education")
    OTHER = "other", _("Other")


SYSTEM_USERNAME = "system"

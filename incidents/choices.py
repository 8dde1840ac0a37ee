"""Fixed codes of call intake. Tunable numbers are settings or admin-edited rows, not here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonRole(models.TextChoices):
    VICTIM = "victim", _("Victim")
    SUSPECT = "suspect", _("Suspect")
    CHILD = "child", _("Child")
    OTHER = "other", _("Other person present")


class Relationship(models.TextChoices):
    PARTNER = "partner", _("Partner")
    EX_PARTNER = "ex_partner", _("Ex-partner")
    FAMILY = "family", _("Family member")
    OTHER = "other", _("Other")


class MarkerKind(models.TextChoices):
    FIREARM_CERTIFICATE = "firearm_certificate", _("Firearm certificate")
    WEAPONS = "weapons", _("Weapons")
    VIOLENCE = "violence", _("Violence")
    TREAT_AS_EMERGENCY = "treat_as_emergency", _("Treat any call as an emergency")
    CHILDREN_AT_ADDRESS = "children_at_address", _("Children at the address")
    RESTRICTED_ADDRESS = "restricted_address", _("Restricted address")
    OTHER = "other", _("Other")


#: Markers that warn whoever attends: never hidden by an address's restriction (issue 7).
SAFETY_MARKERS = frozenset(
    {
        MarkerKind.FIREARM_CERTIFICATE,
        MarkerKind.WEAPONS,
        MarkerKind.VIOLENCE,
        MarkerKind.TREAT_AS_EMERGENCY,
    }
)


class RiskLevel(models.TextChoices):
    """The DASH outcome, recorded on the incident by the risk app through a service."""

    NOT_ASSESSED = "", _("Not assessed")
    STANDARD = "standard", _("Standard")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


#: Order for "highest risk level".
RISK_RANK = {
    RiskLevel.NOT_ASSESSED: 0,
    RiskLevel.STANDARD: 1,
    RiskLevel.MEDIUM: 2,
    RiskLevel.HIGH: 3,
}


class IncidentStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting attendance")
    DISPATCHED = "dispatched", _("Officer dispatched")
    ATTENDED = "attended", _("Attended")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (IncidentStatus.AWAITING, IncidentStatus.DISPATCHED)


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    OTHER = "other", _("Other")


# Deadline kinds of an incident's attendance (``dapolice.alerts``; handlers in
# ``incidents.receivers``): a warning before the deadline, the breach at it, and the escalation
# to the duty inspector a while after it. Set on logging, moved by a regrade or deferral,
# cancelled by the arrival, each in the transaction of that change.
ATTENDANCE_WARNING = "incidents.attendance.warning"
ATTENDANCE_BREACH = "incidents.attendance.breach"
ATTENDANCE_ESCALATION = "incidents.attendance.escalation"
ATTENDANCE_DEADLINES = (ATTENDANCE_WARNING, ATTENDANCE_BREACH, ATTENDANCE_ESCALATION)


class CustodyEventKind(models.TextChoices):
    """A change in a suspect's bail or custody (HMIC recommendation 12): each one means the
    victim is told (Victims' Code, right 6) and their risk re-assessed."""

    BAIL_GRANTED = "bail_granted", _("Bail granted")
    BAIL_VARIED = "bail_varied", _("Bail conditions varied")
    BAIL_CANCELLED = "bail_cancelled", _("Bail cancelled")
    RELEASED_UNDER_INVESTIGATION = "released_ui", _("Released under investigation")
    CHARGED_REMANDED = "charged_remanded", _("Charged and remanded in custody")
    RELEASED_FROM_CUSTODY = "released_custody", _("Released from custody")
    RELEASED_FROM_PRISON = "released_prison", _("Released from prison")


#: Deadline kinds of a custody event: the victim told within the Victims' Code timescale (cancelled
#: when "victim informed" is recorded) and the victim's risk re-assessed (due at once: a task).
#: Their alerts are raised by ``mash.receivers``, which knows the victim's SPOC.
CUSTODY_TELL_VICTIM_DEADLINE = "incidents.custody.tell_victim"
CUSTODY_REASSESS_DEADLINE = "incidents.custody.reassess"

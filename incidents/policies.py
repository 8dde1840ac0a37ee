"""Who may see and do what in call intake.

Role capabilities are Django permissions granted to role groups by migration 0002 (editable in
the admin); the object rules are here. Partner agencies see nothing of police intake (they see
what a MARAC shares with them, in ``marac``); analysts see aggregates only; administrators see
case content only through break-glass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice import access
from dapolice.access.breakglass import break_glass_active
from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.audit import values as audit_values

if TYPE_CHECKING:
    from incidents.models import Incident

NOTHING = Q(pk__in=[])


def _police(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_police)


def _excluded_person_ids(user: User) -> Any:
    from incidents.models import StaffExclusion

    return (
        StaffExclusion.objects.active()
        .filter(user_id=user.pk, person__isnull=False)
        .values("person_id")
    )


def incident_exclusion(user: User) -> Q:
    """The incidents ``user`` must not see (must-not-see lists): named on the incident, or a
    person in it names them. Subqueries in the same statement: no extra query per read."""
    from incidents.models import IncidentPerson, StaffExclusion

    named = (
        StaffExclusion.objects.active()
        .filter(user_id=user.pk, incident__isnull=False)
        .values("incident_id")
    )
    through_people = IncidentPerson.objects.filter(person_id__in=_excluded_person_ids(user)).values(
        "incident_id"
    )
    return Q(pk__in=named) | Q(pk__in=through_people)


def incident_visibility(user: User) -> Q:
    if not (_police(user) and user.has_perm("incidents.view_incident")):
        return NOTHING
    return ~incident_exclusion(user)


def person_visibility(user: User) -> Q:
    if not (_police(user) and user.has_perm("incidents.view_person")):
        return NOTHING
    return ~Q(pk__in=_excluded_person_ids(user))


def address_visibility(user: User) -> Q:
    return Q() if _police(user) and user.has_perm("incidents.view_address") else NOTHING


# Who may: the role's permissions (granted to role groups by migration 0002, editable in the
# admin) and, for the rules the admin must not widen, the role itself. Never the record's state:
# "the incident is already attended" is the service's Conflict, not a refusal here.


@access.rule("incidents.create", who=_("call takers and control-room supervisors"))
def can_create_incident(user: User, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_incident")


@access.rule("incidents.view", who=_("police staff with access to incidents"))
def can_view_incidents(user: User, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.view_incident")


@access.rule("incidents.board", who=_("the control room and attending officers"))
def can_view_board(user: User, obj: Any = None) -> bool:
    return can_view_incidents(user) and user.has_perm("incidents.record_attendance")


@access.rule("incidents.match", who=_("police staff with access to persons"))
def can_search_persons(user: User, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.view_person")


@access.rule("incidents.matching.models", who=_("analysts"))
def can_manage_matching_models(user: User, obj: Any = None) -> bool:
    """Compare the matching engine's trained models and promote one (issue 14): aggregate
    figures and weights only, no person's data."""
    return bool(user.is_authenticated and user.is_active and user.has_role(Role.ANALYST))


@access.rule("incidents.person.create", who=_("call takers and control-room supervisors"))
def can_create_person(user: User, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_person")


@access.rule(
    "incidents.marker.create",
    who=_("the control room, attending officers, supervisors and MASH staff"),
)
def can_create_marker(user: User, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_marker")


@access.rule("incidents.address.restrict", who=_("MASH staff and supervisors"))
def can_restrict_address(user: User, address: Any = None) -> bool:
    """Making an address restricted (a refuge or safe address), or lifting it, is a
    safeguarding decision of named roles (issue 7, finding 6): the role is checked as well as
    the permission, so granting ``add_marker`` to another role does not widen it."""
    return (
        _police(user)
        and user.has_role(Role.MASH, Role.SUPERVISOR)
        and user.has_perm("incidents.add_marker")
    )


@access.rule(
    "incidents.attendance.backdate",
    who=_("a control-room supervisor or a supervisor, with a reason"),
)
def can_backdate_attendance(user: User, incident: Any = None) -> bool:
    """May record a dispatch or arrival time more than a few minutes before it is recorded."""
    return can_record_attendance(user) and user.has_role(Role.CONTROL_SUPERVISOR, Role.SUPERVISOR)


@access.rule(
    "incidents.reveal.review",
    who=_("control-room supervisors and supervisors (never their own reveal)"),
)
def can_review_reveals(user: User, reveal: Any = None) -> bool:
    """The second person who signs off a break-glass reveal."""
    allowed = _police(user) and user.has_role(Role.CONTROL_SUPERVISOR, Role.SUPERVISOR)
    if reveal is None:
        return allowed
    return allowed and reveal.revealed_by_id != user.pk


@access.rule("incidents.regrade", who=_("call takers and control-room supervisors"))
def can_regrade(user: User, incident: Any = None) -> bool:
    """The control room re-applies THRIVE when the situation changes."""
    return can_create_incident(user)


@access.rule("incidents.defer", who=_("a control-room supervisor"))
def can_defer(user: User, incident: Any = None) -> bool:
    """Only a control-room supervisor may defer attendance past the deadline (HMIC rec. 2).

    The role is checked as well as the permission: granting the permission to another role in
    the admin must not break the rule.
    """
    return (
        _police(user)
        and user.has_role(Role.CONTROL_SUPERVISOR)
        and user.has_perm("incidents.defer_incident")
    )


@access.rule("incidents.record_attendance", who=_("the control room and attending officers"))
def can_record_attendance(user: User, incident: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.record_attendance")


def incident_is_attached(user: User, incident: Incident) -> bool:
    """True when ``user`` is attached to ``incident`` as an attending officer."""
    from incidents.selectors import incident_officer_ids

    return bool(user.is_authenticated and user.pk in incident_officer_ids(incident))


@access.rule(
    "incidents.address.reveal",
    who=_("control-room supervisors, supervisors, MASH staff and investigators"),
)
def can_request_reveal(user: User, address: Any = None) -> bool:
    """May ask to see a restricted address in clear (with a reason; break-glass).

    Never a call taker (domain.md: must never see refuge addresses), whatever the admin grants.
    """
    return (
        _police(user)
        and not user.has_role(Role.CALL_TAKER)
        and user.has_perm("incidents.reveal_restricted_address")
    )


def reveal_scope(incident: Any) -> str:
    """The part of a restricted address a reveal opens: the address on one incident only."""
    return f"incident:{incident.pk}"


def can_see_address_in_clear(user: User, address: Any, incident: Any = None) -> bool:
    """An unrestricted address, or a restricted one that this user revealed, with a live
    break-glass grant, for ``incident``: a reveal shows the address on the incident it was
    granted for, nowhere else (not in the match panel, the board, the API's other records)."""
    if not address.is_restricted:
        return True
    if incident is None:
        return False
    return can_request_reveal(user, address) and break_glass_active(
        actor=user, subject=address, what=reveal_scope(incident)
    )


# --- The audit trail's values (dapolice.audit.values) -----------------------------------------
#: An address's location is never shown in the trail, whoever reads it: it may be a refuge (the
#: audit rows of addresses hold none, and this holds if one ever does). Its rural flag too
#: (finding 10).
ADDRESS_LOCATION = ("house", "street", "locality", "town", "postcode", "postcode_key",
                    "house_key", "is_rural")  # fmt: skip
audit_values.auditor("incidents.attendancecategory", "incidents.ruralarea")
audit_values.record("incidents.address", withheld=ADDRESS_LOCATION)
audit_values.record("incidents.person")
audit_values.record("incidents.personname", via=["person"])
audit_values.record("incidents.personphone", via=["person"])
audit_values.record("incidents.marker", via=["person", "address"])
audit_values.record("incidents.incident")
audit_values.record("incidents.incidentperson", via=["incident"])
audit_values.record("incidents.incidentcall")
audit_values.record("incidents.incidentofficer", via=["incident"])
audit_values.record("incidents.addressreveal")
audit_values.record("incidents.staffexclusion", via=["incident", "person"])
audit_values.auditor("matching.matchingmodel", "matching.matchtermfrequency")
audit_values.record("matching.matchlabel", via=["person"])
audit_values.record("incidents.custodyevent", via=["incident"])
audit_values.auditor("incidents.dutyinspectorshift")

#: Police roles who record a suspect's bail or custody change on an incident (rec. 12): the
#: attending officer, the investigator and the sergeant. The control room and the MASH do not:
#: the officer in the case knows what the court or custody suite decided.
CUSTODY_ROLES = (Role.ATTENDING_OFFICER, Role.INVESTIGATOR, Role.SUPERVISOR)


@access.rule("incidents.custody.record", who=_("attending officers, investigators and supervisors"))
def can_record_custody(user: User, incident: Any = None) -> bool:
    return _police(user) and user.has_role(*CUSTODY_ROLES)


@access.rule(
    "incidents.custody.inform",
    who=_("attending officers, investigators, supervisors and MASH staff"),
)
def can_record_victim_informed(user: User, event: Any = None) -> bool:
    """Who told the victim: the officer in the case, or the victim's SPOC (often MASH staff)."""
    return _police(user) and user.has_role(*CUSTODY_ROLES, Role.MASH)


@access.rule(
    "incidents.inspector_rota", who=_("supervisors, control-room supervisors and administrators")
)
def can_edit_inspector_rota(user: User, obj: Any = None) -> bool:
    """The duty inspector rota: sergeants and control-room supervisors keep it, administrators
    too (it is configuration, not case content)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.has_role(Role.SUPERVISOR, Role.CONTROL_SUPERVISOR, Role.SYSADMIN)

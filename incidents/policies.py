"""Who may see and do what in call intake.

Role capabilities are Django permissions granted to role groups by migration 0002 (editable in
the admin); the object rules are here. Partner agencies see nothing of police intake (they see
what a MARAC shares with them, in ``marac``); analysts see aggregates only; administrators see
case content only through break-glass.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from dapolice import access
from dapolice.access.breakglass import break_glass_active
from dapolice.accounts.choices import Role

NOTHING = Q(pk__in=[])


def _police(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_police)


def incident_visibility(user: Any) -> Q:
    return Q() if _police(user) and user.has_perm("incidents.view_incident") else NOTHING


def person_visibility(user: Any) -> Q:
    return Q() if _police(user) and user.has_perm("incidents.view_person") else NOTHING


def address_visibility(user: Any) -> Q:
    return Q() if _police(user) and user.has_perm("incidents.view_address") else NOTHING


@access.rule("incidents.create")
def can_create_incident(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_incident")


@access.rule("incidents.view")
def can_view_incidents(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.view_incident")


@access.rule("incidents.board")
def can_view_board(user: Any, obj: Any = None) -> bool:
    return can_view_incidents(user) and user.has_perm("incidents.record_attendance")


@access.rule("incidents.match")
def can_search_persons(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.view_person")


@access.rule("incidents.person.create")
def can_create_person(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_person")


@access.rule("incidents.marker.create")
def can_create_marker(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("incidents.add_marker")


@access.rule("incidents.regrade")
def can_regrade(user: Any, incident: Any = None) -> bool:
    """The control room re-applies THRIVE to an open incident when the situation changes."""
    if not can_create_incident(user):
        return False
    return incident is None or incident.is_open


@access.rule("incidents.defer")
def can_defer(user: Any, incident: Any = None) -> bool:
    """Only a control-room supervisor may defer attendance past the deadline (HMIC rec. 2).

    The role is checked as well as the permission: granting the permission to another role in
    the admin must not break the rule.
    """
    if not (
        _police(user)
        and user.has_role(Role.CONTROL_SUPERVISOR)
        and user.has_perm("incidents.defer_incident")
    ):
        return False
    return incident is None or incident.is_open


@access.rule("incidents.record_attendance")
def can_record_attendance(user: Any, incident: Any = None) -> bool:
    if not (_police(user) and user.has_perm("incidents.record_attendance")):
        return False
    return incident is None or incident.is_open


def incident_is_attached(user: Any, incident: Any) -> bool:
    """True when ``user`` is attached to ``incident`` as an attending officer."""
    from incidents.selectors import incident_officer_ids

    return bool(user.is_authenticated and user.pk in incident_officer_ids(incident))


@access.rule("incidents.address.reveal")
def can_request_reveal(user: Any, address: Any = None) -> bool:
    """May ask to see a restricted address in clear (with a reason; break-glass).

    Never a call taker (domain.md: must never see refuge addresses), whatever the admin grants.
    """
    return (
        _police(user)
        and not user.has_role(Role.CALL_TAKER)
        and user.has_perm("incidents.reveal_restricted_address")
    )


def can_see_address_in_clear(user: Any, address: Any) -> bool:
    """An unrestricted address, or a restricted one revealed by this user's live break-glass."""
    if not address.is_restricted:
        return True
    return can_request_reveal(user, address) and break_glass_active(actor=user, subject=address)

"""Who may see and do what in call intake, rule by rule and role by role
(``incidents/policies.py``), and what a permission granted by mistake in the admin does not open.

``make mutate MODULE=incidents/policies.py`` runs its mutants against this file (with the access
and visibility tests), so each rule is pinned here and not only through a page.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from dapolice.accounts.choices import Role
from incidents import policies

CONTROL_ROOM = {Role.CALL_TAKER, Role.CONTROL_SUPERVISOR}
#: Police roles that read incidents, persons and addresses (the analyst sees aggregates only).
READERS = CONTROL_ROOM | {
    Role.ATTENDING_OFFICER,
    Role.SUPERVISOR,
    Role.MASH,
    Role.INVESTIGATOR,
    Role.MARAC_COORDINATOR,
}
ATTENDANCE = CONTROL_ROOM | {Role.ATTENDING_OFFICER}
MARKERS = CONTROL_ROOM | {Role.ATTENDING_OFFICER, Role.SUPERVISOR, Role.MASH}
REVEAL = {Role.CONTROL_SUPERVISOR, Role.SUPERVISOR, Role.MASH, Role.INVESTIGATOR}


@pytest.fixture
def user_in(make_user, agency_health):
    def make(role):
        return make_user(role, agency=agency_health if role == Role.PARTNER else None)

    return make


def _grant(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.add(
        *Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames)
    )


@pytest.mark.parametrize("role", Role.values)
def test_each_role_against_each_rule(user_in, role):
    user = user_in(role)
    reads = role in READERS
    for visibility in (
        policies.incident_visibility,
        policies.person_visibility,
        policies.address_visibility,
    ):
        assert visibility(user) == (policies.Q() if reads else policies.NOTHING)
    assert policies.can_view_incidents(user) is reads
    assert policies.can_search_persons(user) is reads
    assert policies.can_create_incident(user) is (role in CONTROL_ROOM)
    assert policies.can_create_person(user) is (role in CONTROL_ROOM)
    assert policies.can_regrade(user) is (role in CONTROL_ROOM)
    assert policies.can_view_board(user) is (role in ATTENDANCE)
    assert policies.can_record_attendance(user) is (role in ATTENDANCE)
    assert policies.can_create_marker(user) is (role in MARKERS)
    assert policies.can_defer(user) is (role == Role.CONTROL_SUPERVISOR)
    assert policies.can_request_reveal(user) is (role in REVEAL)


ALL = (
    "view_incident",
    "view_person",
    "view_address",
    "add_incident",
    "add_person",
    "add_marker",
    "record_attendance",
    "defer_incident",
    "reveal_restricted_address",
)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.SYSADMIN])
def test_permissions_granted_by_mistake_open_nothing_to_non_police(user_in, role):
    _grant(role, *ALL)
    user = user_in(role)
    assert user.has_perm("incidents.view_incident")
    assert policies.incident_visibility(user) == policies.NOTHING
    assert policies.person_visibility(user) == policies.NOTHING
    assert policies.address_visibility(user) == policies.NOTHING
    for rule in (
        policies.can_view_incidents,
        policies.can_view_board,
        policies.can_search_persons,
        policies.can_create_incident,
        policies.can_create_person,
        policies.can_create_marker,
        policies.can_regrade,
        policies.can_defer,
        policies.can_record_attendance,
        policies.can_request_reveal,
    ):
        assert rule(user) is False, rule.__name__


def test_the_board_needs_both_reading_incidents_and_recording_attendance(user_in):
    _grant(Role.MARAC_COORDINATOR, "record_attendance")
    assert policies.can_view_board(user_in(Role.MARAC_COORDINATOR))
    Group.objects.get(name=Role.ATTENDING_OFFICER).permissions.remove(
        Permission.objects.get(content_type__app_label="incidents", codename="view_incident")
    )
    assert not policies.can_view_board(user_in(Role.ATTENDING_OFFICER))


def test_only_the_role_defers_and_never_a_call_taker_reveals(user_in):
    _grant(Role.CALL_TAKER, "defer_incident", "reveal_restricted_address")
    call_taker = user_in(Role.CALL_TAKER)
    assert not policies.can_defer(call_taker)
    assert not policies.can_request_reveal(call_taker)
    Group.objects.get(name=Role.CONTROL_SUPERVISOR).permissions.remove(
        *Permission.objects.filter(
            codename__in=["defer_incident", "reveal_restricted_address"],
        )
    )
    supervisor = user_in(Role.CONTROL_SUPERVISOR)
    assert not policies.can_defer(supervisor)
    assert not policies.can_request_reveal(supervisor)


def test_signed_out_and_inactive_users_get_nothing(user_in):
    anonymous = AnonymousUser()
    assert policies.incident_visibility(anonymous) == policies.NOTHING
    assert not policies.can_view_incidents(anonymous)
    assert not policies.can_defer(anonymous)
    supervisor = user_in(Role.CONTROL_SUPERVISOR)
    supervisor.is_active = False
    assert not policies.can_create_incident(supervisor)
    assert not policies.can_defer(supervisor)

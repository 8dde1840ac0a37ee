"""Who may see and do what in call intake, rule by rule and role by role
(``incidents/policies.py``), and what a permission granted by mistake in the admin does not open.

``make mutate MODULE=incidents/policies.py`` runs its mutants against this file (with the access
and visibility tests), so each rule is pinned here and not only through a page.
"""

from __future__ import annotations

from types import SimpleNamespace

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
def test_each_role_against_each_rule(user_in, role, log_incident):
    from incidents.models import Address, Incident, Person

    user = user_in(role)
    reads = role in READERS
    log_incident()
    assert Incident.objects.filter(policies.incident_visibility(user)).exists() is reads
    assert Person.objects.filter(policies.person_visibility(user)).exists() is reads
    assert Address.objects.filter(policies.address_visibility(user)).exists() is reads
    assert (policies.address_visibility(user) == policies.Q()) is reads
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
    assert policies.can_restrict_address(user) is (role in {Role.MASH, Role.SUPERVISOR})
    assert policies.can_backdate_attendance(user) is (role == Role.CONTROL_SUPERVISOR)
    sign_off = {Role.CONTROL_SUPERVISOR, Role.SUPERVISOR}
    assert policies.can_review_reveals(user) is (role in sign_off)
    theirs = SimpleNamespace(revealed_by_id=user.pk + 1000)
    assert policies.can_review_reveals(user, theirs) is (role in sign_off)
    assert policies.can_review_reveals(user, SimpleNamespace(revealed_by_id=user.pk)) is False


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


def test_an_officer_is_attached_once_dispatched(user_in, log_incident, call_taker):
    from incidents.services import incident_dispatch

    officer = user_in(Role.ATTENDING_OFFICER)
    incident = log_incident()
    assert not policies.incident_is_attached(officer, incident)
    assert not policies.incident_is_attached(AnonymousUser(), incident)
    incident_dispatch(actor=call_taker, incident=incident, officer=officer)
    assert policies.incident_is_attached(officer, incident)
    assert not policies.incident_is_attached(user_in(Role.ATTENDING_OFFICER), incident)


def test_a_restricted_address_is_in_clear_only_through_the_users_own_break_glass(
    user_in, log_incident
):
    from dapolice.access.breakglass import break_glass_grant
    from incidents.models import Address

    incident = log_incident()
    address = incident.location
    call_taker = user_in(Role.CALL_TAKER)
    assert policies.can_see_address_in_clear(call_taker, address)  # not restricted
    Address.objects.filter(pk=address.pk).update(is_restricted=True)
    address.refresh_from_db()
    sergeant, colleague = user_in(Role.SUPERVISOR), user_in(Role.SUPERVISOR)
    assert policies.can_request_reveal(sergeant, address)
    assert not policies.can_see_address_in_clear(sergeant, address, incident)  # may ask, has not
    break_glass_grant(
        actor=sergeant,
        subject=address,
        what=policies.reveal_scope(incident),
        reason="Welfare visit with the refuge",
    )
    assert policies.can_see_address_in_clear(sergeant, address, incident)
    assert not policies.can_see_address_in_clear(sergeant, address)  # only on that incident
    assert not policies.can_see_address_in_clear(colleague, address, incident)
    assert not policies.can_see_address_in_clear(call_taker, address, incident)


def test_a_must_not_see_list_hides_the_person_their_incidents_and_a_named_incident(
    user_in, log_incident, system
):
    from incidents.models import Incident, Person
    from incidents.services.exclusions import exclusion_add, exclusion_remove

    officer, colleague = user_in(Role.INVESTIGATOR), user_in(Role.INVESTIGATOR)
    hers, named, other = log_incident(), log_incident(), log_incident()
    victim = hers.people.get(role="victim").person
    entry = exclusion_add(actor=system, user=officer, person=victim, reason="Her neighbour")
    exclusion_add(actor=system, user=officer, incident=named, reason="His brother's case")

    def incidents(user):
        return set(Incident.objects.filter(policies.incident_visibility(user)))

    def people(user):
        return set(Person.objects.filter(policies.person_visibility(user)))

    assert hers not in incidents(officer)
    assert named not in incidents(officer)
    assert other in incidents(officer)
    assert victim not in people(officer)
    assert {hers, named, other} <= incidents(colleague)
    assert victim in people(colleague)
    exclusion_remove(actor=system, entry=entry, reason="Moved away")
    assert hers in incidents(officer)
    assert victim in people(officer)


def test_a_supervisor_who_records_attendance_may_backdate_it(user_in):
    """Backdating is for a control-room supervisor or a supervisor (the rule's ``who``); a
    supervisor holds no ``record_attendance`` by default, so this needs it granted."""
    _grant(Role.SUPERVISOR, "record_attendance")
    _grant(Role.ATTENDING_OFFICER, "record_attendance")
    assert policies.can_backdate_attendance(user_in(Role.SUPERVISOR))
    assert not policies.can_backdate_attendance(user_in(Role.ATTENDING_OFFICER))

"""Who may see and do what in the MARAC, rule by rule and role by role (``marac/policies.py``),
including what a permission granted by mistake in the admin does not open.

The pages and the API check these rules first; ``make mutate MODULE=marac/policies.py`` runs its
mutants against this file, so each rule is pinned here and not only through a page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from dapolice.accounts.choices import Role
from marac import policies, services
from marac.choices import MeetingStatus
from marac.models import MaracCase

Q = policies.Q


@pytest.fixture
def user_in(make_user, agency_health):
    def make(role):
        return make_user(role, agency=agency_health if role == Role.PARTNER else None)

    return make


def _grant(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.add(
        *Permission.objects.filter(content_type__app_label="marac", codename__in=codenames)
    )


def _revoke(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.remove(
        *Permission.objects.filter(content_type__app_label="marac", codename__in=codenames)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_each_role_against_each_rule(user_in, role):
    user = user_in(role)
    coordinator, partner = role == Role.MARAC_COORDINATOR, role == Role.PARTNER
    agency = user.agency_id

    assert policies.is_coordinator(user) is coordinator
    assert policies.is_partner(user) is partner
    assert policies.can_coordinate(user) is coordinator
    assert policies.can_list_cases(user) is (coordinator or partner)
    assert policies.can_view_case(user) is (coordinator or partner)
    assert policies.can_refer(user) is (coordinator or partner)
    assert policies.can_add_research(user) is (coordinator or partner)
    assert policies.can_report_action(user) is (coordinator or partner)
    ours, theirs = SimpleNamespace(agency_id=agency), SimpleNamespace(agency_id=-1)
    assert policies.can_report_action(user, ours) is (coordinator or partner)
    assert policies.can_report_action(user, theirs) is coordinator
    assert policies.can_see_return(user) is (coordinator or role == Role.ANALYST)

    if coordinator:
        for visibility in (
            policies.case_visibility,
            policies.meeting_visibility,
            policies.action_visibility,
            policies.research_visibility,
        ):
            assert visibility(user) == Q()
    elif partner:
        assert policies.case_visibility(user) == Q(meeting__invited=agency) | Q(
            referring_agency_id=agency
        )
        assert policies.meeting_visibility(user) == Q(invited=agency)
        assert policies.action_visibility(user) == Q(agency_id=agency) & (
            Q(case__meeting__invited=agency) | Q(case__referring_agency_id=agency)
        )
        assert policies.research_visibility(user) == Q(agency_id=agency) | Q(
            case__meeting__status=MeetingStatus.HELD, case__meeting__attended=agency
        )
    else:
        for visibility in (
            policies.case_visibility,
            policies.meeting_visibility,
            policies.action_visibility,
            policies.research_visibility,
        ):
            assert visibility(user) == policies.NOTHING


@pytest.mark.django_db
def test_nobody_signed_out_or_inactive_gets_anything(user_in):
    anonymous = AnonymousUser()
    assert not policies.is_coordinator(None)
    assert not policies.is_partner(None)
    for role in (Role.MARAC_COORDINATOR, Role.PARTNER, Role.ANALYST):
        user = user_in(role)
        user.is_active = False
        for who in (user, anonymous):
            assert not policies.is_coordinator(who)
            assert not policies.is_partner(who)
            assert not policies.can_list_cases(who)
            assert not policies.can_refer(who)
            assert not policies.can_see_return(who)
            assert policies.case_visibility(who) == policies.NOTHING


@pytest.mark.django_db
def test_a_partner_sees_the_cases_their_agency_was_invited_to_or_referred(
    refer, meeting, coordinator, housing_user, health_user, agency_housing, agency_health
):
    invited_housing = meeting(invited=[agency_housing])
    listed = refer()
    services.agenda_build(actor=coordinator, meeting=invited_housing)
    referred_by_health = refer(actor=health_user)
    waiting = MaracCase.objects.get(pk=refer().pk)
    listed.refresh_from_db()

    assert policies.can_view_case(coordinator, waiting)
    assert policies.can_view_case(housing_user, listed)
    assert not policies.can_view_case(health_user, listed)
    assert policies.can_view_case(health_user, referred_by_health)
    assert not policies.can_view_case(housing_user, waiting)
    assert not policies.can_view_case(health_user, waiting)
    # Research follows the case: a partner adds research only to a case they may see.
    assert policies.can_add_research(housing_user, listed)
    assert not policies.can_add_research(health_user, listed)
    assert policies.can_add_research(coordinator, waiting)


@pytest.mark.django_db
def test_partner_capabilities_follow_their_permissions(user_in):
    _revoke(Role.PARTNER, "add_maraccase", "add_research", "add_report")
    partner = user_in(Role.PARTNER)
    assert policies.is_partner(partner)
    assert not policies.can_refer(partner)
    assert not policies.can_add_research(partner)
    assert not policies.can_report_action(partner)
    assert not policies.can_report_action(partner, SimpleNamespace(agency_id=partner.agency_id))
    _revoke(Role.PARTNER, "view_maraccase")
    partner = user_in(Role.PARTNER)
    assert not policies.is_partner(partner)
    assert not policies.can_list_cases(partner)
    assert policies.case_visibility(partner) == policies.NOTHING


@pytest.mark.django_db
def test_the_coordinator_needs_the_role_and_the_permission(user_in):
    _grant(Role.INVESTIGATOR, "coordinate_marac", "view_maraccase", "view_return")
    investigator = user_in(Role.INVESTIGATOR)
    assert investigator.has_perm("marac.coordinate_marac")
    assert not policies.is_coordinator(investigator)
    assert not policies.can_coordinate(investigator)
    assert not policies.can_see_return(investigator)
    assert policies.case_visibility(investigator) == policies.NOTHING
    _revoke(Role.MARAC_COORDINATOR, "coordinate_marac")
    coordinator = user_in(Role.MARAC_COORDINATOR)
    assert not policies.is_coordinator(coordinator)
    assert policies.case_visibility(coordinator) == policies.NOTHING
    assert not policies.can_see_return(coordinator)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.ANALYST, Role.INVESTIGATOR])
def test_partner_permissions_granted_by_mistake_open_nothing_to_others(user_in, role):
    _grant(role, "view_maraccase", "add_maraccase", "add_research", "add_report")
    user = user_in(role)
    assert not policies.is_partner(user)
    assert not policies.can_refer(user)
    assert not policies.can_add_research(user)
    assert not policies.can_report_action(user, SimpleNamespace(agency_id=user.agency_id))
    assert policies.action_visibility(user) == policies.NOTHING


@pytest.mark.django_db
def test_the_return_needs_the_analyst_role_and_the_permission(user_in):
    _revoke(Role.ANALYST, "view_return")
    assert not policies.can_see_return(user_in(Role.ANALYST))
    _grant(Role.PARTNER, "view_return")
    assert not policies.can_see_return(user_in(Role.PARTNER))

"""Who may see and do what with DASH assessments, rule by rule and role by role
(``risk/policies.py``), including what a permission granted by mistake in the admin does not open.

The pages and the API check these rules first; ``make mutate MODULE=risk/policies.py`` runs its
mutants against this file, so each rule is pinned here and not only through a page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from dapolice.accounts.choices import Role
from risk import policies
from risk.models import Assessment

#: Roles that read every assessment; the attending officer reads those of their incidents.
READ_ALL = {Role.SUPERVISOR, Role.MASH, Role.INVESTIGATOR, Role.MARAC_COORDINATOR}
#: Roles that may start and complete a DASH.
ASSESSORS = {Role.ATTENDING_OFFICER, Role.SUPERVISOR}


@pytest.fixture
def user_in(make_user, agency_health):
    def make(role):
        return make_user(role, agency=agency_health if role == Role.PARTNER else None)

    return make


def _grant(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.add(
        *Permission.objects.filter(content_type__app_label="risk", codename__in=codenames)
    )


def _revoke(role: str, codename: str) -> None:
    Group.objects.get(name=role).permissions.remove(
        Permission.objects.get(content_type__app_label="risk", codename=codename)
    )


@pytest.mark.parametrize("role", Role.values)
def test_each_role_against_each_rule(user_in, role):
    user = user_in(role)
    mine = SimpleNamespace(author_id=user.pk)
    theirs = SimpleNamespace(author_id=user.pk + 1000)
    reads = role in READ_ALL or role == Role.ATTENDING_OFFICER
    assert policies.can_view_assessments(user) is reads
    assert policies.can_start(user) is (role in ASSESSORS)
    assert policies.can_edit(user) is (role in ASSESSORS)
    assert policies.can_edit(user, mine) is (role in ASSESSORS)
    assert policies.can_edit(user, theirs) is False
    assert policies.can_use_queue(user) is (role == Role.SUPERVISOR)
    assert policies.can_review(user) is (role == Role.SUPERVISOR)
    assert policies.can_review(user, theirs) is (role == Role.SUPERVISOR)
    assert policies.can_review(user, mine) is False  # never their own DASH
    visibility = policies.assessment_visibility(user)
    if role in READ_ALL:
        # Every DASH but those of must-not-see incidents (issue 7): "not hidden", nothing more.
        assert visibility.negated
        assert visibility not in (policies.Q(), policies.NOTHING)
    elif role == Role.ATTENDING_OFFICER:
        assert visibility not in (policies.Q(), policies.NOTHING)
    else:
        assert visibility == policies.NOTHING


@pytest.mark.parametrize("role", [Role.PARTNER, Role.SYSADMIN])
def test_a_permission_granted_by_mistake_does_not_open_dashes_to_non_police(user_in, role):
    _grant(role, "view_assessment", "add_assessment", "change_assessment", "review_assessment")
    user = user_in(role)
    assert user.has_perm("risk.view_assessment")
    assert not policies.can_view_assessments(user)
    assert policies.assessment_visibility(user) == policies.NOTHING
    assert not policies.can_start(user)
    assert not policies.can_edit(user, SimpleNamespace(author_id=user.pk))
    assert not policies.can_use_queue(user)


def test_the_review_permission_does_not_make_an_officer_a_reviewer(user_in):
    _grant(Role.ATTENDING_OFFICER, "review_assessment")
    officer = user_in(Role.ATTENDING_OFFICER)
    assert officer.has_perm("risk.review_assessment")
    assert not policies.can_use_queue(officer)
    assert not policies.can_review(officer, SimpleNamespace(author_id=officer.pk + 1))


def test_a_supervisor_without_the_view_permission_has_no_queue(user_in):
    _revoke(Role.SUPERVISOR, "view_assessment")
    supervisor = user_in(Role.SUPERVISOR)
    assert supervisor.has_perm("risk.review_assessment")
    assert not policies.can_use_queue(supervisor)


def test_an_analyst_given_the_permissions_still_sees_no_assessment(user_in):
    """Analysts see no names: the permission would be a mistake, and every rule also asks for
    it, so the police role alone opens nothing."""
    analyst = user_in(Role.ANALYST)
    assert not policies.can_view_assessments(analyst)
    assert policies.assessment_visibility(analyst) == policies.NOTHING


def test_signed_out_and_inactive_users_get_nothing(user_in):
    anonymous = AnonymousUser()
    assert not policies.can_view_assessments(anonymous)
    assert policies.assessment_visibility(anonymous) == policies.NOTHING
    assert not policies.can_start(anonymous)
    officer = user_in(Role.SUPERVISOR)
    officer.is_active = False
    assert not policies.can_view_assessments(officer)
    assert not policies.can_review(officer)


def test_an_officer_starts_a_dash_only_on_an_incident_they_are_attached_to(
    user_in, log_incident, attach
):
    officer = user_in(Role.ATTENDING_OFFICER)
    incident = log_incident()
    assert not policies.can_start(officer, incident)
    attach(incident, officer)
    assert policies.can_start(officer, incident)


def test_an_officer_sees_their_own_dashes_and_those_of_their_incidents(
    start, officer, user_in, attach
):
    own = start()
    visible = Assessment.objects.filter(policies.assessment_visibility(officer))
    assert list(visible) == [own]
    other = user_in(Role.ATTENDING_OFFICER)
    assert not Assessment.objects.filter(policies.assessment_visibility(other)).exists()
    # A second officer sent to the same incident reads its DASH without having written it.
    attach(own.incident, other)
    assert list(Assessment.objects.filter(policies.assessment_visibility(other))) == [own]

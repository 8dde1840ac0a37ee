"""Who may see and do what in the MASH, rule by rule and role by role (``mash/policies.py``),
including what a permission granted by mistake in the admin does not open.

The pages and the API check these rules first; ``make mutate MODULE=mash/policies.py`` runs its
mutants against this file, so each rule is pinned here and not only through a page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from dapolice.accounts.choices import POLICE_ROLES, Role
from dapolice.accounts.models import Agency
from incidents.models import Person
from mash import policies, services
from mash.choices import Team
from mash.models import MashCase, Referral

STAFF = {Role.MASH}
#: Police roles holding ``mash.view_mashcase`` by default (the migration's grants).
VIEWERS = {
    Role.CONTROL_SUPERVISOR,
    Role.ATTENDING_OFFICER,
    Role.SUPERVISOR,
    Role.MASH,
    Role.INVESTIGATOR,
    Role.MARAC_COORDINATOR,
}
#: Police roles holding ``mash.work_mashcase`` (they work a case as the on-duty DS).
WORKERS = {Role.SUPERVISOR, Role.MASH, Role.INVESTIGATOR}
#: Roles that log and see contacts with a victim (police who meet victims).
CONTACT_POLICE = VIEWERS


@pytest.fixture
def user_in(make_user, agency_health):
    def make(role):
        return make_user(role, agency=agency_health if role == Role.PARTNER else None)

    return make


def _case(**kw):
    fields = {"owner_id": None, "offer_to_id": None, "duty_officer_id": None, "offer_to_team": ""}
    return SimpleNamespace(**(fields | kw))


@pytest.mark.parametrize("role", Role.values)
def test_each_role_against_each_rule(user_in, role):
    user = user_in(role)
    me, other = user.pk, user.pk + 1000
    staff, viewer, worker = role in STAFF, role in VIEWERS, role in WORKERS
    partner = role == Role.PARTNER

    assert policies.is_mash_staff(user) is staff
    assert policies.can_use_queue(user) is staff
    # Cases.
    assert policies.can_view_case(user) is viewer
    assert policies.can_view_case(user, _case(owner_id=other)) is staff
    for named in ("owner_id", "offer_to_id", "duty_officer_id"):
        assert policies.can_view_case(user, _case(**{named: me})) is viewer
    visibility = policies.case_visibility(user)
    if staff:
        # Every case but those of must-not-see incidents (issue 7): "not hidden", nothing more.
        assert visibility.negated
        assert visibility not in (policies.Q(), policies.NOTHING)
    elif viewer:
        assert visibility not in (policies.Q(), policies.NOTHING)
    else:
        assert visibility == policies.NOTHING
    assert policies.can_work_case(user) is worker
    assert policies.can_work_case(user, _case(duty_officer_id=other)) is staff
    assert policies.can_work_case(user, _case(duty_officer_id=me)) is worker
    assert policies.can_work_case(user, _case(owner_id=me)) is staff
    # Handover of ownership.
    assert policies.can_offer_handover(user) is viewer
    assert policies.can_offer_handover(user, _case(owner_id=me)) is viewer
    assert policies.can_offer_handover(user, _case(owner_id=other)) is staff
    assert policies.can_accept_handover(user) is viewer
    assert policies.can_accept_handover(user, _case(offer_to_id=me)) is viewer
    assert policies.can_accept_handover(user, _case(offer_to_id=other)) is False
    team = _case(offer_to_team=Team.MASH)
    assert policies.can_accept_handover(user, team) is staff
    assert policies.can_accept_handover(
        user, _case(offer_to_team=Team.MASH, offer_to_id=other)
    ) is (False)
    duty = _case(offer_to_team=Team.DUTY_DS, duty_officer_id=me)
    assert policies.can_accept_handover(user, duty) is worker
    duty_other = _case(offer_to_team=Team.DUTY_DS, duty_officer_id=other)
    assert policies.can_accept_handover(user, duty_other) is staff
    assert policies.can_accept_handover(user, _case(owner_id=me)) is False  # nothing offered
    assert policies.can_withdraw_handover(user, _case(owner_id=me)) is viewer
    assert policies.can_withdraw_handover(user, _case(owner_id=other, offer_to_id=me)) is (
        role in POLICE_ROLES
    )
    assert policies.can_withdraw_handover(user, _case(owner_id=other, offer_to_id=other)) is staff
    # Referrals.
    ours = SimpleNamespace(agency_id=user.agency_id)
    theirs = SimpleNamespace(agency_id=-1)
    assert policies.can_list_referrals(user) is (partner or staff)
    assert policies.can_view_referral(user) is (partner or staff)
    assert policies.can_view_referral(user, ours) is (partner or staff)
    assert policies.can_view_referral(user, theirs) is staff
    assert policies.can_respond_to_referral(user) is (partner or staff)
    assert policies.can_respond_to_referral(user, ours) is (partner or staff)
    assert policies.can_respond_to_referral(user, theirs) is staff
    referrals = policies.referral_visibility(user)
    if staff:
        assert referrals == policies.Q()
    elif partner:
        assert referrals == policies.Q(agency_id=user.agency_id)
    elif viewer:
        assert referrals == policies.Q(case__duty_officer=user)
    else:
        assert referrals == policies.NOTHING
    # Information, contacts.
    assert policies.can_add_information(user) is (worker or partner)
    assert policies.can_use_contacts(user) is (role in CONTACT_POLICE or partner)
    assert policies.can_edit_contact_plan(user) is staff
    contacts = policies.contact_person_visibility(user)
    if role in CONTACT_POLICE:
        assert contacts == policies.Q()
    elif partner:
        assert contacts not in (policies.Q(), policies.NOTHING)
    else:
        assert contacts == policies.NOTHING
    assert policies.sees_contact_notes(user, SimpleNamespace(made_by_id=me)) is True
    assert policies.sees_contact_notes(user, SimpleNamespace(made_by_id=other)) is (
        role in POLICE_ROLES
    )


def _grant(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.add(
        *Permission.objects.filter(content_type__app_label="mash", codename__in=codenames)
    )


def _revoke(role: str, *codenames: str) -> None:
    Group.objects.get(name=role).permissions.remove(
        *Permission.objects.filter(content_type__app_label="mash", codename__in=codenames)
    )


def test_the_work_permission_does_not_make_anyone_mash_staff(user_in):
    _grant(Role.ATTENDING_OFFICER, "work_mashcase", "change_contactplan")
    officer = user_in(Role.ATTENDING_OFFICER)
    assert officer.has_perm("mash.work_mashcase")
    assert not policies.is_mash_staff(officer)
    assert not policies.can_use_queue(officer)
    assert not policies.can_edit_contact_plan(officer)
    assert not policies.can_work_case(officer, _case(duty_officer_id=officer.pk + 1))


def test_mash_staff_without_a_permission_lose_what_it_gives(user_in):
    _revoke(Role.MASH, "view_mashcase", "change_contactplan")
    staff = user_in(Role.MASH)
    assert policies.is_mash_staff(staff)
    assert not policies.can_use_queue(staff)
    assert not policies.can_edit_contact_plan(staff)
    assert policies.case_visibility(staff) == policies.NOTHING
    _revoke(Role.MASH, "work_mashcase")
    assert not policies.is_mash_staff(user_in(Role.MASH))


def test_police_need_both_contact_permissions(user_in):
    _revoke(Role.ATTENDING_OFFICER, "add_contact")
    officer = user_in(Role.ATTENDING_OFFICER)
    assert officer.has_perm("mash.view_contact")
    assert not policies.can_use_contacts(officer)
    _grant(Role.ATTENDING_OFFICER, "add_contact")
    _revoke(Role.ATTENDING_OFFICER, "view_contact")
    officer = user_in(Role.ATTENDING_OFFICER)
    assert not policies.can_use_contacts(officer)
    assert policies.contact_person_visibility(officer) == policies.NOTHING


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.ANALYST])
def test_permissions_granted_by_mistake_open_nothing_to_non_police_or_non_partners(user_in, role):
    _grant(role, "view_referral", "change_referral", "add_informationentry", "add_contact")
    _grant(role, "view_contact")
    user = user_in(role)
    if role == Role.SYSADMIN:
        assert not policies.can_use_contacts(user)
        assert policies.contact_person_visibility(user) == policies.NOTHING
    assert not policies.can_list_referrals(user)
    assert not policies.can_view_referral(user, SimpleNamespace(agency_id=user.agency_id))
    assert not policies.can_respond_to_referral(user)
    assert not policies.can_add_information(user)
    assert policies.referral_visibility(user) == policies.NOTHING


def test_a_partner_given_police_permissions_still_sees_no_case(user_in):
    _grant(Role.PARTNER, "view_mashcase", "work_mashcase")
    partner = user_in(Role.PARTNER)
    assert policies.case_visibility(partner) == policies.NOTHING
    assert not policies.can_view_case(partner, _case(owner_id=partner.pk))
    assert not policies.can_work_case(partner, _case(duty_officer_id=partner.pk))
    assert not policies.can_offer_handover(partner, _case(owner_id=partner.pk))
    assert not policies.can_accept_handover(partner, _case(offer_to_id=partner.pk))
    assert not policies.can_withdraw_handover(partner, _case(offer_to_id=partner.pk))


def test_a_partner_without_the_referral_permissions_sees_no_referral(user_in):
    _revoke(Role.PARTNER, "view_referral", "change_referral", "add_informationentry")
    _revoke(Role.PARTNER, "add_contact", "view_contact")
    partner = user_in(Role.PARTNER)
    assert not policies.can_list_referrals(partner)
    assert not policies.can_view_referral(partner)
    assert not policies.can_respond_to_referral(partner)
    assert not policies.can_add_information(partner)
    assert not policies.can_use_contacts(partner)
    assert policies.referral_visibility(partner) == policies.NOTHING
    assert policies.contact_person_visibility(partner) == policies.NOTHING


def test_signed_out_and_inactive_users_get_nothing(user_in, agency_health):
    anonymous = AnonymousUser()
    assert not policies.is_mash_staff(anonymous)
    assert policies.case_visibility(anonymous) == policies.NOTHING
    assert policies.referral_visibility(anonymous) == policies.NOTHING
    assert not policies.can_list_referrals(anonymous)
    partner = user_in(Role.PARTNER)
    partner.is_active = False
    assert not policies.can_list_referrals(partner)
    assert not policies.can_view_referral(partner)


def test_a_partner_works_only_with_cases_referred_to_their_agency(
    case, mash_officer, user_in, agency_health
):
    partner = user_in(Role.PARTNER)
    mine, other = case("high"), case("high")
    idva = Agency.objects.create(name="IDVA service", code="idva-p", kind="idva")
    services.referral_make(actor=mash_officer, case=mine, kind="health", agency=agency_health)
    services.referral_make(actor=mash_officer, case=other, kind="idva", agency=idva)
    assert policies.can_add_information(partner, mine)
    assert not policies.can_add_information(partner, other)
    assert policies.can_use_contacts(partner, mine.victim)
    assert not policies.can_use_contacts(partner, other.victim)
    visible = MashCase.objects.values("victim").filter(
        victim__in=policies.referred_person_ids(partner)
    )
    assert {row["victim"] for row in visible} == {mine.victim_id}
    assert set(Referral.objects.filter(policies.referral_visibility(partner))) == set(
        Referral.objects.filter(case=mine)
    )


def test_a_partner_sees_the_contacts_of_victims_referred_to_their_agency(
    case, mash_officer, user_in, agency_health
):
    partner = user_in(Role.PARTNER)
    mine, _other = case("high"), case("high")
    services.referral_make(actor=mash_officer, case=mine, kind="health", agency=agency_health)
    people = Person.objects.filter(policies.contact_person_visibility(partner))
    assert list(people) == [mine.victim]


def test_police_see_the_cases_they_are_named_on(case, mash_officer, user_in):
    """Owner of safeguarding, the one a handover is offered to, the on-duty DS: each alone."""
    sergeant = user_in(Role.SUPERVISOR)
    owned, offered, on_duty, other = case(), case(), case(), case()
    for c in (owned, offered):  # the MASH takes it over, then offers it to the sergeant
        services.ownership_accept(actor=mash_officer, case=c)
        services.ownership_offer(actor=mash_officer, case=c, to=sergeant)
    services.ownership_accept(actor=sergeant, case=owned)
    MashCase.objects.filter(pk=on_duty.pk).update(duty_officer=sergeant)
    visible = set(MashCase.objects.filter(policies.case_visibility(sergeant)))
    assert visible == {owned, offered, on_duty}
    assert other not in visible


def test_police_add_information_only_to_a_case_they_work(user_in):
    sergeant = user_in(Role.SUPERVISOR)
    assert not policies.can_add_information(sergeant, _case(duty_officer_id=sergeant.pk + 1))
    assert policies.can_add_information(sergeant, _case(duty_officer_id=sergeant.pk))

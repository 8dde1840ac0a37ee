"""Who may see and do what in the MASH.

Role capabilities are Django permissions granted by migration 0002 (editable in the admin); the
object rules are here. What each kind of user is entitled to:

* **MASH staff** (police): everything in the MASH: the queue, every case, referrals,
  information, plans, Operation Encompass, contact plans and every victim's contacts.
* **The on-duty detective sergeant** of a high-risk case that arrived out of MASH hours works
  that case as MASH staff would (claim, assess, refer, accept ownership), and no other.
* **Police named on a case** (its owner of safeguarding, the person a handover is offered to)
  see that case and its ownership, and accept or offer its handover.
* **Police who meet victims** (attending officers, supervisors, investigators, the MARAC
  coordinator, the control room's supervisors) log contacts with a victim and see the victim's
  safe-contact instructions and recent contacts (a contact by anyone is logged).
* **Partner-agency members** see only referrals made to their own agency (the case reference,
  the victim's name, what is asked) and answer them; they add dated information to a case
  referred to their agency and see only the entries they wrote; they log and see contacts with
  a victim referred to their agency (with outcomes, never other people's notes). Never the
  queue, the DASH, the plan or other agencies' information; another agency's referral is 404.
* Analysts (no names) and system administrators (no case content) see nothing here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.audit import values as audit_values
from mash.choices import Team

NOTHING = Q(pk__in=[])


def _police(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_police)


def _partner(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_partner)


def is_mash_staff(user: Any) -> bool:
    """MASH staff: the role as well as the permission, so granting the permission to another
    role in the admin does not make its holders MASH staff."""
    return _police(user) and user.has_role(Role.MASH) and user.has_perm("mash.work_mashcase")


# --- Visibility ------------------------------------------------------------------------------


def case_visibility(user: Any) -> Q:
    if not (_police(user) and user.has_perm("mash.view_mashcase")):
        return NOTHING
    # Must-not-see lists (issue 7): the MASH case of an incident the user must not see.
    from incidents.selectors import incident_ids_excluded_for

    hidden = Q(incident_id__in=incident_ids_excluded_for(user))
    if is_mash_staff(user):
        return ~hidden
    return (Q(owner=user) | Q(offer_to=user) | Q(duty_officer=user)) & ~hidden


def referral_visibility(user: Any) -> Q:
    if is_mash_staff(user):
        return Q()
    if _partner(user) and user.has_perm("mash.view_referral"):
        return Q(agency_id=user.agency_id)
    if _police(user) and user.has_perm("mash.view_mashcase"):
        return Q(case__duty_officer=user)
    return NOTHING


def referred_person_ids(user: Any) -> Any:
    """Victims with a case referred to the partner's agency (a subquery)."""
    from mash.models import Referral

    return Referral.objects.filter(agency_id=user.agency_id).values("case__victim_id")


# --- Rules -------------------------------------------------------------------------------------


@access.rule("mash.queue", who=_("MASH staff"))
def can_use_queue(user: Any, obj: Any = None) -> bool:
    return is_mash_staff(user) and user.has_perm("mash.view_mashcase")


@access.rule("mash.case.view", who=_("MASH staff and the police named on the case"))
def can_view_case(user: Any, case: Any = None) -> bool:
    if not (_police(user) and user.has_perm("mash.view_mashcase")):
        return False
    if case is None or is_mash_staff(user):
        return True
    return user.pk in (case.owner_id, case.offer_to_id, case.duty_officer_id)


@access.rule("mash.case.work", who=_("MASH staff (out of hours: the on-duty detective sergeant)"))
def can_work_case(user: Any, case: Any = None) -> bool:
    """Claim, secondary assessment, plan, information, referrals, Operation Encompass."""
    if is_mash_staff(user):
        return True
    if not (_police(user) and user.has_perm("mash.work_mashcase")):
        return False
    return case is None or (case.duty_officer_id is not None and case.duty_officer_id == user.pk)


@access.rule(
    "mash.ownership.offer",
    who=_("the owner of safeguarding, or MASH staff working the case"),
)
def can_offer_handover(user: Any, case: Any = None) -> bool:
    if not (_police(user) and user.has_perm("mash.view_mashcase")):
        return False
    if case is None:
        return True
    return case.owner_id == user.pk or can_work_case(user, case)


@access.rule(
    "mash.ownership.accept",
    who=_("the person the handover is offered to (MASH staff for the MASH team)"),
)
def can_accept_handover(user: Any, case: Any = None) -> bool:
    if not (_police(user) and user.has_perm("mash.view_mashcase")):
        return False
    if case is None:
        return True
    if case.offer_to_id is not None:
        return bool(case.offer_to_id == user.pk)
    if case.offer_to_team == Team.MASH:
        return is_mash_staff(user)
    if case.offer_to_team == Team.DUTY_DS:
        return can_work_case(user, case)
    return False


@access.rule(
    "mash.ownership.withdraw",
    who=_("whoever may offer the handover, or the person it is offered to"),
)
def can_withdraw_handover(user: Any, case: Any = None) -> bool:
    if can_offer_handover(user, case):
        return True
    return bool(case is not None and _police(user) and case.offer_to_id == user.pk)


@access.rule("mash.referrals", who=_("partner-agency members and MASH staff"))
def can_list_referrals(user: Any, obj: Any = None) -> bool:
    """The page of referrals made to the user's agency (partners) or all (MASH staff)."""
    return (_partner(user) and user.has_perm("mash.view_referral")) or is_mash_staff(user)


@access.rule("mash.referral.view", who=_("the agency it was made to and MASH staff"))
def can_view_referral(user: Any, referral: Any = None) -> bool:
    if is_mash_staff(user):
        return True
    if _partner(user) and user.has_perm("mash.view_referral"):
        return referral is None or referral.agency_id == user.agency_id
    return False


@access.rule("mash.referral.respond", who=_("members of the agency it was made to, MASH staff"))
def can_respond_to_referral(user: Any, referral: Any = None) -> bool:
    if is_mash_staff(user):
        return True
    if not (_partner(user) and user.has_perm("mash.change_referral")):
        return False
    return referral is None or referral.agency_id == user.agency_id


@access.rule("mash.information.add", who=_("MASH staff, and agencies a case is referred to"))
def can_add_information(user: Any, case: Any = None) -> bool:
    if can_work_case(user, case):
        return True
    if not (_partner(user) and user.has_perm("mash.add_informationentry")):
        return False
    if case is None:
        return True
    from mash.models import Referral

    return Referral.objects.filter(case=case, agency_id=user.agency_id).exists()


def contact_person_visibility(user: Any) -> Q:
    """Victims whose contacts the user may see and log (as a ``Person`` filter)."""
    if _police(user) and user.has_perm("mash.view_contact"):
        return Q()
    if _partner(user) and user.has_perm("mash.view_contact"):
        return Q(pk__in=referred_person_ids(user))
    return NOTHING


@access.rule("mash.contacts", who=_("police and agencies working with the victim"))
def can_use_contacts(user: Any, person: Any = None) -> bool:
    """See a victim's contact screen (instructions, recent contacts) and log a contact."""
    if _police(user):
        return bool(user.has_perm("mash.view_contact") and user.has_perm("mash.add_contact"))
    if not (_partner(user) and user.has_perm("mash.add_contact")):
        return False
    if person is None:
        return True
    from mash.models import Referral

    return Referral.objects.filter(case__victim_id=person.pk, agency_id=user.agency_id).exists()


@access.rule("mash.contact_plan.edit", who=_("MASH staff"))
def can_edit_contact_plan(user: Any, person: Any = None) -> bool:
    """Name the SPOC, record the safe-contact instructions."""
    return is_mash_staff(user) and user.has_perm("mash.change_contactplan")


def sees_contact_notes(user: Any, contact: Any) -> bool:
    """Police read every contact's notes; a partner only their own."""
    return _police(user) or contact.made_by_id == user.pk


# --- The audit trail's values (dapolice.audit.values) -----------------------------------------
# The MASH's intelligence, plans and referrals are shown in the trail only to an auditor who may
# see the case; contacts and contact plans to one who may see the victim (police who meet
# victims see them).
audit_values.auditor("mash.dutyrota")
audit_values.record("mash.mashcase")
audit_values.record("mash.referral")
for _part in ("ownershipperiod", "informationentry", "planaction", "encompassnotice"):
    audit_values.record(f"mash.{_part}", via=["case"])
audit_values.record("mash.contactplan", via=["person"])
audit_values.record("mash.contact", via=["person"])

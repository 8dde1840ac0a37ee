"""Who may see and do what in the MARAC.

Role capabilities are Django permissions granted by migration 0002 (editable in the admin); the
object rules are here.

* **The MARAC coordinator** (the role and ``marac.coordinate_marac``): every referral, meeting,
  case, research entry and action; schedules meetings, builds agendas, records the discussion
  and the action plan, chases report-back, closes cases, the tracker and the quarterly return.
* **Partner-agency members** (one agency each) see only the MARAC cases their agency was
  invited to discuss (the meeting's invited agencies) or referred themselves, and of those only
  the minimum: the reference, the victim's name, the meeting, the criteria; the research their
  agency wrote and, once the meeting is held, the research of a meeting their agency attended;
  only their own agency's actions, which they report back on. Never an address, the incident,
  the DASH or other police intelligence; another case is 404, the same as one that does not
  exist. A partner may refer a victim to the MARAC directly.
* Everyone else (police roles other than the coordinator, analysts, administrators): nothing
  here (analysts get the quarterly return's figures, which name nobody).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.audit import values as audit_values

NOTHING = Q(pk__in=[])


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_coordinator(user: Any) -> bool:
    """The role as well as the permission: a permission granted to another role in the admin
    does not make its holders coordinators."""
    return bool(
        _active(user)
        and user.is_police
        and user.has_role(Role.MARAC_COORDINATOR)
        and user.has_perm("marac.coordinate_marac")
    )


def is_partner(user: Any) -> bool:
    return bool(_active(user) and user.is_partner and user.has_perm("marac.view_maraccase"))


# --- Visibility ----------------------------------------------------------------------------------


def case_visibility(user: Any) -> Q:
    """Cases: everything for the coordinator; for a partner the cases whose meeting invited
    their agency, or that their agency referred."""
    if is_coordinator(user):
        return Q()
    if is_partner(user):
        return Q(meeting__invited=user.agency_id) | Q(referring_agency_id=user.agency_id)
    return NOTHING


def meeting_visibility(user: Any) -> Q:
    if is_coordinator(user):
        return Q()
    if is_partner(user):
        return Q(invited=user.agency_id)
    return NOTHING


def action_visibility(user: Any) -> Q:
    """Actions: all for the coordinator; for a partner only their own agency's, on a case they
    may see."""
    if is_coordinator(user):
        return Q()
    if is_partner(user):
        return Q(agency_id=user.agency_id) & (
            Q(case__meeting__invited=user.agency_id) | Q(case__referring_agency_id=user.agency_id)
        )
    return NOTHING


def research_visibility(user: Any) -> Q:
    """Research (as a ``Research`` filter): all for the coordinator; for a partner what their
    agency wrote, and what others wrote on a case of a held meeting their agency attended."""
    from marac.choices import MeetingStatus

    if is_coordinator(user):
        return Q()
    if is_partner(user):
        return Q(agency_id=user.agency_id) | Q(
            case__meeting__status=MeetingStatus.HELD, case__meeting__attended=user.agency_id
        )
    return NOTHING


# --- Rules ---------------------------------------------------------------------------------------


@access.rule("marac.coordinate", who=_("the MARAC coordinator"))
def can_coordinate(user: Any, obj: Any = None) -> bool:
    """Meetings, agendas, the action plan, closing, the tracker, the case list of everyone."""
    return is_coordinator(user)


@access.rule("marac.cases", who=_("the MARAC coordinator and partner agencies"))
def can_list_cases(user: Any, obj: Any = None) -> bool:
    return is_coordinator(user) or is_partner(user)


@access.rule("marac.case.view", who=_("the MARAC coordinator and the agencies invited"))
def can_view_case(user: Any, case: Any = None) -> bool:
    if is_coordinator(user):
        return True
    if not is_partner(user):
        return False
    if case is None:
        return True
    from marac.models import MaracCase

    return MaracCase.objects.filter(case_visibility(user), pk=case.pk).exists()


@access.rule("marac.refer", who=_("the MARAC coordinator and partner agencies"))
def can_refer(user: Any, obj: Any = None) -> bool:
    """Refer a victim to the MARAC (a partner refers directly, for their agency)."""
    if is_coordinator(user):
        return True
    return is_partner(user) and user.has_perm("marac.add_maraccase")


@access.rule("marac.research.add", who=_("the MARAC coordinator and the agencies invited"))
def can_add_research(user: Any, case: Any = None) -> bool:
    if is_coordinator(user):
        return True
    if not (is_partner(user) and user.has_perm("marac.add_research")):
        return False
    return case is None or can_view_case(user, case)


@access.rule(
    "marac.action.report", who=_("members of the agency responsible, and the MARAC coordinator")
)
def can_report_action(user: Any, action: Any = None) -> bool:
    if is_coordinator(user):
        return True
    if not (is_partner(user) and user.has_perm("marac.add_report")):
        return False
    return action is None or action.agency_id == user.agency_id


@access.rule("marac.return", who=_("the MARAC coordinator and analysts"))
def can_see_return(user: Any, obj: Any = None) -> bool:
    """The quarterly data return: counts only, no names."""
    if is_coordinator(user):
        return True
    return bool(
        _active(user) and user.has_role(Role.ANALYST) and user.has_perm("marac.view_return")
    )


# --- The audit trail's values (dapolice.audit.values) -----------------------------------------
# A MARAC's cases, research, actions and reports are shown in the trail only to an auditor who
# may see the case (or the meeting, or the action).
audit_values.record("marac.meeting")
audit_values.record("marac.maraccase")
audit_values.record("marac.research", via=["case"])
audit_values.record("marac.action")
audit_values.record("marac.report", via=["action"])

"""Who may see and do what with risk assessments.

Role capabilities are Django permissions granted by migration 0003 (editable in the admin); the
object rules are here. An attending officer sees the assessments of the incidents they are
attached to (and their own); supervisors, MASH staff, investigators and the MARAC coordinator
read every assessment; only a supervisor reviews, never their own. Partner agencies never see
DASH answers (what a MARAC shares with them comes with ``marac``); analysts see no names, so no
assessments; a system administrator sees no case content.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice import access
from dapolice.accounts.choices import Role
from dapolice.audit import values as audit_values
from incidents.policies import incident_is_attached
from incidents.selectors import incident_ids_attached_to, incident_ids_excluded_for

NOTHING = Q(pk__in=[])

#: Roles that read every assessment (the attending officer reads those of their incidents).
READ_ALL_ROLES = (Role.SUPERVISOR, Role.MASH, Role.INVESTIGATOR, Role.MARAC_COORDINATOR)


def _police(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_police)


def assessment_visibility(user: Any) -> Q:
    if not (_police(user) and user.has_perm("risk.view_assessment")):
        return NOTHING
    # Must-not-see lists (issue 7): a DASH of an incident the user must not see is not theirs
    # to see either.
    hidden = Q(incident_id__in=incident_ids_excluded_for(user))
    if user.has_role(*READ_ALL_ROLES):
        return ~hidden
    return (Q(author=user) | Q(incident_id__in=incident_ids_attached_to(user))) & ~hidden


@access.rule("risk.view")
def can_view_assessments(user: Any, obj: Any = None) -> bool:
    return _police(user) and user.has_perm("risk.view_assessment")


@access.rule("risk.dash.start")
def can_start(user: Any, incident: Any = None) -> bool:
    """An officer assesses only incidents they are attached to (dispatched or arrived)."""
    if not (_police(user) and user.has_perm("risk.add_assessment")):
        return False
    return incident is None or incident_is_attached(user, incident)


@access.rule("risk.dash.edit")
def can_edit(user: Any, assessment: Any = None) -> bool:
    """Only the officer who started an assessment completes it (when: the service decides)."""
    if not (_police(user) and user.has_perm("risk.change_assessment")):
        return False
    return assessment is None or assessment.author_id == user.pk


@access.rule("risk.queue")
def can_use_queue(user: Any, obj: Any = None) -> bool:
    """Supervisors (sergeants). The role is checked as well as the permission, so granting the
    permission to another role in the admin does not make its holders reviewers."""
    return (
        _police(user)
        and user.has_role(Role.SUPERVISOR)
        and user.has_perm("risk.review_assessment")
        and user.has_perm("risk.view_assessment")
    )


@access.rule("risk.dash.review")
def can_review(user: Any, assessment: Any = None) -> bool:
    """A supervisor, and never the assessment's own author."""
    if not can_use_queue(user):
        return False
    return assessment is None or assessment.author_id != user.pk


# --- The audit trail's values (dapolice.audit.values) -----------------------------------------
# A DASH's answers (children's details among them) are shown in the trail only to an auditor
# who may read that DASH.
audit_values.auditor("risk.instrument", "risk.section", "risk.question", "risk.officersupervisor")
audit_values.record("risk.assessment")
audit_values.record("risk.assessmentanswer", via=["assessment"])
audit_values.record("risk.assessmentreview", via=["assessment"])


@access.rule("risk.reassessment.close", who=_("supervisors and MASH staff"))
def can_close_reassessment(user: Any, victim: Any = None) -> bool:
    """Who decides a victim's medium-risk follow-up is over (no more re-assessments): the
    supervisors who review DASHes and the MASH staff who own safeguarding."""
    return _police(user) and user.has_role(Role.SUPERVISOR, Role.MASH)

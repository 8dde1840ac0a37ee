"""Handlers this app registers with lower layers, each calling one service or selector of this
app. No ``post_save`` receivers: every rule runs in ``marac.services``.

* ``mash.signals.marac_referral_made`` -> ``services.case_from_mash_referral`` (onto the list).
* ``incidents.signals.incident_created`` -> ``services.case_repeat_from_incident`` (repeat MARAC:
  a new incident within the window of the victim's last referral).
* ``risk.signals.assessment_reviewed`` -> ``services.case_reassessment_link`` (the DASH asked
  for after the actions is the case's re-assessment).
* Deadline handlers (``dapolice.alerts.registry.deadline_handler``): an action due soon (its
  agency), overdue (its agency and the coordinator), a repeat (the coordinator), the
  re-assessment asked for (the victim's officer or SPOC, else the MASH), not come in time and
  come (the coordinator).
"""

from __future__ import annotations

from typing import Any

from dapolice.accounts.services import system_user
from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from incidents.signals import incident_created
from marac import selectors, services
from marac.choices import (
    ACTION_DUE_SOON_DEADLINE,
    ACTION_OVERDUE_DEADLINE,
    REASSESS_CHASE_DEADLINE,
    REASSESS_REQUEST_DEADLINE,
    REASSESSED_DEADLINE,
    REPEAT_DEADLINE,
)
from mash.signals import marac_referral_made
from risk.signals import assessment_reviewed


def on_marac_referral_made(sender: Any, *, referral_id: int, **kwargs: Any) -> None:
    """The MASH referred a victim to the MARAC: take the referral onto the list."""
    services.case_from_mash_referral(actor=system_user(), referral_id=referral_id)


def on_incident_created(sender: Any, *, incident_id: int, **kwargs: Any) -> None:
    """A new incident: repeat MARAC for a victim referred within the window."""
    services.case_repeat_from_incident(actor=system_user(), incident_id=incident_id)


def on_assessment_reviewed(sender: Any, *, assessment_id: int, **kwargs: Any) -> None:
    """A DASH was reviewed: the re-assessment a MARAC coordinator asked for, if one did."""
    services.case_reassessment_link(actor=system_user(), assessment_id=assessment_id)


marac_referral_made.connect(on_marac_referral_made, dispatch_uid="marac.case_from_mash_referral")
incident_created.connect(on_incident_created, dispatch_uid="marac.case_repeat_from_incident")
assessment_reviewed.connect(on_assessment_reviewed, dispatch_uid="marac.case_reassessment_link")


@deadline_handler(ACTION_DUE_SOON_DEADLINE)
def action_due_soon(deadline: Deadline) -> list[AlertSpec]:
    return selectors.action_due_soon_alerts(action_id=int(deadline.subject_id))


@deadline_handler(ACTION_OVERDUE_DEADLINE)
def action_overdue(deadline: Deadline) -> list[AlertSpec]:
    return selectors.action_overdue_alerts(action_id=int(deadline.subject_id))


@deadline_handler(REPEAT_DEADLINE)
def repeat(deadline: Deadline) -> list[AlertSpec]:
    return selectors.repeat_alerts(case_id=int(deadline.subject_id))


@deadline_handler(REASSESS_REQUEST_DEADLINE)
def reassess_request(deadline: Deadline) -> list[AlertSpec]:
    return selectors.reassess_request_alerts(case_id=int(deadline.subject_id))


@deadline_handler(REASSESS_CHASE_DEADLINE)
def reassess_chase(deadline: Deadline) -> list[AlertSpec]:
    return selectors.reassess_chase_alerts(case_id=int(deadline.subject_id))


@deadline_handler(REASSESSED_DEADLINE)
def reassessed(deadline: Deadline) -> list[AlertSpec]:
    return selectors.reassessed_alerts(case_id=int(deadline.subject_id))

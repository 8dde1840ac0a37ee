"""Handlers this app registers with lower layers, each calling one service or selector of this
app. No ``post_save`` receivers: every rule runs in ``marac.services``.

* ``mash.signals.marac_referral_made`` -> ``services.case_from_mash_referral`` (onto the list).
* ``incidents.signals.incident_created`` -> ``services.case_repeat_from_incident`` (repeat MARAC:
  a new incident within the window of the victim's last referral).
* Deadline handlers (``dapolice.alerts.registry.deadline_handler``): an action due soon (its
  agency), overdue (its agency and the coordinator), a repeat (the coordinator).
"""

from __future__ import annotations

from typing import Any

from dapolice.accounts.services import system_user
from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from incidents.signals import incident_created
from marac import selectors, services
from marac.choices import ACTION_DUE_SOON_DEADLINE, ACTION_OVERDUE_DEADLINE, REPEAT_DEADLINE
from mash.signals import marac_referral_made


def on_marac_referral_made(sender: Any, *, referral_id: int, **kwargs: Any) -> None:
    """The MASH referred a victim to the MARAC: take the referral onto the list."""
    services.case_from_mash_referral(actor=system_user(), referral_id=referral_id)


def on_incident_created(sender: Any, *, incident_id: int, **kwargs: Any) -> None:
    """A new incident: repeat MARAC for a victim referred within the window."""
    services.case_repeat_from_incident(actor=system_user(), incident_id=incident_id)


marac_referral_made.connect(on_marac_referral_made, dispatch_uid="marac.case_from_mash_referral")
incident_created.connect(on_incident_created, dispatch_uid="marac.case_repeat_from_incident")


@deadline_handler(ACTION_DUE_SOON_DEADLINE)
def action_due_soon(deadline: Deadline) -> list[AlertSpec]:
    return selectors.action_due_soon_alerts(action_id=int(deadline.subject_id))


@deadline_handler(ACTION_OVERDUE_DEADLINE)
def action_overdue(deadline: Deadline) -> list[AlertSpec]:
    return selectors.action_overdue_alerts(action_id=int(deadline.subject_id))


@deadline_handler(REPEAT_DEADLINE)
def repeat(deadline: Deadline) -> list[AlertSpec]:
    return selectors.repeat_alerts(case_id=int(deadline.subject_id))

"""Handlers this app registers with lower layers, each calling one service or selector of this
app. No ``post_save`` receivers: every rule runs in ``mash.services``.

* ``risk.signals.assessment_reviewed`` -> ``services.case_open_from_review`` (the queue entry).
* Deadline handlers (``dapolice.alerts.registry.deadline_handler``) turn the queue's clocks, a
  referral past its due time, an unsent Operation Encompass notice, a victim's re-assessment and
  a suspect's bail or custody change (``incidents.CustodyEvent``) into alerts.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dapolice.accounts.services import system_user
from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from incidents.choices import CUSTODY_REASSESS_DEADLINE, CUSTODY_TELL_VICTIM_DEADLINE
from mash import selectors, services
from mash.choices import (
    COMPLETE_DEADLINE,
    ENCOMPASS_DEADLINE,
    OUT_OF_HOURS_DEADLINE,
    REFERRAL_DEADLINE,
    SILENT_VICTIM_DEADLINE,
    START_DEADLINE,
)
from risk.choices import REASSESS_DEADLINE
from risk.signals import assessment_reviewed


def on_assessment_reviewed(
    sender: Any,
    *,
    assessment_id: int,
    level: str,
    children_present: bool = False,
    **kwargs: Any,
) -> None:
    """A supervisor agreed or changed a DASH's level: the MASH decides whether it enters."""
    services.case_open_from_review(
        actor=system_user(),
        assessment_id=assessment_id,
        level=level,
        children_present=children_present,
    )


assessment_reviewed.connect(on_assessment_reviewed, dispatch_uid="mash.case_open_from_review")


@deadline_handler(OUT_OF_HOURS_DEADLINE)
def out_of_hours(deadline: Deadline) -> list[AlertSpec]:
    """A high-risk case arrived out of MASH hours: tell the on-duty detective sergeant."""
    return selectors.out_of_hours_alerts(case_id=int(deadline.subject_id))


@deadline_handler(START_DEADLINE)
def start_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A high-risk case not started in time: the MASH team lead (out of hours: the sergeant)."""
    return selectors.start_overdue_alerts(case_id=int(deadline.subject_id), now=timezone.now())


@deadline_handler(COMPLETE_DEADLINE)
def complete_overdue(deadline: Deadline) -> list[AlertSpec]:
    """Any case without its secondary assessment after 24 hours: the MASH team lead."""
    return selectors.complete_overdue_alerts(case_id=int(deadline.subject_id), now=timezone.now())


@deadline_handler(REFERRAL_DEADLINE)
def referral_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A referral still open at its due time: who made it, and the agency it went to."""
    return selectors.referral_overdue_alerts(
        referral_id=int(deadline.subject_id), now=timezone.now()
    )


@deadline_handler(ENCOMPASS_DEADLINE)
def encompass_overdue(deadline: Deadline) -> list[AlertSpec]:
    """An Operation Encompass notice not sent before the school day: the MASH team lead."""
    return selectors.encompass_overdue_alerts(
        notice_id=int(deadline.subject_id), now=timezone.now()
    )


@deadline_handler(REASSESS_DEADLINE)
def reassessment_due(deadline: Deadline) -> list[AlertSpec]:
    """A medium-risk victim's re-assessment (set by ``risk.services`` on review): the SPOC."""
    return selectors.reassessment_alerts(person_id=int(deadline.subject_id))


@deadline_handler(SILENT_VICTIM_DEADLINE)
def silent_victim(deadline: Deadline) -> list[AlertSpec]:
    """A repeat victim not heard from for months: a welfare follow-up to the SPOC."""
    return selectors.silent_victim_alerts(person_id=int(deadline.subject_id))


@deadline_handler(CUSTODY_TELL_VICTIM_DEADLINE)
@deadline_handler(CUSTODY_REASSESS_DEADLINE)
def custody_change(deadline: Deadline) -> list[AlertSpec]:
    """A suspect's bail or custody changed (recommendation 12): re-assess the victim's risk at
    once; the victim not told by the Victims' Code time. The SPOC and the officer in the case."""
    return selectors.custody_alerts(event_id=int(deadline.subject_id), kind=deadline.kind)

"""Handlers this app registers with lower layers.

Deadline handlers (``dapolice.alerts.registry.deadline_handler``) turn a fired review or rework
deadline into alerts; each calls one selector of this app. The medium-risk re-assessment recurs
(``deadline_repeat``): its alert is raised by ``mash.receivers`` (which knows the SPOC). No
``post_save`` receivers: every rule runs in ``risk.services``.
"""

from __future__ import annotations

from datetime import datetime

from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler, deadline_repeat
from risk import rules, selectors
from risk.choices import REASSESS_DEADLINE, REVIEW_DEADLINE, REWORK_DEADLINE


@deadline_handler(REVIEW_DEADLINE)
def review_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A submitted DASH not reviewed within the target: tell the officer's supervisor."""
    return selectors.review_overdue_alerts(assessment_id=int(deadline.subject_id))


@deadline_handler(REWORK_DEADLINE)
def rework_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A returned DASH not resubmitted in time: tell its officer."""
    return selectors.rework_overdue_alerts(assessment_id=int(deadline.subject_id))


@deadline_repeat(REASSESS_DEADLINE)
def reassess_again(deadline: Deadline, now: datetime) -> datetime | None:
    """A medium-risk victim's re-assessment recurs until the follow-up is closed (which cancels
    the row) or a later DASH moves or cancels it."""
    return rules.reassess_next(deadline.due_at, now)

"""Handlers this app registers with lower layers.

Deadline handlers (``dapolice.alerts.registry.deadline_handler``) turn a fired review or rework
deadline into alerts; each calls one selector of this app. No ``post_save`` receivers: every
rule runs in ``risk.services``.
"""

from __future__ import annotations

from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from risk import selectors
from risk.choices import REVIEW_DEADLINE, REWORK_DEADLINE


@deadline_handler(REVIEW_DEADLINE)
def review_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A submitted DASH not reviewed within the target: tell the officer's supervisor."""
    return selectors.review_overdue_alerts(assessment_id=int(deadline.subject_id))


@deadline_handler(REWORK_DEADLINE)
def rework_overdue(deadline: Deadline) -> list[AlertSpec]:
    """A returned DASH not resubmitted in time: tell its officer."""
    return selectors.rework_overdue_alerts(assessment_id=int(deadline.subject_id))

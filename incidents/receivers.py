"""Handlers this app registers with lower layers, each calling one selector of this app.

Deadline handlers (``dapolice.alerts.registry.deadline_handler``) turn a fired attendance
deadline (warning, breach, escalation) into alerts. No ``post_save`` receivers: the deadlines are
set, moved and cancelled by ``incidents.services`` in the transaction of each change.
"""

from __future__ import annotations

from dapolice.alerts.models import Deadline
from dapolice.alerts.registry import AlertSpec, deadline_handler
from incidents import selectors
from incidents.choices import ATTENDANCE_DEADLINES


def _attendance(deadline: Deadline) -> list[AlertSpec]:
    return selectors.attendance_alerts(incident_id=int(deadline.subject_id), kind=deadline.kind)


for _kind in ATTENDANCE_DEADLINES:
    deadline_handler(_kind)(_attendance)

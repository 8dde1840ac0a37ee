"""Building an agenda beside a coordinator holding one waiting case (``FOR UPDATE SKIP
LOCKED``), on two real connections.

The one-connection agenda tests cannot tell SKIP LOCKED from a plain ``FOR UPDATE``: nobody
else holds a waiting case's row. What SKIP LOCKED gives is that a build (two coordinators
building one agenda at once, or one building the next meeting's) never waits behind a case
another transaction holds: it leaves that case for the next build and lists the others at once.
Here a transaction holds the oldest waiting case's row lock without writing anything, and the
build must come back at once with the other case. Transactional: left out of ``make mutate``
runs (see ``tests/plugins/isolation.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dapolice.audit.models import AuditEvent
from marac import services
from marac.choices import CaseStatus
from marac.models import MaracCase
from tests.locks import held_by_another_transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_agenda_build_skips_a_waiting_case_another_transaction_holds(
    refer, meeting, coordinator
):
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        held = refer()  # the oldest: first on the agenda, were it free
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        free = refer()
    m = meeting()  # cut-off in 7 days: both were referred by it
    # Without SKIP LOCKED the build would wait on the held case's lock (an error after 5 s).
    with held_by_another_transaction(MaracCase.objects.filter(pk=held.pk)):
        added = services.agenda_build(actor=coordinator, meeting=m)
    assert [(c.pk, c.agenda_position) for c in added] == [(free.pk, 1)]
    rows = {
        pk: (status, meeting_id)
        for pk, status, meeting_id in MaracCase.objects.values_list("pk", "status", "meeting")
    }
    assert rows == {held.pk: (CaseStatus.REFERRED, None), free.pk: (CaseStatus.LISTED, m.pk)}
    built = AuditEvent.objects.get(action="marac.meeting.agenda_built")
    assert (built.actor_id, built.subject_id) == (coordinator.pk, str(m.pk))
    assert built.changes == {"cases": [0, 1], "added": [None, [free.pk]]}

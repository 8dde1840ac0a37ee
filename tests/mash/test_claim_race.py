"""The "next case" button beside a colleague holding the top item (``FOR UPDATE SKIP
LOCKED``), on two real connections.

The two-claims test in ``test_queue.py`` cannot tell SKIP LOCKED from a plain ``FOR UPDATE``:
without it the second claim waits for the first's row, PostgreSQL rechecks the row when the
first commits, finds it claimed and moves on to the next, so both still get different items
(and the second waits on the audit chain anyway). What SKIP LOCKED gives is that nobody waits
behind a colleague who holds the top item: here a transaction holds its row lock without
writing any audit row, and the claim must come back with the next item at once. Transactional:
left out of ``make mutate`` runs (see ``tests/plugins/isolation.py``)."""

from __future__ import annotations

import pytest

from dapolice.audit.models import AuditEvent
from mash import services
from mash.choices import CaseStatus
from mash.models import MashCase
from tests.locks import held_by_another_transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_next_case_does_not_wait_behind_a_colleague_holding_the_top_item(case, mash_officer):
    top, next_one = case("high"), case("high")
    # Without SKIP LOCKED this claim would wait on the top item's lock (an error after 5 s).
    with held_by_another_transaction(MashCase.objects.filter(pk=top.pk)):
        got = services.case_claim_next(actor=mash_officer)
    assert got.pk == next_one.pk
    rows = dict(MashCase.objects.values_list("pk", "status"))
    assert rows == {top.pk: CaseStatus.WAITING, next_one.pk: CaseStatus.IN_PROGRESS}
    claimed = AuditEvent.objects.get(action="mash.case.claimed_next")
    assert (claimed.actor_id, claimed.subject_id) == (mash_officer.pk, str(next_one.pk))

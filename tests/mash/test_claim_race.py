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

import threading

import pytest
from django.db import connection, transaction

from dapolice.audit.models import AuditEvent
from mash import services
from mash.choices import CaseStatus
from mash.models import MashCase


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_next_case_does_not_wait_behind_a_colleague_holding_the_top_item(case, mash_officer):
    top, next_one = case("high"), case("high")
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def colleague() -> None:
        """Holds the top item's row lock (a page reading it for update) and nothing else."""
        try:
            with transaction.atomic():
                MashCase.objects.select_for_update().filter(pk=top.pk).values_list("pk").get()
                holding.set()
                release.wait(timeout=20)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    holder = threading.Thread(target=colleague)
    holder.start()
    try:
        assert holding.wait(timeout=20)
        with transaction.atomic():
            # Without SKIP LOCKED this claim would wait on the top item's lock: a bounded wait
            # turns that into an error instead of a hang.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            got = services.case_claim_next(actor=mash_officer)
    finally:
        release.set()
        holder.join(timeout=20)
    assert not errors, errors
    assert got.pk == next_one.pk
    rows = dict(MashCase.objects.values_list("pk", "status"))
    assert rows == {top.pk: CaseStatus.WAITING, next_one.pk: CaseStatus.IN_PROGRESS}
    claimed = AuditEvent.objects.get(action="mash.case.claimed_next")
    assert (claimed.actor_id, claimed.subject_id) == (mash_officer.pk, str(next_one.pk))

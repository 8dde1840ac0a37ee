"""Ownership of safeguarding (HMIC recommendation 4): exactly one owner at every moment, every
transition, the ledger, the database's own refusal of zero or two owners, concurrent accept."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dapolice.audit.models import AuditEvent
from dapolice.common.errors import Conflict, DomainError
from mash import services
from mash.models import MashCase, OwnershipPeriod


def _open_owners(case) -> list[int]:
    return list(
        OwnershipPeriod.objects.filter(case=case, ended_at__isnull=True).values_list(
            "owner_id", flat=True
        )
    )


def _assert_one_owner(case) -> None:
    case = MashCase.objects.get(pk=case.pk)
    assert _open_owners(case) == [case.owner_id]
    periods = list(OwnershipPeriod.objects.filter(case=case).order_by("started_at", "pk"))
    # Contiguous: each period ends when the next begins, so no moment without an owner.
    for before, after in zip(periods, periods[1:], strict=False):
        assert before.ended_at == after.started_at


def test_opened_with_the_attending_officer(case, officer):
    c = case()
    assert c.owner_id == officer.pk
    _assert_one_owner(c)


def test_the_mash_accepts_the_team_offer(case, officer, mash_officer):
    c = case()
    c = services.ownership_accept(actor=mash_officer, case=c)
    assert c.owner_id == mash_officer.pk
    assert c.offer_at is None
    assert c.offer_to_team == ""
    _assert_one_owner(c)
    ledger = list(OwnershipPeriod.objects.filter(case=c).order_by("started_at", "pk"))
    assert [(p.owner_id, p.how) for p in ledger] == [
        (officer.pk, "opened"),
        (mash_officer.pk, "accepted"),
    ]
    assert ledger[1].offered_by_id == officer.pk
    assert AuditEvent.objects.filter(
        action="mash.ownership.accepted", subject_id=str(c.pk), actor=mash_officer
    ).exists()


def test_only_mash_staff_accept_a_team_offer(case, make_user):
    c = case()
    investigator = make_user("investigator")
    with pytest.raises(PermissionDenied):
        services.ownership_accept(actor=investigator, case=c)
    _assert_one_owner(c)


def test_offer_to_a_named_officer_then_accept(case, mash_officer, make_user):
    c = services.ownership_accept(actor=mash_officer, case=case())
    investigator = make_user("investigator")
    c = services.ownership_offer(actor=mash_officer, case=c, to=investigator, note="CID lead")
    assert c.owner_id == mash_officer.pk  # still the owner until accepted
    _assert_one_owner(c)
    c = services.ownership_accept(actor=investigator, case=c)
    assert c.owner_id == investigator.pk
    _assert_one_owner(c)
    last = OwnershipPeriod.objects.filter(case=c).order_by("-started_at", "-pk").first()
    assert (last.offered_by_id, last.note) == (mash_officer.pk, "CID lead")


def test_nobody_else_accepts_a_named_offer(case, mash_officer, mash_officer2, make_user):
    c = services.ownership_accept(actor=mash_officer, case=case())
    investigator = make_user("investigator")
    services.ownership_offer(actor=mash_officer, case=c, to=investigator)
    with pytest.raises(PermissionDenied):
        services.ownership_accept(actor=mash_officer2, case=c)
    _assert_one_owner(c)


def test_decline_and_withdraw_leave_the_owner(case, mash_officer, make_user):
    c = services.ownership_accept(actor=mash_officer, case=case())
    investigator = make_user("investigator")
    services.ownership_offer(actor=mash_officer, case=c, to=investigator)
    c = services.ownership_withdraw(actor=investigator, case=c, reason="Not my area")
    assert c.owner_id == mash_officer.pk
    assert c.offer_at is None
    assert AuditEvent.objects.filter(action="mash.ownership.declined").exists()
    services.ownership_offer(actor=mash_officer, case=c, to=investigator)
    c = services.ownership_withdraw(actor=mash_officer, case=c)
    assert AuditEvent.objects.filter(action="mash.ownership.withdrawn").exists()
    _assert_one_owner(c)


def test_refused_transitions_change_nothing(case, officer, mash_officer, make_user):
    c = case()
    with pytest.raises(Conflict):  # an offer is already pending (to the MASH)
        services.ownership_offer(actor=officer, case=c, to=make_user("investigator"))
    with pytest.raises(DomainError):  # a team offer is not withdrawn
        services.ownership_withdraw(actor=officer, case=c)
    c = services.ownership_accept(actor=mash_officer, case=c)
    with pytest.raises(Conflict, match="No handover is on offer"):
        services.ownership_accept(actor=mash_officer, case=c)
    with pytest.raises(DomainError):  # to the owner themselves
        services.ownership_offer(actor=mash_officer, case=c, to=mash_officer)
    with pytest.raises(DomainError):  # to someone who cannot work MASH cases
        services.ownership_offer(actor=mash_officer, case=c, to=make_user("analyst"))
    _assert_one_owner(c)


def test_duty_sergeant_offer_out_of_hours(case, make_user, rota):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from mash.choices import Duty

    night = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    sergeant = make_user("supervisor")
    rota(sergeant, Duty.DETECTIVE_SERGEANT, night - timedelta(hours=1), night + timedelta(hours=9))
    with time_machine.travel(night, tick=False):
        c = case("high")
    assert c.offer_to_id == sergeant.pk
    with time_machine.travel(night + timedelta(minutes=10), tick=False):
        c = services.ownership_accept(actor=sergeant, case=c)
    assert c.owner_id == sergeant.pk
    _assert_one_owner(c)


# --- The database refuses zero or two owners -------------------------------------------------


def test_the_database_refuses_two_open_periods(case, mash_officer):
    c = case()
    with pytest.raises(IntegrityError), transaction.atomic():
        OwnershipPeriod.objects.create(
            case=c, owner=mash_officer, started_at=timezone.now(), how="accepted"
        )


def test_the_database_refuses_a_case_without_an_owner(case):
    c = case()
    with pytest.raises(IntegrityError), transaction.atomic():
        MashCase.objects.filter(pk=c.pk).update(owner=None)


def test_the_database_refuses_an_offer_to_the_owner(case, officer):
    c = case()
    with pytest.raises(IntegrityError), transaction.atomic():
        MashCase.objects.filter(pk=c.pk).update(offer_to=officer, offer_to_team="")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_at_commit_the_database_refuses_a_case_left_with_no_owner(case):
    c = case()
    with pytest.raises(IntegrityError, match="exactly one owner"), transaction.atomic():
        OwnershipPeriod.objects.filter(case=c).update(ended_at=timezone.now())
    _assert_one_owner(c)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_at_commit_the_database_refuses_a_ledger_that_disagrees_with_the_case(case, mash_officer):
    c = case()
    with pytest.raises(IntegrityError, match="exactly one owner"), transaction.atomic():
        MashCase.objects.filter(pk=c.pk).update(owner=mash_officer)
    _assert_one_owner(c)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_mash_officers_accepting_at_once_one_wins(case, mash_officer, mash_officer2):
    c = case()
    results: dict[str, str] = {}
    start = threading.Barrier(2)

    def accept(name: str, user) -> None:
        try:
            start.wait(timeout=10)
            services.ownership_accept(actor=user, case=c)
            results[name] = "owner"
        except Conflict:
            results[name] = "conflict"
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[name] = repr(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=("a", mash_officer)),
        threading.Thread(target=accept, args=("b", mash_officer2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["conflict", "owner"], results
    winner = mash_officer if results["a"] == "owner" else mash_officer2
    c.refresh_from_db()
    assert c.owner_id == winner.pk
    _assert_one_owner(c)
    assert OwnershipPeriod.objects.filter(case=c).count() == 2
    assert c.offer_to_team == ""

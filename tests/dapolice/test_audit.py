"""The audit trail: structured, append-only, and written for reads as well as changes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from dapolice.audit.models import AppendOnlyError, AuditEvent
from dapolice.audit.services import diff, record_change, record_list, record_read
from dapolice.common import context


def test_change_row_records_actor_action_diff_reason_ip_and_request_id(system, call_taker):
    ctx = context.RequestContext(request_id="req-12345678", ip="10.0.0.7")
    with context.bound(ctx):
        event = record_change(
            actor=call_taker,
            action="accounts.user.renamed",
            subject=call_taker,
            changes=diff({"first_name": "A"}, {"first_name": "B"}),
            reason="typo",
        )
    event.refresh_from_db()
    assert event.actor == call_taker
    assert event.actor_roles == "call_taker"
    assert event.action == "accounts.user.renamed"
    assert event.subject_type == "accounts.user"
    assert event.subject_id == str(call_taker.pk)
    assert event.changes == {"first_name": ["A", "B"]}
    assert event.reason == "typo"
    assert event.ip == "10.0.0.7"
    assert event.request_id == "req-12345678"


def test_audit_row_needs_a_named_actor(db):
    with pytest.raises(ValueError, match="named actor"):
        record_read(actor=None, action="x.y.read", subject=AuditEvent(pk=1))


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(call_taker):
    event = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    event.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.postgres
def test_postgres_trigger_refuses_sql_update_and_delete(call_taker):
    event = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    for sql in (
        "UPDATE audit_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


def test_list_read_names_every_record_shown_and_is_found_per_record(call_taker, control_supervisor):
    record_list(
        actor=call_taker,
        action="accounts.user.listed",
        model=type(call_taker),
        ids=[call_taker.pk, control_supervisor.pk],
    )
    shown = AuditEvent.objects.for_subject(control_supervisor).filter(kind="list")
    assert shown.count() == 1
    assert shown.get().object_ids == [str(call_taker.pk), str(control_supervisor.pk)]


def test_sign_in_is_audited(client, call_taker):
    from tests.conftest import PASSWORD

    response = client.post(
        "/account/login/",
        {
            "auth-username": call_taker.username,
            "auth-password": PASSWORD,
            "login_view-current_step": "auth",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(actor=call_taker, action="accounts.session.signed_in").exists()

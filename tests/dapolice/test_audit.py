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


# --- Each writer: its kind, its subject and what it keeps ----------------------------------------


def test_each_writer_records_its_kind_and_subject(call_taker, control_supervisor):
    from dapolice.audit.services import record_access, record_create, record_delete

    user = control_supervisor
    created = record_create(
        actor=call_taker,
        action="accounts.user.created",
        subject=user,
        fields=["username", "is_active"],
        reason="new starter",
    )
    assert (created.kind, created.subject_id, created.reason) == (
        "create",
        str(user.pk),
        "new starter",
    )
    assert created.changes == {"username": [None, user.username], "is_active": [None, True]}
    deleted = record_delete(
        actor=call_taker, action="accounts.user.deleted", subject=user, reason="r"
    )
    assert (deleted.kind, deleted.subject_type, deleted.reason) == ("delete", "accounts.user", "r")
    unexplained = record_delete(actor=call_taker, action="accounts.user.deleted", subject=user)
    assert unexplained.reason == ""
    read = record_read(actor=call_taker, action="accounts.user.read", subject=user, reason="why")
    assert (read.kind, read.subject_id, read.reason, read.changes) == (
        "read",
        str(user.pk),
        "why",
        {},
    )
    access = record_access(
        actor=call_taker,
        action="accounts.export",
        subject_type="accounts.user",
        subject_id="7",
        reason="subject access request",
        changes={"rows": [None, 3]},
    )
    assert (access.kind, access.subject_type, access.subject_id) == ("access", "accounts.user", "7")
    assert (access.reason, access.changes) == ("subject access request", {"rows": [None, 3]})
    assert all(e.ip is None and e.request_id == "" for e in (created, deleted, read, access))


def test_a_list_or_search_row_keeps_its_kind_model_ids_and_filters(call_taker):
    event = record_list(
        actor=call_taker,
        action="incidents.person.matched",
        model=type(call_taker),
        ids=[3, "4"],
        kind=AuditEvent.Kind.SEARCH,
        changes={"filters": [None, ["status"]]},
    )
    assert (event.kind, event.subject_type, event.subject_id) == ("search", "accounts.user", "")
    assert event.object_ids == ["3", "4"]
    assert event.changes == {"filters": [None, ["status"]]}
    default = record_list(actor=call_taker, action="x.y.listed", model=AuditEvent, ids=[])
    assert (default.kind, default.object_ids, default.changes) == ("list", [], {})


def test_actor_roles_are_sorted_and_comma_separated(make_user):
    user = make_user("supervisor", "mash")
    event = record_read(actor=user, action="accounts.user.read", subject=user)
    assert event.actor_roles == "mash,supervisor"


def test_an_unsaved_actor_or_something_else_is_refused(db):
    from dapolice.accounts.models import User

    message = "every audit event needs a named actor (use the system user for tasks)"
    for actor in (User(username="ghost"), object()):
        with pytest.raises(ValueError, match="named actor") as refused:
            record_read(actor=actor, action="x.y.read", subject=AuditEvent(pk=1))
        assert str(refused.value) == message


def test_an_access_row_may_name_no_subject(call_taker):
    from dapolice.audit.services import record_access

    event = record_access(actor=call_taker, action="accounts.session.signed_out")
    assert (event.subject_type, event.subject_id, event.reason, event.changes) == ("", "", "", {})


def test_diff_keeps_only_changed_fields_as_json_values():
    import datetime
    import decimal
    import uuid

    when = datetime.datetime(2026, 11, 23, 14, 0, tzinfo=datetime.UTC)
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    before = {"same": 1, "when": None, "amount": decimal.Decimal("1.50"), "gone": "x"}
    after = {
        "same": 1,
        "when": when,
        "amount": decimal.Decimal("2.50"),
        "key": key,
        "day": datetime.date(2026, 11, 23),
        "at": datetime.time(14, 0),
        "tags": ("a", "b"),
        "nested": {1: {"s": frozenset({"z"})}},
    }
    assert diff(before, after) == {
        "when": [None, "2026-11-23T14:00:00+00:00"],
        "amount": ["1.50", "2.50"],
        "key": [None, "12345678-1234-5678-1234-567812345678"],
        "day": [None, "2026-11-23"],
        "at": [None, "14:00:00"],
        "tags": [None, ["a", "b"]],
        "nested": [None, {"1": {"s": ["z"]}}],
    }


def test_a_foreign_key_is_logged_as_its_id(call_taker, control_supervisor):
    from dapolice.audit.services import snapshot

    event = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    assert snapshot(event, ["actor", "action"]) == {
        "actor": call_taker.pk,
        "action": "accounts.user.read",
    }
    assert diff({"actor": call_taker}, {"actor": control_supervisor}) == {
        "actor": [call_taker.pk, control_supervisor.pk]
    }

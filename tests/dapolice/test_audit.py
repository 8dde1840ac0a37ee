"""The audit trail: structured, append-only, and written for reads as well as changes."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from dapolice.accounts.choices import Role
from dapolice.audit import chain
from dapolice.audit.filters import AuditEventFilter
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


# --- Tamper evidence: the hash chain and audit_verify ----------------------------------------

TRIGGER = "audit_auditevent_no_update_delete"


def verify_output(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def owner_sql(sql: str, params: list[Any] | None = None) -> None:
    """What a superuser (or, with ALTER TABLE ... DISABLE TRIGGER, the table's owner) can do
    despite the trigger; inside the test's transaction, so it is all rolled back."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def three_reads(call_taker: Any) -> list[AuditEvent]:
    return [
        record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
        for _ in range(3)
    ]


def test_each_row_is_chained_to_the_one_before(three_reads):
    first, second, third = three_reads
    assert second.prev_hash == first.chain_hash
    assert third.prev_hash == second.chain_hash
    assert len({e.chain_hash for e in three_reads}) == 3
    stored = AuditEvent.objects.get(pk=second.pk)
    assert chain.digest(stored.prev_hash, vars(stored)) == stored.chain_hash
    ok, out = verify_output()
    assert ok, out
    assert "audit chain intact" in out


@pytest.mark.postgres
def test_audit_verify_finds_a_removed_row(three_reads):
    first, second, third = three_reads
    owner_sql("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    ok, out = verify_output()
    assert not ok
    assert f"row {third.pk} does not follow row {first.pk}: a row was removed" in out


@pytest.mark.postgres
def test_audit_verify_finds_an_altered_row(three_reads):
    _first, second, _third = three_reads
    owner_sql("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = %s", [second.pk])
    ok, out = verify_output()
    assert not ok
    assert f"row {second.pk} does not match its hash: altered" in out
    assert out.count("BROKEN") == 1


@pytest.mark.postgres
def test_audit_verify_finds_an_inserted_backdated_row(three_reads, control_supervisor):
    last = three_reads[-1]
    backdated = last.at - timedelta(days=30)
    forged = {"at": backdated, "actor_id": control_supervisor.pk, "actor_roles": "",
              "kind": "read", "action": "incidents.person.read", "subject_type": "incidents.person",
              "subject_id": "1", "object_ids": [], "changes": {}, "reason": "", "ip": None,
              "request_id": ""}  # fmt: skip
    # The forger chains to the real head and hashes with a key they guess: not the real one.
    forged_hash = chain.digest(last.chain_hash, forged, key=b"guessed key")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_id, actor_roles, kind, action, subject_type,"
            " subject_id, object_ids, changes, reason, request_id, prev_hash, chain_hash) VALUES"
            " (%s, %s, '', 'read', 'incidents.person.read', 'incidents.person', '1', '[]', '{}',"
            " '', '', %s, %s) RETURNING id",
            [backdated, control_supervisor.pk, last.chain_hash, forged_hash],
        )
        forged_id = cursor.fetchone()[0]
    ok, out = verify_output()
    assert not ok
    assert (
        f"row {forged_id} does not match its hash: altered, or not written by the application"
        in out
    )


@pytest.mark.postgres
def test_rows_cut_off_the_end_are_found_with_a_recorded_head(three_reads):
    ok, out = verify_output("--head")
    head = out.split("head ")[1].split()[0]
    owner_sql("DELETE FROM audit_auditevent WHERE id = %s", [three_reads[-1].pk])
    assert verify_output()[0], "the chain alone cannot see a cut-off tail"
    ok, out = verify_output("--expect", head)
    assert not ok
    assert "BROKEN anchor" in out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_unbroken_chain(make_user):
    users = [make_user(Role.CALL_TAKER) for _ in range(4)]
    start = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def write(user: Any) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(25):
                with transaction.atomic():  # a request's transaction holding the chain lock
                    record_change(actor=user, action="accounts.user.touched", subject=user)
                    record_read(actor=user, action="accounts.user.read", subject=user)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert AuditEvent.objects.filter(action="accounts.user.touched").count() == 100
    ok, out = verify_output()
    assert ok, out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_optimistic_writers_in_and_out_of_transactions_keep_one_unbroken_chain(
    make_user, monkeypatch
):
    """The one-statement write (``audit_append``) under contention: writers in autocommit,
    in a transaction, and batches chained after a head read earlier (some stale by the time
    they write), all at once on real PostgreSQL sessions. Every row is written once, the chain
    verifies, no two rows follow the same one, and times follow the chain's order."""
    from dapolice.audit import services
    from dapolice.common.compiled import run_together

    conflicts: list[int] = []
    append_if_head = chain.append_if_head

    def counted(using: str, expected: str, rows: Any) -> Any:
        ids, head = append_if_head(using, expected, rows)
        if ids is None:
            conflicts.append(1)
        return ids, head

    monkeypatch.setattr(chain, "append_if_head", counted)
    users = [make_user(Role.CALL_TAKER) for _ in range(6)]
    start = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def write(i: int, user: Any) -> None:
        try:
            start.wait(timeout=30)
            for n in range(15):
                way = (i + n) % 3
                if way == 0:  # autocommit: the statement is its own transaction
                    record_read(actor=user, action="accounts.user.read", subject=user)
                elif way == 1:  # a request's transaction: the lock held to its end
                    with transaction.atomic():
                        record_change(actor=user, action="accounts.user.touched", subject=user)
                else:  # the match's way: the head read with other reads, then a batch
                    (rows,) = run_together((services.HEAD, None, {}))
                    # Once per writer a head read long ago (the chain has moved on): a
                    # conflict for certain, whatever the threads' timing.
                    head = chain.GENESIS if n < 3 else services.head_of(rows)
                    with services.batched(head=head):
                        record_read(actor=user, action="accounts.user.read", subject=user)
                        record_change(actor=user, action="accounts.user.touched", subject=user)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    before = AuditEvent.objects.count()
    assert before, "the users' own rows: the chain has a head other than the start"
    threads = [threading.Thread(target=write, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert AuditEvent.objects.count() == before + 6 * (5 + 5 + 5 * 2)
    ok, out = verify_output()
    assert ok, out
    rows = list(AuditEvent.objects.order_by("id").values_list("prev_hash", "at"))
    assert len({prev for prev, _ in rows}) == len(rows)
    assert [at for _, at in rows] == sorted(at for _, at in rows)
    assert len(conflicts) >= len(users)  # at least the stale heads: the retry was exercised


@pytest.mark.postgres
def test_a_write_after_a_stale_head_in_a_transaction_follows_the_real_head(call_taker):
    """Another writer came first (here: the head passed is not the head): the statement
    inserts nothing and says which head it found; the rows are chained after it and inserted
    under the lock the statement took (held to the end of the transaction)."""
    from django.test.utils import CaptureQueriesContext

    from dapolice.audit.services import batched

    head = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    with CaptureQueriesContext(connection) as captured, batched(head=chain.GENESIS):
        first = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
        second = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    sent = [q["sql"] for q in captured.captured_queries]
    assert len(sent) == 2
    assert "audit_append(" in sent[0]
    assert sent[1].startswith('INSERT INTO "audit_auditevent"')
    assert first.prev_hash == head.chain_hash
    assert second.prev_hash == first.chain_hash
    assert AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    ok, out = verify_output()
    assert ok, out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("attempts", [3, 1], ids=["tried again", "then the lock first"])
def test_a_write_after_a_stale_head_outside_a_transaction_follows_the_real_head(
    call_taker, monkeypatch, attempts
):
    """In autocommit the statement's lock ends with it: the write is tried again after the
    head the statement found, and after ``OPTIMISTIC_ATTEMPTS`` the lock is taken first."""
    from django.test.utils import CaptureQueriesContext

    from dapolice.audit import services

    monkeypatch.setattr(services, "OPTIMISTIC_ATTEMPTS", attempts)
    head = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured, services.batched(head=chain.GENESIS):
        row = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    sent = [q["sql"] for q in captured.captured_queries]
    assert "audit_append(" in sent[0]
    if attempts > 1:  # no BEGIN or COMMIT either: each statement its own transaction
        assert len(sent) == 2
        assert "audit_append(" in sent[1]
    else:
        assert sent[1] == "BEGIN"
        assert "pg_advisory_xact_lock" in sent[2]
        assert sent[3].startswith('INSERT INTO "audit_auditevent"')
        assert sent[4:] == ["COMMIT"]
    assert row.prev_hash == head.chain_hash
    assert AuditEvent.objects.get(pk=row.pk).chain_hash == row.chain_hash
    assert AuditEvent.objects.get(pk=row.pk).at == row.at
    ok, out = verify_output()
    assert ok, out


@pytest.mark.postgres
def test_the_audit_needs_only_insert_and_select_on_its_table(call_taker):
    """The runtime database role: INSERT and SELECT on the audit table (and its sequence), no
    UPDATE, DELETE, TRUNCATE or ownership; the chain's lock is an advisory lock, not a row."""
    role = f"dapolice_runtime_probe_{uuid.uuid4().hex[:8]}"
    assert call_taker.roles  # read now, as a request does before it audits
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT ON audit_auditevent TO {role}")
        cursor.execute(f"GRANT USAGE ON SEQUENCE audit_auditevent_id_seq TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    try:
        event = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
        assert AuditEvent.objects.filter(pk=event.pk).exists()
        for sql in (
            "UPDATE audit_auditevent SET reason = 'x'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}",
        ):
            with (
                pytest.raises(DatabaseError, match="permission denied|must be owner"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert verify_output()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_the_audit_cannot_be_written_the_request_fails_and_shows_nothing(
    client_for, call_taker, log_incident
):
    incident = log_incident(victim={"given_name": "Zelda", "family_name": "Quorn"})
    victim = incident.people.get(role="victim").person
    client = client_for(call_taker)
    client.raise_request_exception = False
    assert b"Quorn" in client.get(f"/incidents/{incident.pk}/").content
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION audit_probe_down() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit store unavailable'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER audit_probe_down BEFORE INSERT ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION audit_probe_down()"
        )
    try:
        for url in (f"/incidents/{incident.pk}/", "/incidents/", f"/api/persons/{victim.pk}/",
                    "/api/incidents/"):  # fmt: skip
            response = client.get(url)
            # A database fault is a 503 (issue 13): a problem on the API, the "unavailable" page.
            assert response.status_code == 503, url
            assert b"Quorn" not in response.content, url
            assert b"Zelda" not in response.content, url
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit_probe_down ON audit_auditevent")
            cursor.execute("DROP FUNCTION audit_probe_down()")


# --- Who looked at this record? The filter set, the page, the API ---------------------------


@pytest.mark.postgres
def test_who_looked_at_a_record_uses_the_subject_and_shown_indexes(call_taker):
    from dapolice.audit.selectors import audit_event_queryset

    # Enough rows of one record type that the type alone is not selective (as in production,
    # where reads of persons are a large share of the table), so the plan shows the indexes.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_id, actor_roles, kind, action, subject_type,"
            " subject_id, object_ids, changes, reason, request_id, prev_hash, chain_hash)"
            " SELECT now(), %s, '', 'read', 'incidents.person.read', 'incidents.person',"
            " (g %% 2000)::text, jsonb_build_array(((g + 7) %% 2000)::text), '{}', '', '', '', ''"
            " FROM generate_series(1, 20000) g",
            [call_taker.pk],
        )
        cursor.execute("ANALYZE audit_auditevent")
    qs = audit_event_queryset(
        actor=call_taker, filters={"subject_type": "incidents.person", "subject_id": "42"}
    )
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_subject_idx" in plan, plan
    assert "audit_shown_idx" in plan, plan
    assert "Seq Scan on audit_auditevent" not in plan, plan


def test_who_looked_finds_single_reads_and_the_lists_a_record_was_shown_on(
    client_for, personas, call_taker
):
    target = personas["mash"]
    record_read(actor=call_taker, action="accounts.user.read", subject=target)
    record_list(actor=personas["investigator"], action="accounts.user.listed", model=type(target),
                ids=[target.pk, call_taker.pk])  # fmt: skip
    record_read(actor=call_taker, action="accounts.user.read", subject=personas["analyst"])
    auditor = client_for(personas["control_supervisor"])
    params = {"subject_type": "accounts.user", "subject_id": str(target.pk)}
    page = auditor.get("/audit/", params).content.decode()
    api = auditor.get("/api/audit/events/", params).json()["results"]
    # The system created the user; the call taker read them; the investigator had them on a list.
    assert {e["actor"] for e in api} == {"system", call_taker.username,
                                         personas["investigator"].username}  # fmt: skip
    assert call_taker.username in page
    assert personas["investigator"].username in page


def test_reading_the_audit_trail_is_audited_with_its_filters(client_for, control_supervisor):
    client = client_for(control_supervisor)
    assert client.get("/audit/", {"action": "accounts", "kind": "access"}).status_code == 200
    listed = AuditEvent.objects.filter(action="audit.event.listed").latest("pk")
    assert listed.actor == control_supervisor
    assert listed.changes["filters"][1] == {"action": "accounts", "kind": "access"}
    assert listed.object_ids
    assert client.get("/api/audit/events/", {"kind": "access"}).status_code == 200
    api = AuditEvent.objects.filter(action="audit.event.listed").latest("pk")
    assert api.pk > listed.pk
    assert api.object_ids


def test_the_audit_filters_refuse_bad_input_and_have_no_value_filter(
    client_for, control_supervisor
):
    client = client_for(control_supervisor)
    assert client.get("/api/audit/events/", {"kind": "nonsense"}).status_code == 400
    page = client.get("/audit/", {"since": "not a date"})
    assert page.status_code == 200
    assert b"govuk-error-message" in page.content
    # Unknown parameters (values, reasons) filter nothing: the same rows as no filter at all.
    everything = client.get("/api/audit/events/").json()["results"]
    oracle = client.get("/api/audit/events/", {"changes__icontains": "Q", "reason": "x"})
    assert [e["id"] for e in oracle.json()["results"]][1:] == [e["id"] for e in everything]
    assert not {"changes", "reason"} & set(AuditEventFilter.base_filters)


def test_the_audit_trail_is_for_auditors_only(client_for, personas):
    for persona in ("call_taker", "analyst", "partner", "outsider"):
        assert client_for(personas[persona]).get("/api/audit/events/").status_code == 403, persona


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_seals_rows_written_before_the_chain_existed(call_taker, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr("dapolice.audit.migrations.0003_hash_chain.BATCH", 7, raising=False)
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0002_append_only_trigger")])
    with connection.cursor() as cursor:
        for i in range(20):  # rows as the old code wrote them: no hash columns
            cursor.execute(
                "INSERT INTO audit_auditevent (at, actor_id, actor_roles, kind, action,"
                " subject_type, subject_id, object_ids, changes, reason, ip, request_id)"
                " VALUES (now(), %s, 'call_taker', 'read', 'accounts.user.read', 'accounts.user',"
                " %s, '[]', %s, '', '10.0.0.1', '')",
                [call_taker.pk, str(i), json.dumps({"n": [i, 1.0 * i]})],
            )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not AuditEvent.objects.filter(chain_hash="").exists()
    ok, out = verify_output()
    assert ok, out
    # New rows continue the sealed chain.
    record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
    assert verify_output()[0]


# --- The read rate, counted where a read row is written ------------------------------------------


@pytest.fixture
def read_limit(settings: Any) -> Any:
    """A read limit small enough to reach; the count lives in Redis (flushed for each test)."""
    if not settings.REDIS_URL:
        pytest.skip("the read rate needs Redis (set REDIS_URL)")

    def limit(n: int) -> None:
        settings.DAPOLICE_READ_RATE_LIMIT = n

    return limit


def _person(pk: int) -> Any:
    from incidents.models import Person

    return Person(pk=pk)  # a case record's type and id: all a read row names


def test_reads_and_lists_of_case_records_count_each_record_once(call_taker, read_limit):
    from dapolice.audit.throttle import ReadRateExceeded
    from incidents.models import Person

    read_limit(2)
    record_read(actor=call_taker, action="incidents.person.read", subject=_person(1))
    record_read(actor=call_taker, action="incidents.person.read", subject=_person(1))
    record_list(actor=call_taker, action="incidents.person.listed", model=Person, ids=[2])
    reads = AuditEvent.objects.filter(action__startswith="incidents.person.")
    written = reads.count()
    with pytest.raises(ReadRateExceeded):
        record_read(actor=call_taker, action="incidents.person.read", subject=_person(3))
    with pytest.raises(ReadRateExceeded):
        record_list(actor=call_taker, action="incidents.person.listed", model=Person, ids=[3])
    with pytest.raises(ReadRateExceeded):
        record_list(
            actor=call_taker,
            action="incidents.person.matched",
            model=Person,
            ids=[4],
            kind=AuditEvent.Kind.SEARCH,
        )
    assert reads.count() == written  # refused: nothing shown, no read row
    # Records already shown in this window may be shown again.
    record_list(actor=call_taker, action="incidents.person.listed", model=Person, ids=[1, 2])


def test_the_read_rate_is_counted_per_user(make_user, read_limit):
    from dapolice.audit.throttle import ReadRateExceeded

    read_limit(1)
    ann, bob = make_user(Role.CALL_TAKER), make_user(Role.CALL_TAKER)
    record_read(actor=ann, action="incidents.person.read", subject=_person(1))
    record_read(actor=bob, action="incidents.person.read", subject=_person(2))
    with pytest.raises(ReadRateExceeded):
        record_read(actor=ann, action="incidents.person.read", subject=_person(2))


def test_changes_and_reads_of_staff_or_audit_rows_are_not_counted(
    call_taker, make_user, read_limit
):
    from dapolice.audit.services import record_create
    from dapolice.audit.throttle import ReadRateExceeded

    read_limit(1)
    for pk in (1, 2, 3):
        record_change(actor=call_taker, action="incidents.person.changed", subject=_person(pk))
        record_create(actor=call_taker, action="incidents.person.created", subject=_person(pk))
    for user in (make_user(Role.MASH), make_user(Role.MASH), call_taker):
        record_read(actor=call_taker, action="accounts.user.read", subject=user)
    record_list(actor=call_taker, action="audit.event.listed", model=AuditEvent, ids=[1, 2, 3])
    record_read(actor=call_taker, action="incidents.person.read", subject=_person(9))
    with pytest.raises(ReadRateExceeded):
        record_read(actor=call_taker, action="incidents.person.read", subject=_person(10))


def test_an_empty_list_counts_no_record(call_taker, read_limit):
    from incidents.models import Person

    read_limit(1)
    for _ in range(3):
        record_list(actor=call_taker, action="incidents.person.listed", model=Person, ids=[])
    record_read(actor=call_taker, action="incidents.person.read", subject=_person(1))


# --- Writing: defaults, batches, and a failed write failing its caller ---------------------------


def test_rows_without_a_reason_have_none_and_an_access_row_names_its_subject(call_taker):
    from dapolice.audit.services import record_access, record_create

    created = record_create(actor=call_taker, action="accounts.user.created", subject=call_taker)
    changed = record_change(actor=call_taker, action="accounts.user.renamed", subject=call_taker)
    listed = record_list(actor=call_taker, action="audit.event.listed", model=AuditEvent, ids=[1])
    assert [e.reason for e in (created, changed, listed)] == ["", "", ""]
    assert AuditEvent.objects.get(pk=listed.pk).reason == ""
    export = record_access(actor=call_taker, action="accounts.export", subject=call_taker)
    assert (export.subject_type, export.subject_id) == ("accounts.user", str(call_taker.pk))


def test_a_batch_writes_its_rows_together_at_the_end_chained_in_order(call_taker):
    from dapolice.audit.services import batched, record_access

    before = AuditEvent.objects.count()
    with batched():
        first = record_access(actor=call_taker, action="accounts.session.signed_in")
        second = record_read(actor=call_taker, action="accounts.user.read", subject=call_taker)
        with batched():  # an inner block: the outer one writes
            third = record_access(actor=call_taker, action="accounts.session.signed_out")
        assert AuditEvent.objects.count() == before
    stored = list(AuditEvent.objects.order_by("-pk")[:3])[::-1]
    assert [e.action for e in stored] == [
        "accounts.session.signed_in",
        "accounts.user.read",
        "accounts.session.signed_out",
    ]
    assert [e.chain_hash for e in stored] == [e.chain_hash for e in (first, second, third)]
    assert second.prev_hash == first.chain_hash
    assert third.prev_hash == second.chain_hash
    ok, out = verify_output()
    assert ok, out
    single = record_access(actor=call_taker, action="accounts.session.signed_in")
    assert single.prev_hash == third.chain_hash
    assert AuditEvent.objects.count() == before + 4


@pytest.mark.postgres
def test_a_failed_audit_write_fails_the_callers_transaction_even_if_caught(call_taker):
    from django.db import DataError
    from django.db.transaction import TransactionManagementError

    from dapolice.accounts.models import User

    name = call_taker.first_name
    with transaction.atomic():
        User.objects.filter(pk=call_taker.pk).update(first_name="Renamed")
        with pytest.raises(DataError):  # longer than the action column
            record_change(actor=call_taker, action="x" * 101, subject=call_taker)
        with pytest.raises(TransactionManagementError):
            User.objects.count()  # nothing more in this transaction
    assert User.objects.get(pk=call_taker.pk).first_name == name  # the change went with it


# --- Configuration rows saved and deleted through the admin ---------------------------------------


def test_a_configuration_row_is_saved_with_its_created_row(control_supervisor):
    from dapolice.accounts.choices import AgencyKind
    from dapolice.accounts.models import Agency
    from dapolice.audit.services import configuration_save

    agency = Agency(name="Northshire Women's Aid", code="nwa", kind=AgencyKind.IDVA)
    saved = configuration_save(
        actor=control_supervisor, obj=agency, fields=["name", "kind", "no_such_field"], created=True
    )
    assert saved is agency
    assert Agency.objects.filter(pk=agency.pk, code="nwa").exists()
    row = AuditEvent.objects.get(action="accounts.agency.created")
    assert (row.actor, row.kind, row.subject_type, row.subject_id) == (
        control_supervisor,
        "create",
        "accounts.agency",
        str(agency.pk),
    )
    assert row.changes == {"name": [None, "Northshire Women's Aid"], "kind": [None, "idva"]}


def test_a_configuration_change_records_old_and_new_of_the_fields_that_changed(control_supervisor):
    from dapolice.accounts.choices import AgencyKind
    from dapolice.accounts.models import Agency
    from dapolice.audit.services import configuration_save

    agency = Agency.objects.create(name="Old name", code="old", kind=AgencyKind.HOUSING)
    edited = Agency.objects.get(pk=agency.pk)
    edited.name, edited.kind = "New name", AgencyKind.HOUSING
    configuration_save(actor=control_supervisor, obj=edited, fields=["name", "kind"], created=False)
    assert Agency.objects.get(pk=agency.pk).name == "New name"
    row = AuditEvent.objects.get(action="accounts.agency.changed")
    assert (row.actor, row.kind, row.subject_id) == (control_supervisor, "change", str(agency.pk))
    assert row.changes == {"name": ["Old name", "New name"]}  # kind unchanged: not logged
    configuration_save(actor=control_supervisor, obj=edited, fields=["name"], created=False)
    assert AuditEvent.objects.filter(action="accounts.agency.changed").count() == 1  # no change


def test_a_configuration_row_is_deleted_with_its_row_or_not_at_all(control_supervisor, make_user):
    from django.db.models import ProtectedError

    from dapolice.accounts.choices import AgencyKind
    from dapolice.accounts.models import Agency
    from dapolice.audit.services import configuration_delete

    agency = Agency.objects.create(name="Gone", code="gone", kind=AgencyKind.HEALTH)
    pk = agency.pk
    configuration_delete(actor=control_supervisor, obj=agency)
    assert not Agency.objects.filter(pk=pk).exists()
    row = AuditEvent.objects.get(action="accounts.agency.deleted")
    assert (row.actor, row.kind, row.subject_type, row.subject_id) == (
        control_supervisor,
        "delete",
        "accounts.agency",
        str(pk),
    )
    kept = Agency.objects.create(name="Kept", code="kept", kind=AgencyKind.HEALTH)
    make_user(Role.PARTNER, agency=kept)
    with pytest.raises(ProtectedError):
        configuration_delete(actor=control_supervisor, obj=kept)
    assert AuditEvent.objects.filter(action="accounts.agency.deleted").count() == 1


def test_a_batch_of_two_rows_writes_both(call_taker):
    from dapolice.audit.services import batched, record_access

    before = AuditEvent.objects.count()
    with batched():
        first = record_access(actor=call_taker, action="accounts.session.signed_in")
        second = record_access(actor=call_taker, action="accounts.session.signed_out")
    assert AuditEvent.objects.count() == before + 2
    assert AuditEvent.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    assert second.prev_hash == first.chain_hash

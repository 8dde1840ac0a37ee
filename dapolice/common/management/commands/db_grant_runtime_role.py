"""``manage.py db_grant_runtime_role <role>``: what the application's database role may do.

Run by the migration owner (the role that owns the tables) after every ``migrate``; compose's
one-shot ``migrate`` service does both. The runtime role (web, worker, beat) then gets exactly:

* ``SELECT, INSERT, UPDATE, DELETE`` on every table of the schema, and ``USAGE, SELECT`` on its
  sequences;
* ``SELECT, INSERT`` only on the append-only tables (:data:`APPEND_ONLY_MODELS`: the audit
  trail), ``SELECT`` only on ``django_migrations``;
* never ``TRUNCATE``, ``REFERENCES`` or ``TRIGGER``, nor ``CREATE`` in the schema. It owns
  nothing, so it cannot ``ALTER TABLE ... DISABLE TRIGGER``; not being a superuser, it cannot
  ``SET session_replication_role = replica`` to skip the append-only trigger either.

Every table's privileges are revoked and granted afresh, so running it again is harmless and a
privilege granted by hand is taken away. PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

#: Models whose rows are never changed or removed once written (``app_label.ModelName``).
APPEND_ONLY_MODELS = ("audit.AuditEvent",)
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY = "SELECT, INSERT"
READ_ONLY = "SELECT"
#: Tables the application reads but only ``migrate`` (the owner) writes.
READ_ONLY_TABLES = ("django_migrations",)


class Command(BaseCommand):
    help = (
        "Grant the runtime database role what the application needs on the tables the current "
        "(owner) role created: read/write, the audit trail append-only, no DDL. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the runtime role, e.g. dapolice_app")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants need PostgreSQL.")
        role = options["role"]
        qn = connection.ops.quote_name
        append_only = {apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS}
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            self._refuse_unsafe_role(cursor, role)
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            tables = connection.introspection.table_names(cursor, include_views=False)
            cursor.execute(f"GRANT USAGE ON SCHEMA {qn(schema)} TO {qn(role)}")
            cursor.execute(f"REVOKE CREATE ON SCHEMA {qn(schema)} FROM {qn(role)}")
            counts = {READ_WRITE: 0, APPEND_ONLY: 0, READ_ONLY: 0}
            for table in tables:
                if table in append_only:
                    privileges = APPEND_ONLY
                elif table in READ_ONLY_TABLES:
                    privileges = READ_ONLY
                else:
                    privileges = READ_WRITE
                cursor.execute(f"REVOKE ALL ON TABLE {qn(table)} FROM {qn(role)}")
                cursor.execute(f"GRANT {privileges} ON TABLE {qn(table)} TO {qn(role)}")
                counts[privileges] += 1
            cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {qn(schema)} FROM {qn(role)}")
            cursor.execute(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {qn(schema)} TO {qn(role)}"
            )
        self.stdout.write(
            f"{role}: {counts[READ_WRITE]} tables read/write, {counts[APPEND_ONLY]} append-only "
            f"({', '.join(sorted(append_only))}), {counts[READ_ONLY]} read-only, no DDL."
        )

    @staticmethod
    def _refuse_unsafe_role(cursor: Any, role: str) -> None:
        """The runtime role must exist and hold none of the powers the grants are meant to deny."""
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolbypassrls, pg_has_role(%s, current_user, 'MEMBER'),"
            " EXISTS (SELECT 1 FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            "         WHERE r.rolname = %s AND c.relnamespace = current_schema()::regnamespace)"
            " FROM pg_roles WHERE rolname = %s",
            [role, role, role],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f"There is no database role {role!r}.")
        superuser, createrole, bypassrls, member_of_owner, owns_tables = row
        if superuser or createrole or bypassrls:
            raise CommandError(
                f"{role!r} is a superuser or may create roles or bypass row security: "
                "the runtime role must be an ordinary login role."
            )
        if member_of_owner or owns_tables:
            raise CommandError(
                f"{role!r} owns tables or is (a member of) the role running migrations: "
                "the runtime role must not own the tables."
            )

"""``manage.py audit_verify``: walk the audit hash chain and report every break.

Exit status 0 when the chain is whole, 1 when a row was removed, altered or inserted (each
reported by id). ``--head`` also prints the last row's id and hash: record it somewhere outside
the database (a ticket, the force's SIEM) and a later ``--expect id:hash`` proves that the rows
up to it are still there (the chain alone cannot show that rows were cut off the end).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dapolice.audit import chain
from dapolice.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (removed, altered or inserted rows)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head", action="store_true", help="print the last row's id:hash")
        parser.add_argument(
            "--expect", metavar="ID:HASH", help="fail unless row ID is present with HASH"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = (
            AuditEvent.objects.order_by("id")
            .values("id", "prev_hash", "chain_hash", *chain.HASHED_FIELDS)
            .iterator(chunk_size=5000)
        )
        problems = 0
        checked = 0
        last: dict[str, Any] | None = None

        def counted() -> Any:
            nonlocal checked, last
            for row in rows:
                checked += 1
                last = row
                yield row

        for problem in chain.verify(counted()):
            problems += 1
            self.stdout.write(f"BROKEN {problem.kind}: {problem.message}")
        if options["expect"]:
            event_id, _sep, expected = options["expect"].partition(":")
            if not event_id.isdigit():
                raise CommandError("--expect takes ID:HASH, as --head prints it")
            found = AuditEvent.objects.filter(pk=int(event_id)).values_list("chain_hash", flat=True)
            if list(found) != [expected]:
                problems += 1
                self.stdout.write(f"BROKEN anchor: row {event_id} is missing or not {expected}")
        if options["head"] and last is not None:
            self.stdout.write(f"head {last['id']}:{last['chain_hash']}")
        if problems:
            raise CommandError(f"{problems} problem(s) in {checked} audit rows")
        self.stdout.write(f"audit chain intact: {checked} rows")

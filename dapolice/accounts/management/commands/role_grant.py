"""``manage.py role_grant USERNAME ROLE --reason "..."``: give a role directly, as the system.

For the server's operators only (it needs shell access to the application): appointing the first
control-room supervisor of a new installation, who then approves every other role request.
Audited with the system as the actor and the reason given.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dapolice.accounts.choices import Role
from dapolice.accounts.models import User
from dapolice.accounts.services import MIN_REASON_LENGTH, system_user, user_set_roles
from dapolice.common.errors import DomainError


class Command(BaseCommand):
    help = "Give a user a role directly (bootstrap; audited as the system)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if len(options["reason"].strip()) < MIN_REASON_LENGTH:
            raise CommandError(f"--reason needs at least {MIN_REASON_LENGTH} characters")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("no such user")
        try:
            user = user_set_roles(
                actor=system_user(),
                user=user,
                roles=set(user.roles) | {options["role"]},
                reason=options["reason"].strip(),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.username} now holds: {', '.join(sorted(user.roles))}")

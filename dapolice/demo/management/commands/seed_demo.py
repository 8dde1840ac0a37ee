"""``manage.py seed_demo``: demo users (one per role), partner agencies and a small data set.

Idempotent: users and agencies that exist are left alone, and the synthetic data is loaded only
into a database without incidents. Refuses to run in production (``DAPOLICE_ENV``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from dapolice.accounts.choices import AgencyKind, Role
from dapolice.accounts.models import Agency, User
from dapolice.accounts.services import system_user, user_create
from dapolice.demo.custody import seed_custody
from dapolice.demo.dash import seed_dash
from dapolice.demo.generator import STORY_PEOPLE, generate
from dapolice.demo.marac import seed_marac
from dapolice.demo.mash import seed_mash
from incidents.models import Incident, IncidentPerson, PersonName

DEFAULT_PASSWORD = "dapolice-demo-pass"  # noqa: S105 - demo accounts only; never in production
DEFAULT_INCIDENTS = 2000
#: Demo users the sample DASHes need (an officer completes, the sergeant reviews).
DASH_USERS = ("officer", "sergeant", "calltaker", "mash", "marac")


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    agency: str | None = None  # agency code


AGENCIES = (
    # code, name, kind
    ("police", "Demo Constabulary", AgencyKind.POLICE),
    ("health", "Demo Community Health Trust", AgencyKind.HEALTH),
    ("housing", "Demo Housing Partnership", AgencyKind.HOUSING),
    ("childrens-services", "Demo Children's Services", AgencyKind.CHILDRENS_SERVICES),
    ("adult-services", "Demo Adult Social Care", AgencyKind.ADULT_SERVICES),
    ("idva", "Demo IDVA Service", AgencyKind.IDVA),
    ("probation", "Demo Probation Service", AgencyKind.PROBATION),
    ("education", "Demo Schools Safeguarding", AgencyKind.EDUCATION),
)

USERS = (
    DemoUser("calltaker", Role.CALL_TAKER, "Chloe", "Taylor"),
    DemoUser("controlsup", Role.CONTROL_SUPERVISOR, "Sam", "Okafor"),
    DemoUser("officer", Role.ATTENDING_OFFICER, "Dan", "Hughes"),
    DemoUser("sergeant", Role.SUPERVISOR, "Priya", "Shah"),
    DemoUser("mash", Role.MASH, "Gareth", "Lloyd"),
    DemoUser("investigator", Role.INVESTIGATOR, "Aisha", "Bello"),
    DemoUser("marac", Role.MARAC_COORDINATOR, "Helen", "Price"),
    DemoUser("partner.health", Role.PARTNER, "Ruth", "Evans", agency="health"),
    DemoUser("partner.idva", Role.PARTNER, "Jo", "Marsh", agency="idva"),
    DemoUser("partner.housing", Role.PARTNER, "Kim", "Doyle", agency="housing"),
    DemoUser("analyst", Role.ANALYST, "Tom", "Fletcher"),
    DemoUser("admin", Role.SYSADMIN, "Alex", "Morgan"),
)


class Command(BaseCommand):
    help = "Create demo users (one per role), partner agencies and a small synthetic data set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--incidents", type=int, default=DEFAULT_INCIDENTS, help="size of the data set"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-data", action="store_true", help="users and agencies only")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DAPOLICE_ENV == "production":
            raise CommandError("seed_demo never runs in production (DAPOLICE_ENV=production).")
        password = os.environ.get("DAPOLICE_DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            agencies = self._agencies()
            created = self._users(agencies, password)
        self._print_credentials(created, password)
        if not options["no_data"]:
            self._data(options["incidents"], options["seed"])

    def _agencies(self) -> dict[str, Agency]:
        out = {}
        for code, name, kind in AGENCIES:
            agency = Agency.objects.filter(code=code).first()
            if agency is None:
                agency = Agency.objects.create(code=code, name=name, kind=kind)
            out[code] = agency
        return out

    def _users(self, agencies: dict[str, Agency], password: str) -> set[str]:
        actor = system_user()
        existing = set(
            User.objects.filter(username__in=[u.username for u in USERS]).values_list(
                "username", flat=True
            )
        )
        created = set()
        for spec in USERS:
            if spec.username in existing:
                continue
            user_create(
                actor=actor,
                username=spec.username,
                password=password,
                roles=[spec.role],
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@demo.invalid",
                agency=agencies[spec.agency] if spec.agency else None,
            )
            # The demo administrator is a system administrator, not a superuser: the role gives
            # users, agencies and configuration, and no case content, as in production.
            created.add(spec.username)
        return created

    def _print_credentials(self, created: set[str], password: str) -> None:
        agencies = dict(Agency.objects.values_list("code", "name"))
        rows = [
            (
                u.username,
                str(Role(u.role).label),
                agencies.get(u.agency, "") if u.agency else "",
                password if u.username in created else f"{password} *",
            )
            for u in USERS
        ]
        header = ("username", "role", "agency", "password")
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        self.stdout.write(
            self.style.MIGRATE_HEADING(f"Demo users (sign in at {reverse(settings.LOGIN_URL)})")
        )
        self.stdout.write(line(header))
        self.stdout.write(line(tuple("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line(row))
        if len(created) < len(USERS):
            self.stdout.write(
                "* already existed: unchanged, with the password they were created with "
                f"(DAPOLICE_DEMO_PASSWORD, default {DEFAULT_PASSWORD!r})."
            )

    def _data(self, incidents: int, seed: int) -> None:
        count = Incident.objects.count()
        if count:
            self.stdout.write(f"Demo data: {count:,} incidents already present; nothing added.")
        else:
            stats = generate(
                incidents=incidents,
                seed=seed,
                stories=True,
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
            self.stdout.write(self.style.SUCCESS(f"Demo data: {stats.summary()}"))
        self._print_stories()
        self._dash()

    def _dash(self) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=DASH_USERS)}
        if len(users) < len(DASH_USERS):
            return
        lines = seed_dash(
            officer=users["officer"],
            sergeant=users["sergeant"],
            dispatcher=users["calltaker"],
        )
        lines += seed_custody(officer=users["officer"])
        lines += seed_mash(mash=users["mash"], system=system_user())
        lines += seed_marac(marac=users["marac"], mash=users["mash"], system=system_user())
        for line in lines:
            self.stdout.write(line)

    def _print_stories(self) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Demo stories"))
        for title, (given, family), note in STORY_PEOPLE:
            name = (
                PersonName.objects.filter(given_name=given, family_name=family, is_primary=True)
                .order_by("pk")
                .first()
            )
            if name is None:
                continue
            references = list(
                IncidentPerson.objects.filter(person_id=name.person_id)
                .order_by("received_at")
                .values_list("incident__reference", flat=True)
            )
            self.stdout.write(f"{title}: {given} {family} - {note}")
            self.stdout.write(f"    {', '.join(r for r in references if r)}")

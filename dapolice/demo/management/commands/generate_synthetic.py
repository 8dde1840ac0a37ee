"""``manage.py generate_synthetic --incidents N [--seed S] [--people-only --persons N]``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dapolice.demo.generator import generate, generate_people


class Command(BaseCommand):
    help = (
        "Load reproducible synthetic data: persons, addresses, incidents, involvements and "
        "markers (bulk COPY on PostgreSQL). Never in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=0, help="number of incidents")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--years", type=float, default=5.0, help="span of the incidents, up to now"
        )
        parser.add_argument(
            "--people-only", action="store_true", help="persons only, in households"
        )
        parser.add_argument("--persons", type=int, default=0, help="with --people-only")
        parser.add_argument(
            "--stories", action="store_true", help="add the three scripted demo stories"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DAPOLICE_ENV == "production":
            raise CommandError("Synthetic data is never loaded in production (DAPOLICE_ENV).")
        if options["people_only"]:
            if options["persons"] <= 0:
                raise CommandError("--people-only needs --persons N")
            people = generate_people(persons=options["persons"], seed=options["seed"])
            self.stdout.write(f"{len(people):,} persons (seed {options['seed']})")
            return
        if options["incidents"] <= 0:
            raise CommandError("Say how many: --incidents N (or --people-only --persons N)")
        stats = generate(
            incidents=options["incidents"],
            seed=options["seed"],
            years=options["years"],
            stories=options["stories"],
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        self.stdout.write(self.style.SUCCESS(stats.summary()))
        for story in stats.stories:
            self.stdout.write(f"{story.title}: {', '.join(story.references)}")

"""``manage.py matching_train``: train the matching weights with Splink now (issue 14)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dapolice.accounts.services import system_user
from incidents.matching.services import matching_model_train
from incidents.matching.training import TrainingUnavailable


class Command(BaseCommand):
    help = "Train a new (inactive) matching model with Splink on every person's match keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--u-pairs", type=int, default=None, help="pairs sampled for u")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = matching_model_train(
                actor=system_user(), u_pairs=options["u_pairs"], seed=options["seed"]
            )
        except TrainingUnavailable as exc:
            raise CommandError(str(exc)) from exc
        training = model.metrics.get("training", {})
        self.stdout.write(
            f"model #{model.pk} trained on {model.record_count:,} persons in "
            f"{training.get('seconds')} s (peak {training.get('peak_mb')} MB); inactive until "
            "an analyst promotes it"
        )

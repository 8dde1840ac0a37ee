"""Celery tasks of the matching engine: training its weights (issue 14), on a worker.

The worker has the ``train`` extra (Splink, DuckDB); the web process never imports them.
"""

from __future__ import annotations

import logging

from celery import shared_task

from dapolice.accounts.services import system_user
from incidents.matching.services import matching_model_train
from incidents.matching.training import TrainingUnavailable

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def matching_train_task() -> int | None:
    """Nightly (beat) and on demand: train a new, inactive model; an analyst promotes it.

    Safe to run twice: each run stores one more inactive model and changes nothing served.
    Returns the new model's id (None when training is not possible here).
    """
    try:
        model = matching_model_train(actor=system_user())
    except TrainingUnavailable as exc:
        logger.warning("matching training skipped: %s", exc)
        return None
    return model.pk

"""The matching engine's tunables: Django settings, with their defaults defined here only.

A force may change any of them in ``dapolice/settings.py`` (or the environment behind it); code
reads them through :func:`setting`, never through a constant of its own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A candidate whose score reaches this is flagged in the panel as "probably this person"
    # (the call taker still confirms). Chosen on the synthetic labelled set (bench/matching).
    "DAPOLICE_MATCH_FLAG_THRESHOLD": 0.5,
    # Candidates scoring below this are not shown at all.
    "DAPOLICE_MATCH_MIN_SCORE": 0.01,
    # Rows each candidate block may return (the LIMIT of every block query).
    "DAPOLICE_MATCH_BLOCK_LIMIT": 30,
    # People listed at an address (``selectors.people_at_address``); a separate list, not matches.
    "DAPOLICE_MATCH_ADDRESS_LIMIT": 50,
    # Training (issue 14): a value of a term-frequency table is stored only when at least this
    # many people hold it; rarer values get the model's rare-value weight.
    "DAPOLICE_MATCH_TF_MIN_PERSONS": 5,
    # Pairs sampled at random to estimate u (chance agreement) while training.
    "DAPOLICE_MATCH_TRAIN_U_PAIRS": 2_000_000,
    # A trained model may be promoted when its figures on the labels are no worse than the
    # active model's by more than this (recall and precision at the flag, 0..1).
    "DAPOLICE_MATCH_PROMOTION_TOLERANCE": 0.0,
}


def setting(name: str) -> Any:
    """The configured value of one of :data:`DEFAULTS`."""
    return getattr(settings, name, DEFAULTS[name])

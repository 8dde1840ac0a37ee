"""The weights the engine serves: the active ``MatchingModel``'s, else the hand-set ones.

The engine's one statement also reads the active model's id (a scalar subquery on a partial
unique index), so every search knows which model is active without a query of its own. The
weights of a model are read once per process, when its id is first seen: a model's weights
never change once stored, so nothing needs invalidating; promoting another model changes the
id and the next search in every process reads the new weights (one query, once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from incidents.matching import scoring

logger = logging.getLogger(__name__)

#: Weights of each model id seen by this process.
_BY_MODEL: dict[int, scoring.Weights] = {}

_TABLES = ("given", "family", "dob", "phone", "address")
_SCALARS = ("prior", "swapped", "alias", "household_cap", "common_dob")
#: Levels added after models were first stored (table -> level -> the stronger level it may not
#: exceed): a stored model without one serves it at the hand weight, capped by that level.
LATER_LEVELS: dict[str, dict[str, str]] = {
    "address": {scoring.SAME_STREET: scoring.SAME},
    "dob": {scoring.YEAR: scoring.ONE_DIGIT},
}
#: Columns a trained model may hold a term-frequency table of.
TF_COLUMNS = ("given", "family", "postcode")


def to_json(w: scoring.Weights) -> dict[str, Any]:
    """``scoring.Weights`` as plain JSON (every level of every field, the scalars and the
    rare-value weights; the term-frequency tables are rows of ``MatchTermFrequency``)."""
    out: dict[str, Any] = {name: dict(getattr(w, name)) for name in _TABLES}
    out.update({name: float(getattr(w, name)) for name in _SCALARS})
    if w.tf_rare:
        out["tf_rare"] = {k: float(v) for k, v in w.tf_rare.items()}
    return out


def from_json(data: Mapping[str, Any]) -> scoring.Weights:
    """Weights from JSON; ``ValueError`` unless every level the engine compares has a number.

    Scalars left out keep the hand-set values (a model trained on levels alone need not carry
    the household cap). Unknown keys are refused: a typo must not pass for a weight.
    """
    known = {f.name for f in fields(scoring.Weights)} - {"tf"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown weights: {', '.join(sorted(unknown))}")
    default = scoring.DEFAULT_WEIGHTS
    values: dict[str, Any] = {}
    for name in _TABLES:
        expected = set(getattr(default, name))
        table = data.get(name)
        later = LATER_LEVELS.get(name, {})
        if not isinstance(table, Mapping) or not (expected - set(later) <= set(table) <= expected):
            raise ValueError(f"{name}: give a weight for each of {', '.join(sorted(expected))}")
        values[name] = {level: float(table[level]) for level in expected if level in table}
        for level, ceiling in later.items():
            if level not in values[name]:
                # A model stored before the level existed: the hand weight, never above the
                # level it is a weaker form of (as the model weighs that one).
                values[name][level] = min(getattr(default, name)[level], values[name][ceiling])
    for name in _SCALARS:
        values[name] = float(data.get(name, getattr(default, name)))
    rare = data.get("tf_rare") or {}
    if not isinstance(rare, Mapping) or not set(rare) <= set(TF_COLUMNS):
        raise ValueError(f"tf_rare: give weights of {', '.join(TF_COLUMNS)} only")
    values["tf_rare"] = {column: float(value) for column, value in rare.items()}
    return scoring.Weights(**values)


def for_model(model_id: int | None) -> scoring.Weights:
    """The weights of model ``model_id`` (the active one, as the engine's statement read it);
    the hand-set weights when there is none, or when the stored weights are unusable."""
    if model_id is None:
        return scoring.DEFAULT_WEIGHTS
    cached = _BY_MODEL.get(model_id)
    if cached is not None:
        return cached
    weights = load(model_id)
    _BY_MODEL[model_id] = weights
    return weights


def load(model_id: int) -> scoring.Weights:
    """Model ``model_id``'s weights with its term-frequency tables, read now (two queries)."""
    from incidents.matching.models import MatchingModel, MatchTermFrequency

    data = MatchingModel.objects.filter(pk=model_id).values_list("weights", flat=True).first()
    try:
        weights = from_json(data or {})
    except (TypeError, ValueError):
        logger.error("matching model %s has unusable weights; serving the hand-set ones", model_id)
        return scoring.DEFAULT_WEIGHTS
    if weights.tf_rare:
        tables: dict[str, dict[str, float]] = {column: {} for column in weights.tf_rare}
        rows = MatchTermFrequency.objects.filter(model_id=model_id).values_list(
            "column", "value", "weight"
        )
        for column, value, weight in rows.iterator(chunk_size=10_000):
            tables.setdefault(column, {})[value] = weight
        weights = replace(weights, tf=tables)
    return weights

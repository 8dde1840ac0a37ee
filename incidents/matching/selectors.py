"""Reads of the matching models for the analysts' comparison page (issue 14).

A model holds weights and aggregate figures, never a person's data; reads are still audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from dapolice.accounts.models import User
from dapolice.audit.services import record_read
from incidents.matching import scoring
from incidents.matching.models import MatchingModel
from incidents.matching.weights import TF_COLUMNS, load

#: The engine's fields in the order the chart lists them.
FIELDS = ("given", "family", "dob", "address", "phone")


def matching_model_list(*, user: User) -> QuerySet[MatchingModel]:
    """Every model, newest first (a handful a year)."""
    return MatchingModel.objects.order_by("-active", "-pk")


def matching_model_get_for_user(*, user: User, pk: int) -> MatchingModel:
    model = get_object_or_404(MatchingModel, pk=pk)
    record_read(actor=user, action="matching.model.read", subject=model)
    return model


def matching_model_active() -> MatchingModel | None:
    return MatchingModel.objects.filter(active=True).first()


@dataclass(frozen=True)
class ChartRow:
    """One comparison level: the weight of the model in use and of the candidate, and the
    geometry of their bars in the inline SVG (computed here: the template only places them)."""

    field: str
    level: str
    active: float
    candidate: float
    y: int
    active_x: float
    active_width: float
    candidate_x: float
    candidate_width: float


@dataclass(frozen=True)
class Chart:
    rows: list[ChartRow]
    width: int
    height: int
    zero_x: float
    label_width: int
    scale_min: float
    scale_max: float


#: Geometry of the match-weight chart (pixels).
_LABEL = 190
_PLOT = 420
_ROW = 22


def weight_chart(active: scoring.Weights, candidate: scoring.Weights) -> Chart:
    """Every level's log-odds weight under both models, as rows and bar geometry."""
    pairs: list[tuple[str, str, float, float]] = [
        (name, level, float(getattr(active, name)[level]), float(getattr(candidate, name)[level]))
        for name in FIELDS
        for level in getattr(scoring.DEFAULT_WEIGHTS, name)
    ]
    pairs.append(("prior", "prior", active.prior, candidate.prior))
    low = min(0.0, *(min(a, c) for _, _, a, c in pairs))
    high = max(0.0, *(max(a, c) for _, _, a, c in pairs))
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return round(_LABEL + (value - low) / span * _PLOT, 1)

    zero = x(0.0)
    rows = []
    for i, (name, level, a, c) in enumerate(pairs):
        rows.append(
            ChartRow(
                field=name,
                level=level,
                active=round(a, 2),
                candidate=round(c, 2),
                y=10 + i * _ROW,
                active_x=min(zero, x(a)),
                active_width=max(0.5, abs(x(a) - zero)),
                candidate_x=min(zero, x(c)),
                candidate_width=max(0.5, abs(x(c) - zero)),
            )
        )
    return Chart(
        rows=rows,
        width=_LABEL + _PLOT + 20,
        height=20 + len(rows) * _ROW,
        zero_x=zero,
        label_width=_LABEL,
        scale_min=round(low, 1),
        scale_max=round(high, 1),
    )


def matching_model_comparison(*, model: MatchingModel) -> dict[str, Any]:
    """What the page shows: both models' figures and their weights side by side."""
    active = matching_model_active()
    mine = load(model.pk)
    theirs = load(active.pk) if active is not None else scoring.DEFAULT_WEIGHTS
    return {
        "active": active,
        "chart": weight_chart(theirs, mine),
        "tf_rare": [
            (column, mine.tf_rare.get(column), theirs.tf_rare.get(column)) for column in TF_COLUMNS
        ],
        "tf_counts": {
            column: model.frequencies.filter(column=column).count() for column in TF_COLUMNS
        },
    }

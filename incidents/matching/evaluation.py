"""How well a set of weights does on the call takers' decisions (issue 14): the promotion gate.

Every :class:`~incidents.matching.models.MatchLabel` holds the comparison levels of what was
typed against the person shown, and whether the call taker linked them (positive) or said "not
this person" (negative). Re-scored under any weights, the labels give recall and precision at
the flag. Labels hold no values, so a trained model's term-frequency adjustment is 0 here (the
bench sets measure it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from incidents.matching import scoring
from incidents.matching.conf import setting


def evidence_of(levels: Mapping[str, Any]) -> scoring.Evidence:
    """The evidence a label's levels stand for (one name: the best one shown)."""
    name = scoring.NameEvidence(
        given=str(levels.get("given", scoring.MISSING)),
        family=str(levels.get("family", scoring.MISSING)),
        swapped=bool(levels.get("swapped", False)),
        primary=bool(levels.get("primary", True)),
        stored_given="",
        stored_family="",
    )
    return scoring.Evidence(
        names=(name,),
        dob=str(levels.get("dob", scoring.MISSING)),
        phone=str(levels.get("phone", scoring.MISSING)),
        phone_kind="",
        address=str(levels.get("address", scoring.MISSING)),
        dob_common=bool(levels.get("dob_common", False)),
    )


def on_labels(
    w: scoring.Weights, labels: Iterable[tuple[Mapping[str, Any], bool]]
) -> dict[str, Any]:
    """Recall and precision at the flag of ``w`` on ``(levels, positive)`` labels."""
    threshold = float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD"))
    positives = negatives = true_flags = false_flags = 0
    for levels, positive in labels:
        try:
            flagged = scoring.score(evidence_of(levels), w, flag_threshold=threshold) >= threshold
        except KeyError:  # a level this version of the engine no longer has
            continue
        if positive:
            positives += 1
            true_flags += flagged
        else:
            negatives += 1
            false_flags += flagged
    flags = true_flags + false_flags
    return {
        "labels": positives + negatives,
        "positives": positives,
        "negatives": negatives,
        "recall": round(true_flags / positives, 4) if positives else None,
        "precision": round(true_flags / flags, 4) if flags else None,
        "false_flags": false_flags,
    }


#: Figures compared by the promotion gate, higher is better.
GATED = ("recall", "precision", "top1")


def no_worse(
    candidate: Mapping[str, Any], active: Mapping[str, Any], tolerance: float
) -> list[str]:
    """The figures on which ``candidate`` is worse than ``active`` (beyond ``tolerance``);
    a figure either side lacks (no labels yet, no bench run) is not compared."""
    worse = []
    for name in GATED:
        new, old = candidate.get(name), active.get(name)
        if new is not None and old is not None and float(new) < float(old) - tolerance:
            worse.append(name)
    return worse

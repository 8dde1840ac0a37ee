"""Why duplicates were not flagged: each miss of a labelled set put down to one cause.

For the headline queries whose person is on record and was not flagged, the first of:

* ``no block found the person``: not among the candidates (retrieval);
* ``not about the individual``: nothing agrees that a household does not share (dropped from
  the matches, listed apart as people at the address: by design);
* ``flag went to another at the home``: the one-flag-per-household rule;
* ``household cap``: the same home and a far date of birth (``scoring.another_in_the_household``);
* ``names alone`` / ``given name and date alone`` / ``a similar surname and date alone``: the
  other caps (by design);
* ``below the flag``: no rule capped it, the evidence did not add up (a value replaced, another
  missing or changed).

Printed by the bench under each out-of-sample report, so the next change starts from counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from incidents.matching import scoring
from incidents.matching.conf import setting

from .accuracy import Collected, ranked
from .population import HEADLINE_KINDS


def cause(c: Collected, w: scoring.Weights = scoring.DEFAULT_WEIGHTS) -> str:
    flag = float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD"))
    truth = c.item.truth
    if not c.retrieved:
        return "no block found the person"
    evidence = next(ev for stored, ev in c.compared if stored.person_id == truth)
    every = scoring.rank(c.compared, w, flag_threshold=flag, min_score=0.0, limit=len(c.compared))
    scored = next((s for s in every if s.person_id == truth), None)
    if scored is None:
        return "not about the individual"
    if scored.outranked_at_address:
        return "flag went to another at the home"
    if scoring.another_in_the_household(evidence, w):
        return "household cap (same home, a far date)"
    if scoring.names_alone(evidence):
        return "names alone"
    if scoring.given_and_date_alone(evidence, w):
        return "given name and date alone"
    if scoring.similar_surname_and_date_alone(evidence, w):
        return "a similar surname and date alone"
    return "below the flag"


def by_cause(collected: Iterable[Collected]) -> list[str]:
    """Lines: each cause with its count, most first."""
    flag = float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD"))
    minimum = float(setting("DAPOLICE_MATCH_MIN_SCORE"))
    counts: Counter[str] = Counter()
    for c in collected:
        if c.item.kind not in HEADLINE_KINDS or c.item.truth is None:
            continue
        result = ranked(c, scoring.DEFAULT_WEIGHTS, flag, minimum)
        if any(pk == c.item.truth and score >= flag for pk, score in result):
            continue
        counts[cause(c)] += 1
    return [f"{n:>5}  {why}" for why, n in counts.most_common()]

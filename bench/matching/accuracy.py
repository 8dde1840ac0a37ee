"""Accuracy of the engine on a labelled set: top-1, recall at 5, precision and recall at the flag.

Definitions (per query, the engine's answer as the panel would get it, ``limit=10``):

* top-1: the true person is the first candidate (queries whose person is on record);
* recall at 5: the true person is among the first five;
* at the flag threshold: a flag on the true person is a true positive, any other flag a false
  positive; precision = TP / all flags, recall = TP / queries whose person is on record;
* false-flag rate: share of queries for people *not* on record that flag anyone.

``name only`` queries are reported on their own line and left out of the headline figures:
by design a name alone never flags (two people can share a name), so they would only measure
that choice. So are ``duplicate, value replaced`` queries (a corruption beyond the issue's
list, reported to show the cost of the domain's safety rules); "all" includes both.

Candidates are fetched once (``fetch``) and re-scored in Python for the threshold
sweep and any other weights, which the engine's own ``rank`` would give identically (checked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from incidents.matching import scoring
from incidents.matching.conf import setting
from incidents.matching.engine import fetch, match_persons, typed_of

from .corrupt import REPLACEMENTS, LabelledQuery
from .population import HEADLINE_KINDS


@dataclass
class Collected:
    item: LabelledQuery
    typed: scoring.Typed
    compared: list[tuple[scoring.Stored, scoring.Evidence]]

    @property
    def retrieved(self) -> bool:
        return any(stored.person_id == self.item.truth for stored, _ in self.compared)


def collect(
    items: Sequence[LabelledQuery], progress: Callable[[str], None] | None = None
) -> list[Collected]:
    out = []
    for i, item in enumerate(items):
        fetched = fetch(item.query)
        typed = typed_of(item.query, common_date=fetched.common_date)
        out.append(
            Collected(
                item=item,
                typed=typed,
                compared=[(s, scoring.compare(typed, s)) for s in fetched.stored],
            )
        )
        if progress and (i + 1) % 1000 == 0:
            progress(f"searched {i + 1:,} / {len(items):,}")
    return out


def ranked(
    c: Collected, weights: scoring.Weights, flag: float, minimum: float, limit: int = 10
) -> list[tuple[int, float]]:
    """What the engine's ``rank`` gives for these candidates (the same function)."""
    result = scoring.rank(c.compared, weights, flag_threshold=flag, min_score=minimum, limit=limit)
    return [(r.person_id, r.score) for r in result]


@dataclass
class Tally:
    queries: int = 0
    on_record: int = 0
    retrieved: int = 0
    top1: int = 0
    top5: int = 0
    tp: int = 0
    fp: int = 0
    flagged_queries_new: int = 0
    new: int = 0

    def add(self, c: Collected, result: list[tuple[int, float]], flag: float) -> None:
        self.queries += 1
        truth = c.item.truth
        flagged = [pk for pk, s in result if s >= flag]
        if truth is None:
            self.new += 1
            self.flagged_queries_new += bool(flagged)
        else:
            self.on_record += 1
            self.retrieved += c.retrieved
            self.top1 += bool(result) and result[0][0] == truth
            self.top5 += truth in [pk for pk, _ in result[:5]]
        self.tp += sum(1 for pk in flagged if pk == truth)
        self.fp += sum(1 for pk in flagged if pk != truth)

    @staticmethod
    def _ratio(a: int, b: int) -> str:
        return f"{a / b:.4f}" if b else "-"

    def row(self, label: str) -> str:
        r = self._ratio
        cells = (
            r(self.retrieved, self.on_record),
            r(self.top1, self.on_record),
            r(self.top5, self.on_record),
            r(self.tp, self.tp + self.fp),
            r(self.tp, self.on_record),
            r(self.flagged_queries_new, self.new),
        )
        widths = (8, 7, 7, 9, 7, 10)
        return f"{label:<42} {self.queries:>6} " + " ".join(
            f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)
        )

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.on_record if self.on_record else 0.0


HEADER = (
    f"{'':<42} {'n':>6} {'blocked':>8} {'top-1':>7} {'rec@5':>7} "
    f"{'precision':>9} {'recall':>7} {'falseflag':>10}"
)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    headline: Tally = field(default_factory=Tally)


def evaluate(
    collected: Iterable[Collected],
    *,
    weights: scoring.Weights = scoring.DEFAULT_WEIGHTS,
    flag: float | None = None,
    minimum: float | None = None,
    breakdown: bool = True,
) -> Report:
    flag = float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD")) if flag is None else flag
    minimum = float(setting("DAPOLICE_MATCH_MIN_SCORE")) if minimum is None else minimum
    headline, everything = Tally(), Tally()
    by_kind: dict[str, Tally] = defaultdict(Tally)
    by_label: dict[str, Tally] = defaultdict(Tally)
    for c in collected:
        result = ranked(c, weights, flag, minimum)
        by_kind[c.item.kind].add(c, result, flag)
        everything.add(c, result, flag)
        if c.item.kind in HEADLINE_KINDS:
            headline.add(c, result, flag)
        if c.item.kind == "duplicate":
            for label in c.item.labels or ["(clean)"]:
                by_label[label].add(c, result, flag)
        elif c.item.kind == "duplicate, value replaced":
            for label in set(c.item.labels) & set(REPLACEMENTS):
                by_label[f"value replaced: {label}"].add(c, result, flag)
    report = Report(headline=headline)
    report.lines.append(HEADER)
    report.lines.append(headline.row(f"HEADLINE (flag >= {flag})"))
    if breakdown:
        report.lines.append(everything.row("all, including name only"))
        for kind in sorted(by_kind):
            report.lines.append(by_kind[kind].row(f"  kind: {kind}"))
        for label in sorted(by_label):
            report.lines.append(by_label[label].row(f"  {label}"))
    return report


def sweep(
    collected: Sequence[Collected],
    *,
    weights: scoring.Weights = scoring.DEFAULT_WEIGHTS,
    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99),
) -> list[str]:
    """Precision and recall of the headline queries at other flag thresholds."""
    lines = ["threshold  precision  recall"]
    for t in thresholds:
        tally = evaluate(collected, weights=weights, flag=t, breakdown=False).headline
        lines.append(f"{t:>9.2f}  {tally.precision:>9.4f}  {tally.recall:>6.4f}")
    return lines


def check_engine_agrees(collected: Sequence[Collected], sample: int = 50) -> None:
    """The offline re-scoring gives what ``match_persons`` gives (same ids, same order)."""
    flag = float(setting("DAPOLICE_MATCH_FLAG_THRESHOLD"))
    minimum = float(setting("DAPOLICE_MATCH_MIN_SCORE"))
    for c in collected[:sample]:
        offline = [pk for pk, _ in ranked(c, scoring.DEFAULT_WEIGHTS, flag, minimum)]
        online = [cand.person_id for cand in match_persons(c.item.query, limit=10)]
        if offline != online:
            raise AssertionError(f"offline ranking differs from the engine: {offline} {online}")

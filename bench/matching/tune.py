"""How the default weights were chosen: logistic regression on the synthetic set only.

Every candidate the blocks return for every synthetic query is one example (the true person:
1, anyone else: 0); the features are the comparison levels (one-hot, "not known" the baseline).
The fitted log-odds are the Fellegi-Sunter weights the engine adds up; the intercept is the
prior. ``python -m bench.matching tune`` prints them next to the engine's defaults, which are
these figures rounded (and kept monotone: an exact agreement never weighs less than a typo).
Febrl 4 is never used here.
"""

from __future__ import annotations

from collections.abc import Sequence

from incidents.matching import scoring

from .accuracy import Collected

_FIELDS = ("given", "family", "dob", "phone", "address")


def _features(ev: scoring.Evidence, w: scoring.Weights) -> dict[str, float]:
    name = scoring.best_name(ev, w)
    levels = {
        "given": name.given,
        "family": name.family,
        "dob": ev.dob,
        "phone": ev.phone,
        "address": ev.address,
    }
    out = {f"{k}={v}": 1.0 for k, v in levels.items() if v != scoring.MISSING}
    if name.swapped:
        out["swapped"] = 1.0
    if not name.primary:
        out["alias"] = 1.0
    return out


def fit(collected: Sequence[Collected], w: scoring.Weights = scoring.DEFAULT_WEIGHTS) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows, labels = [], []
    for c in collected:
        for stored, ev in c.compared:
            rows.append(_features(ev, w))
            labels.append(int(stored.person_id == c.item.truth))
    vec = DictVectorizer(sparse=False)
    x = vec.fit_transform(rows)
    model = LogisticRegression(C=10.0, max_iter=5000)
    model.fit(x, labels)
    fitted = dict(zip(vec.get_feature_names_out(), model.coef_[0], strict=True))
    fitted["prior"] = float(model.intercept_[0])
    fitted["_examples"] = len(rows)
    fitted["_positives"] = sum(labels)
    return fitted


def current(w: scoring.Weights = scoring.DEFAULT_WEIGHTS) -> dict[str, float]:
    out: dict[str, float] = {"prior": w.prior, "swapped": w.swapped, "alias": w.alias}
    for field in _FIELDS:
        for level, value in getattr(w, field).items():
            if level != scoring.MISSING:
                out[f"{field}={level}"] = value
    return out


def table(fitted: dict, w: scoring.Weights = scoring.DEFAULT_WEIGHTS) -> list[str]:
    now = current(w)
    lines = [
        f"fitted on {fitted['_examples']:,} candidate pairs ({fitted['_positives']:,} true)",
        f"{'feature':<28} {'fitted':>8} {'engine':>8}",
    ]
    for key in sorted(set(now) | {k for k in fitted if not k.startswith("_")}):
        f = fitted.get(key)
        lines.append(
            f"{key:<28} {f'{f:.2f}' if f is not None else '-':>8} "
            f"{f'{now[key]:.2f}' if key in now else '-':>8}"
        )
    return lines

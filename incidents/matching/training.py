"""Train the engine's weights with Splink (issue 14): offline, on the force's own records.

Run by ``manage.py matching_train`` and the ``matching_train`` Celery task on a worker; needs
the ``train`` extra (Splink 4 and DuckDB), which the web process never imports (this module
imports them inside :func:`train` only).

1. :func:`training_records` reads every person's match keys (primary name, date of birth,
   postcode and house keys, phone numbers: never narratives, never a restricted address) in a
   read-only transaction.
2. :func:`train` loads them into a DuckDB file of its own (deleted afterwards, whatever
   happens) and trains a Splink Fellegi-Sunter model whose comparisons and levels are the
   engine's, one to one (the SQL of each level mirrors ``scoring``'s comparison):

   ==========  =================================================================================
   comparison  levels (Splink label = ``scoring`` level)
   ==========  =================================================================================
   given       missing (null level), exact (term frequency), phonetic, nickname, typo, initial,
               mismatch
   family      missing, exact (term frequency), phonetic, typo, partial, mismatch
   dob         missing, exact, day_month_swap, one_digit, transposed, swap_and_digit, mismatch
   address     missing, same (postcode and house), same_postcode (term frequency on the
               postcode for both), same_street (postcodes differ; house, street and town or
               district agree), mismatch
   phone       missing, same (any number shared), mismatch
   ==========  =================================================================================

   u by random sampling; m by expectation-maximisation in two sessions, blocked on the names'
   sound codes (estimates date of birth, address, phone) and on the date of birth (estimates
   the names); the prior (the probability that two records are one person) from deterministic
   rules. Each level's weight is ``ln(m / u)`` (natural log, as ``scoring.Weights``).
3. Term-frequency tables of given name, family name and postcode: ``ln(u_exact / tf)`` for
   each value held by at least ``DAPOLICE_MATCH_TF_MIN_PERSONS`` people; the rarer values
   share one rare-value weight (their mean frequency), so no table lists a rare name.

What Splink has no level for stays a rule of the engine with its hand-set value: a name typed
in the other box (``swapped``), an alias, the household cap, 1 January, the placeholder dates.
"""

from __future__ import annotations

import logging
import math
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from doublemetaphone import doublemetaphone

from incidents.matching import keys, scoring
from incidents.matching.conf import setting
from incidents.matching.weights import TF_COLUMNS, to_json
from incidents.models import Person, PersonName, PersonPhone

#: Fewest persons worth training on: below this the hand weights stay.
MIN_RECORDS = 50


class TrainingUnavailable(RuntimeError):
    """The ``train`` extra is not installed, or there are too few records."""


@dataclass
class Trained:
    """What a training run produced, before it is stored."""

    weights: dict[str, Any]
    #: column -> value -> (persons, log-odds adjustment)
    frequencies: dict[str, dict[str, tuple[int, float]]]
    record_count: int
    trainer_version: str
    seconds: float
    #: Peak resident memory of the process so far (MB).
    peak_mb: float
    #: Levels Splink could not estimate (never seen among the pairs): hand weight kept.
    fallback_levels: list[str] = field(default_factory=list)
    prior_probability: float = 0.0


# --- Reading the records -----------------------------------------------------------------------

#: Levels of ``scoring`` that no Splink comparison has: they keep their hand weight. A year of
#: birth recorded alone is not read for training (its dates are full dates), so no pair ever
#: compares at that level.
HAND_ONLY_LEVELS: dict[str, frozenset[str]] = {"dob": frozenset({scoring.YEAR})}


def _codes(folded: str) -> list[str]:
    return sorted({c for c in doublemetaphone(folded) if c}) if folded else []


def training_records() -> list[dict[str, Any]]:
    """One row per person: the match keys the engine compares, in a read-only transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
        phones: dict[int, list[str]] = {}
        for person_id, number in PersonPhone.objects.values_list("person_id", "number").iterator(
            chunk_size=20_000
        ):
            phones.setdefault(person_id, []).append(number)
        names = {
            person_id: (given, family)
            for person_id, given, family in PersonName.objects.filter(is_primary=True)
            .values_list("person_id", "given_name", "family_name")
            .iterator(chunk_size=20_000)
        }
        people = Person.objects.values_list(
            "id",
            "date_of_birth",
            "address__postcode_key",
            "address__house_key",
            "address__is_restricted",
            "address__street",
            "address__town",
        ).iterator(chunk_size=20_000)
        known = keys.known_given_names()
        rows = []
        for pk, dob, postcode, house, restricted, street, town in people:
            given, family = names.get(pk, ("", ""))
            g, f = keys.name_folded(given), keys.name_folded(family)
            d = keys.dob_key(dob)
            usable = bool(postcode) and not restricted
            rows.append(
                {
                    "unique_id": pk,
                    "given": g or None,
                    "given_codes": _codes(g) or None,
                    "given_code": next(iter(_codes(g)), None),
                    "given_canon": sorted(keys.canonical_given_names(g)) or None,
                    "given_known": g in known,
                    "given_sorted": "".join(sorted(g)) or None,
                    "family": f or None,
                    "family_codes": _codes(f) or None,
                    "family_code": next(iter(_codes(f)), None),
                    "family_sorted": "".join(sorted(f)) or None,
                    "dob": d.strftime("%Y%m%d") if d else None,
                    "postcode": postcode if usable else None,
                    "house": (house or None) if usable else None,
                    "street": (keys.street_key(street or "") or None) if usable else None,
                    "town": (keys.fold(town or "") or None) if usable else None,
                    "district": postcode[:-3] if usable else None,
                    "phones": sorted(phones.get(pk, [])) or None,
                }
            )
    return rows


# --- The Splink model ---------------------------------------------------------------------------


def _typo_sql(col: str) -> str:
    """``scoring._typo`` in DuckDB SQL."""
    a, b = f'"{col}_l"', f'"{col}_r"'
    shorter = f"least(length({a}), length({b}))"
    dl = f"damerau_levenshtein({a}, {b})"
    return (
        f"(({shorter} = 3 AND left({a}, 1) = left({b}, 1) AND {dl} <= 1 AND "
        f'(length({a}) <> length({b}) OR "{col}_sorted_l" = "{col}_sorted_r")) '
        f"OR ({shorter} >= 4 AND {dl} <= 1) OR ({shorter} >= 8 AND {dl} <= 2) "
        f"OR ({shorter} >= 3 AND (starts_with({a}, {b}) OR starts_with({b}, {a}))))"
    )


def _phonetic_sql(col: str) -> str:
    return (
        f'(list_has_any("{col}_codes_l", "{col}_codes_r") '
        f'AND jaro_winkler_similarity("{col}_l", "{col}_r") >= 0.8)'
    )


def _level(sql: str, label: str, *, tf: str = "", null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _digits_differ(a: str, b: str) -> str:
    return " + ".join(
        f"CAST(substr({a}, {i}, 1) <> substr({b}, {i}, 1) AS INTEGER)" for i in range(1, 9)
    )


def comparisons() -> list[dict[str, Any]]:
    """The Splink comparisons: one per engine field, one level per engine level."""
    slip = scoring.SLIP_MIN_LENGTH
    given = {
        "output_column_name": "given",
        "comparison_levels": [
            _level('"given_l" IS NULL OR "given_r" IS NULL', scoring.MISSING, null=True),
            _level('"given_l" = "given_r"', scoring.EXACT, tf="given"),
            _level(_phonetic_sql("given"), scoring.PHONETIC),
            _level('list_has_any("given_canon_l", "given_canon_r")', scoring.NICKNAME),
            _level(
                f'{_typo_sql("given")} AND NOT ("given_known_l" AND "given_known_r")',
                scoring.TYPO,
            ),
            _level(
                '(length("given_l") = 1 OR length("given_r") = 1) '
                'AND left("given_l", 1) = left("given_r", 1)',
                scoring.INITIAL,
            ),
            _level("ELSE", scoring.MISMATCH),
        ],
    }
    family = {
        "output_column_name": "family",
        "comparison_levels": [
            _level('"family_l" IS NULL OR "family_r" IS NULL', scoring.MISSING, null=True),
            _level('"family_l" = "family_r"', scoring.EXACT, tf="family"),
            _level(_phonetic_sql("family"), scoring.PHONETIC),
            _level(_typo_sql("family"), scoring.TYPO),
            _level(
                'least(length("family_l"), length("family_r")) >= 4 AND '
                '(contains("family_l", "family_r") OR contains("family_r", "family_l"))',
                scoring.PARTIAL,
            ),
            _level("ELSE", scoring.MISMATCH),
        ],
    }
    a, b = '"dob_l"', '"dob_r"'
    differ = _digits_differ(a, b)
    swap_l = f"(substr({a}, 1, 4) || substr({a}, 7, 2) || substr({a}, 5, 2))"
    adjacent = " OR ".join(
        f"(substr({a}, {i}, 1) <> substr({b}, {i}, 1) AND substr({a}, {i}, 1) = "
        f"substr({b}, {i + 1}, 1) AND substr({a}, {i + 1}, 1) = substr({b}, {i}, 1))"
        for i in range(1, 8)
    )
    dob = {
        "output_column_name": "dob",
        "comparison_levels": [
            _level(f"{a} IS NULL OR {b} IS NULL", scoring.MISSING, null=True),
            _level(f"{a} = {b}", scoring.EXACT),
            _level(f"{swap_l} = {b}", scoring.DAY_MONTH_SWAP),
            _level(f"({differ}) = 1", scoring.ONE_DIGIT),
            _level(f"({differ}) = 2 AND ({adjacent})", scoring.TRANSPOSED),
            _level(
                f"substr({a}, 5, 2) <> substr({a}, 7, 2) AND ({_digits_differ(swap_l, b)}) = 1",
                scoring.SWAP_AND_DIGIT,
            ),
            _level("ELSE", scoring.MISMATCH),
        ],
    }
    address = {
        "output_column_name": "address",
        "comparison_levels": [
            _level('"postcode_l" IS NULL OR "postcode_r" IS NULL', scoring.MISSING, null=True),
            _level(
                '"postcode_l" = "postcode_r" AND "house_l" = "house_r"',
                scoring.SAME,
                tf="postcode",
            ),
            _level('"postcode_l" = "postcode_r"', scoring.SAME_POSTCODE, tf="postcode"),
            # ``scoring.address_level``'s same_street: the postcodes differ, house and street
            # agree (the street within one slip) in one town (within one slip) or postcode
            # district.
            _level(
                '"house_l" = "house_r" AND ("street_l" = "street_r" OR '
                f'(least(length("street_l"), length("street_r")) >= {slip["street"]} '
                'AND damerau_levenshtein("street_l", "street_r") <= 1)) '
                'AND ("town_l" = "town_r" OR "district_l" = "district_r" OR '
                f'(least(length("town_l"), length("town_r")) >= {slip["town"]} '
                'AND damerau_levenshtein("town_l", "town_r") <= 1))',
                scoring.SAME_STREET,
            ),
            _level("ELSE", scoring.MISMATCH),
        ],
    }
    phone = {
        "output_column_name": "phone",
        "comparison_levels": [
            _level('"phones_l" IS NULL OR "phones_r" IS NULL', scoring.MISSING, null=True),
            _level('list_has_any("phones_l", "phones_r")', scoring.SAME),
            _level("ELSE", scoring.MISMATCH),
        ],
    }
    return [given, family, dob, address, phone]


def _counts(rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """People holding each value of the term-frequency columns (one row is one person)."""
    return {column: Counter(r[column] for r in rows if r[column]) for column in TF_COLUMNS}


def _frequencies(
    counted: dict[str, Counter[str]], u_exact: dict[str, float], min_persons: int
) -> tuple[dict[str, dict[str, tuple[int, float]]], dict[str, float]]:
    """Term-frequency tables (``ln(u_exact / tf)`` per common value) and the rare-value
    weights (the same at the mean frequency of the values too rare to list)."""
    tables: dict[str, dict[str, tuple[int, float]]] = {}
    rare: dict[str, float] = {}
    for column, counts in counted.items():
        total = sum(counts.values())
        u = u_exact.get(column)
        if not total or not u:
            continue
        table = {
            value: (n, math.log(u / (n / total))) for value, n in counts.items() if n >= min_persons
        }
        rare_counts = [n for n in counts.values() if n < min_persons]
        mean = (sum(rare_counts) / len(rare_counts)) if rare_counts else 1.0
        rare[column] = math.log(u / (mean / total))
        tables[column] = table
    return tables, rare


#: Columns of the DuckDB table and their types (lists travel as comma-joined text).
_COLUMNS = {
    "unique_id": "BIGINT",
    "given": "VARCHAR",
    "given_codes": "VARCHAR[]",
    "given_code": "VARCHAR",
    "given_canon": "VARCHAR[]",
    "given_known": "BOOLEAN",
    "given_sorted": "VARCHAR",
    "family": "VARCHAR",
    "family_codes": "VARCHAR[]",
    "family_code": "VARCHAR",
    "family_sorted": "VARCHAR",
    "dob": "VARCHAR",
    "postcode": "VARCHAR",
    "house": "VARCHAR",
    "street": "VARCHAR",
    "town": "VARCHAR",
    "district": "VARCHAR",
    "phones": "VARCHAR[]",
}


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: ",".join(v) if isinstance(v, list) else v for k, v in row.items()}


#: Rows handed to DuckDB at a time (a data frame of a million rows is a copy of them all).
_CHUNK = 50_000


def _load(con: Any, rows: list[dict[str, Any]]) -> None:
    """The records into a typed table (a column all NULL must not be read as integers), in
    chunks."""
    import pandas as pd  # type: ignore[import-untyped]

    columns = ", ".join(f'"{name}" {kind}' for name, kind in _COLUMNS.items())
    con.execute(f"CREATE TABLE records ({columns})")
    select = ", ".join(
        f"string_split(CAST(\"{name}\" AS VARCHAR), ',')"
        if kind.endswith("[]")
        else f'CAST("{name}" AS {kind})'
        for name, kind in _COLUMNS.items()
    )
    for start in range(0, len(rows), _CHUNK):
        frame = pd.DataFrame([_flat(r) for r in rows[start : start + _CHUNK]])
        con.register("records_frame", frame)
        con.execute(f"INSERT INTO records SELECT {select} FROM records_frame")  # noqa: S608
        con.unregister("records_frame")
        del frame


def train(rows: list[dict[str, Any]], *, u_pairs: int | None = None, seed: int = 1) -> Trained:
    """Train on ``rows`` (from :func:`training_records`) in a DuckDB file deleted afterwards.

    ``rows`` is emptied once loaded into DuckDB, to free its memory while Splink trains."""
    try:
        import duckdb
        import splink
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:  # the web process has no ``train`` extra
        raise TrainingUnavailable("install the train extra: pip install 'dapolice[train]'") from exc
    if len(rows) < MIN_RECORDS:
        raise TrainingUnavailable(f"{len(rows)} persons: too few to train on")
    u_pairs = u_pairs or int(setting("DAPOLICE_MATCH_TRAIN_U_PAIRS"))
    started = time.perf_counter()
    record_count, counted = len(rows), _counts(rows)
    # Splink logs every SQL statement and EM iteration at INFO: a worker log is no place for it.
    logging.getLogger("splink").setLevel(logging.WARNING)
    var = Path(getattr(settings, "VAR_DIR", "") or tempfile.gettempdir())
    var.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="matching-train-", dir=var)
    try:
        con = duckdb.connect(os.path.join(workdir, "train.duckdb"))
        try:
            con.execute("SET threads TO 2")
            _load(con, rows)
            # Loaded: the Python copies are no longer needed while Splink trains (a million
            # dicts are gigabytes). The caller's list is emptied.
            rows.clear()
            creator = SettingsCreator(
                link_type="dedupe_only",
                comparisons=list[Any](comparisons()),
                blocking_rules_to_generate_predictions=[
                    block_on("given_code", "family_code"),
                    block_on("dob"),
                ],
                retain_intermediate_calculation_columns=False,
                retain_matching_columns=False,
            )
            # Splink's own logging set-up would log every statement at INFO on the root logger.
            linker = Linker(
                "records", creator, DuckDBAPI(connection=con), set_up_basic_logging=False
            )
            linker.training.estimate_probability_two_random_records_match(
                [
                    block_on("given", "family", "dob"),
                    block_on("given", "family", "postcode", "house"),
                ],
                recall=0.7,
            )
            linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("given_code", "family_code"), estimate_without_term_frequencies=True
            )
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("dob"), estimate_without_term_frequencies=True
            )
            model = linker.misc.save_model_to_json()
        finally:
            con.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    weights, u_exact, fallback = _weights_of(model)
    tables, rare = _frequencies(counted, u_exact, int(setting("DAPOLICE_MATCH_TF_MIN_PERSONS")))
    weights["tf_rare"] = rare
    # The process's peak resident set (DuckDB's memory is native, invisible to tracemalloc).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return Trained(
        weights=weights,
        frequencies=tables,
        record_count=record_count,
        trainer_version=f"splink {splink.__version__}",
        seconds=round(time.perf_counter() - started, 1),
        peak_mb=round(peak / 1e6, 1),
        fallback_levels=fallback,
        prior_probability=float(model["probability_two_random_records_match"]),
    )


def _weights_of(model: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """``scoring.Weights`` JSON from a Splink model: ``ln(m/u)`` per level; the u of each
    exact level (for the term-frequency tables); the levels left at their hand weight."""
    weights = to_json(scoring.DEFAULT_WEIGHTS)
    fallback: list[str] = []
    u_exact: dict[str, float] = {}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            label = level["label_for_charts"]
            if level.get("is_null_level"):
                weights[name][label] = 0.0
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if not m or not u:
                fallback.append(f"{name}.{label}")
                continue
            weights[name][label] = round(math.log(m / u), 4)
            if name in ("given", "family") and label == scoring.EXACT:
                u_exact[name] = u
            if name == "address" and label == scoring.SAME_POSTCODE:
                u_exact["postcode"] = u_exact.get("postcode", 0.0) + u
            if name == "address" and label == scoring.SAME:
                u_exact["postcode"] = u_exact.get("postcode", 0.0) + u
    # Levels are ordered from most to least alike: a level that agrees in part is never
    # weaker evidence than a disagreement (EM leaves a level it barely saw, such as nicknames
    # in a set without any, near m = 0; its weight would otherwise sink below "mismatch").
    for name in ("given", "family", "dob", "address", "phone"):
        floor = weights[name][scoring.MISMATCH]
        for label, value in weights[name].items():
            if label not in (scoring.MISMATCH, scoring.MISSING) and value < floor:
                weights[name][label] = floor
                fallback.append(f"{name}.{label} (raised to mismatch)")
    # Levels Splink does not estimate keep their hand weight, never above the level they are a
    # weaker form of as trained (the same street is at most the same postcode and house).
    address = weights["address"]
    address[scoring.SAME_STREET] = min(address[scoring.SAME_STREET], address[scoring.SAME])
    # A year of birth alone (no Splink level: ``HAND_ONLY_LEVELS``) is at most a date one
    # digit off.
    dob = weights["dob"]
    dob[scoring.YEAR] = min(dob[scoring.YEAR], dob[scoring.ONE_DIGIT])
    p = float(model["probability_two_random_records_match"])
    weights["prior"] = round(math.log(p / (1 - p)), 4)
    return weights, u_exact, fallback

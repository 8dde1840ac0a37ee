"""The benchmark harness: finds the benchmarks, gives them a context, prints one table.

Protocol (bench/README.md): a module ``bench/bench_<name>.py``, or a package ``bench/<name>/``
whose ``__init__`` exposes it, defines ``run(ctx: Context) -> Iterable[Row]``. The harness
calls each ``run`` connected to the home bench database; ``ctx.dataset(kind, size)`` switches
to a cached data set. Benchmarks print figures; they never assert on timings.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.datasets import Databases, Dataset, home_url, parse_sizes, size_label

DEFAULT_SIZES = "10k,100k"
DEFAULT_REPEAT = 30


# --- What a benchmark returns ---------------------------------------------------------------


@dataclass
class Row:
    """One line of the table.

    ``name`` groups rows across sizes: for a name measured at several sizes the harness adds
    the growth ratio (largest ÷ smallest median) to the largest size's row. ``ratios`` are
    printed as ``name ×value``; ``figures`` as ``name value`` (counts, recall, notes).
    """

    name: str
    size: int | None = None
    unit: str = "incidents"
    n: int | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    module: str = ""

    @classmethod
    def timed(cls, name: str, timing: Timing, **kwargs: Any) -> Row:
        return cls(name=name, n=timing.n, median_ms=timing.median, p95_ms=timing.p95, **kwargs)


@dataclass
class Timing:
    """Samples in milliseconds."""

    samples: list[float]

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        # Nearest rank: with 20 samples the 19th, with 100 the 95th.
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


# --- The context a benchmark gets -----------------------------------------------------------


class Context:
    def __init__(
        self,
        *,
        sizes: list[int],
        seed: int = 1,
        repeat: int = DEFAULT_REPEAT,
        databases: Databases | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.sizes = sizes
        self.seed = seed
        self.repeat = repeat
        self.databases = databases
        self.say = say
        self.notes: list[str] = []
        self._in_place: dict[tuple[str, int, int], Dataset] = {}

    @property
    def in_place(self) -> bool:
        """True in the harness's own test: data sets load into the current (test) database."""
        return self.databases is None

    def dataset(
        self, kind: str = "incidents", size: int | None = None, seed: int | None = None
    ) -> Dataset:
        """Connect to a loaded data set of ``size`` incidents (``kind="incidents"``) or persons
        (``kind="people"``), loading it on first use and reusing it afterwards."""
        size = size if size is not None else self.sizes[0]
        seed = self.seed if seed is None else seed
        if self.databases is not None:
            return self.databases.dataset(kind, size, seed)
        key = (kind, size, seed)
        if key not in self._in_place:
            from django.utils import timezone

            from bench.datasets import LOADERS

            now = timezone.now().replace(microsecond=0)
            stats = LOADERS[kind](size, seed, now, lambda m: None)
            self._in_place[key] = Dataset(kind, size, seed, "(current)", now, stats=stats)
        return self._in_place[key]

    def home(self) -> None:
        """Back to the home bench database (what ``run`` starts with)."""
        if self.databases is not None:
            self.databases.use(self.databases.home)

    def note(self, text: str) -> None:
        """A line printed under the table (a skipped figure, a caveat)."""
        self.notes.append(text)

    def measure(self, fn: Callable[[], Any], *, n: int | None = None, warmup: int = 3) -> Timing:
        """Call ``fn`` ``warmup`` times, then ``n`` (default ``--repeat``) timed times."""
        n = n or self.repeat
        for _ in range(warmup):
            fn()
        gc.collect()
        samples = []
        for _ in range(n):
            started = time.perf_counter_ns()
            fn()
            samples.append((time.perf_counter_ns() - started) / 1e6)
        return Timing(samples)

    def measure_interleaved(
        self, fns: dict[str, Callable[[], Any]], *, n: int | None = None, warmup: int = 3
    ) -> dict[str, Timing]:
        """Time several functions in turn, round after round, so that a ratio between them
        (an endpoint and its bare SQL) is not skewed by load that comes and goes."""
        n = n or self.repeat
        for _ in range(warmup):
            for fn in fns.values():
                fn()
        gc.collect()
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(n):
            for name, fn in fns.items():
                started = time.perf_counter_ns()
                fn()
                samples[name].append((time.perf_counter_ns() - started) / 1e6)
        return {name: Timing(values) for name, values in samples.items()}


# --- Discovery ------------------------------------------------------------------------------


def discover(selected: list[str] | None = None) -> list[tuple[str, ModuleType | None, str]]:
    """(name, module or None, why not) for each ``bench_*.py`` module and each package
    (a directory of Python files, with or without ``__init__.py``) under bench/."""
    base = Path(__file__).resolve().parent
    names = sorted(
        [p.stem for p in base.glob("bench_*.py")]
        + [
            p.name
            for p in base.iterdir()
            if p.is_dir() and p.name.isidentifier() and any(p.glob("*.py"))
        ]
    )
    found: list[tuple[str, ModuleType | None, str]] = []
    for name in names:
        if selected and not any(s in name for s in selected):
            continue
        module = importlib.import_module(f"bench.{name}")
        if callable(getattr(module, "run", None)):
            found.append((name, module, ""))
        else:
            found.append((name, None, "defines no run(ctx) yet; see bench/README.md"))
    return found


# --- The table ------------------------------------------------------------------------------


def add_growth(rows: list[Row]) -> None:
    by_name: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.size is not None and row.median_ms is not None:
            by_name.setdefault((row.module, row.name), []).append(row)
    for group in by_name.values():
        sizes = sorted({r.size for r in group if r.size is not None})
        if len(sizes) < 2:
            continue
        small = next(r for r in group if r.size == sizes[0])
        large = next(r for r in group if r.size == sizes[-1])
        if small.median_ms and large.median_ms is not None:
            label = f"{size_label(sizes[-1])}/{size_label(sizes[0])}"
            large.ratios[label] = large.median_ms / small.median_ms


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _extras(row: Row) -> str:
    parts = [f"{k} ×{v:.2f}" if v < 10 else f"{k} ×{v:.0f}" for k, v in row.ratios.items()]
    parts += [f"{k} {v}" for k, v in row.figures.items()]
    if row.note:
        parts.append(row.note)
    return "; ".join(parts)


def render(rows: list[Row], notes: list[str]) -> str:
    header = ("benchmark", "size", "n", "median ms", "p95 ms", "ratios and figures")
    body = [
        (
            row.name,
            f"{size_label(row.size)} {row.unit}" if row.size is not None else "",
            str(row.n) if row.n is not None else "",
            _ms(row.median_ms),
            _ms(row.p95_ms),
            _extras(row),
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(5)]
    right = {2, 3, 4}

    def line(cells: tuple[str, ...]) -> str:
        out = []
        for i, cell in enumerate(cells[:5]):
            out.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        return ("  ".join(out) + "  " + cells[5]).rstrip()

    lines = [line(header), line(tuple("-" * w for w in widths) + ("-" * 18,))]
    lines += [line(r) for r in body]
    if notes:
        lines.append("")
        lines += [f"* {n}" for n in notes]
    return "\n".join(lines)


# --- Running --------------------------------------------------------------------------------


def run_all(ctx: Context, modules: list[tuple[str, ModuleType | None, str]]) -> list[Row]:
    rows: list[Row] = []
    for name, module, why_not in modules:
        if module is None:
            ctx.note(f"bench.{name}: skipped, {why_not}")
            continue
        ctx.home()
        ctx.say(f"== bench.{name}")
        started = time.perf_counter()
        try:
            for row in module.run(ctx) or ():
                row.module = row.module or name
                rows.append(row)
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            traceback.print_exc()
            ctx.note(f"bench.{name}: failed ({type(exc).__name__}: {exc})")
        ctx.say(f"   bench.{name} took {time.perf_counter() - started:.0f} s")
    add_growth(rows)
    return rows


def _configure_django(url: str) -> None:
    os.environ.setdefault("DAPOLICE_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
    # The per-user read rate is counted (its Redis call is part of every request's cost) but a
    # benchmark shows one user thousands of records: a limit it never reaches.
    os.environ.setdefault("DAPOLICE_READ_RATE_LIMIT", "1000000000")
    # Tests compile hot-path queries twice to check the cached SQL (dapolice.common.compiled);
    # production does not, so neither does a benchmark.
    os.environ.setdefault("DAPOLICE_COMPILED_SQL_CHECK", "false")
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


@contextmanager
def _quiet_logs() -> Iterator[None]:
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmarks under bench/; print one table."
    )
    parser.add_argument("only", nargs="*", help="run only benchmarks whose name contains this")
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES", DEFAULT_SIZES),
        help="data set sizes, e.g. 10k,100k,1M (env BENCH_SIZES; default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", "1")))
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("BENCH_REPEAT", DEFAULT_REPEAT)),
        help="timed repetitions per figure (env BENCH_REPEAT; default %(default)s)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    url = home_url()
    _configure_django(url)

    def say(text: str) -> None:
        print(text, flush=True)

    modules = discover(args.only)
    if args.list:
        for name, module, why_not in modules:
            say(f"bench.{name}" + (f"  ({why_not})" if module is None else ""))
        return 0
    databases = Databases(url, say)
    try:
        databases.use_home()
    except Exception as exc:
        say(f"The benchmarks need PostgreSQL at {url.split('@')[-1]}: {exc}")
        return 2
    ctx = Context(
        sizes=parse_sizes(args.sizes),
        seed=args.seed,
        repeat=args.repeat,
        databases=databases,
        say=say,
    )
    say(f"bench: home database {databases.home}; sizes {', '.join(map(size_label, ctx.sizes))}")
    with _quiet_logs():
        rows = run_all(ctx, modules)
    say("")
    say(render(rows, ctx.notes))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "at": datetime.now().astimezone().isoformat(),
                    "rows": [asdict(r) for r in rows],
                    "notes": ctx.notes,
                },
                fh,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

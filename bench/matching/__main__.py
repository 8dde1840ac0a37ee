"""``python -m bench.matching [accuracy] [speed] [options]``: print the matching figures.

Accuracy runs in a throw-away test database (``test_<name>`` of the configured database, or
SQLite in memory); speed runs against the configured database itself, which must be
PostgreSQL (e.g. ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/dapolice_bench``), and keeps
its loaded persons between runs. Figures are printed, never pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
    os.environ.setdefault("DAPOLICE_ENV", "test")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument("what", nargs="*", default=["accuracy"], choices=["accuracy", "speed"])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--persons", type=int, default=20_000, help="synthetic persons loaded")
    parser.add_argument("--duplicates", type=int, default=3_000)
    parser.add_argument("--replaced", type=int, default=1_000, help="with a value replaced")
    parser.add_argument("--name-only", type=int, default=300)
    parser.add_argument("--new", type=int, default=1_500, help="callers not on record")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="speed: persons")
    parser.add_argument("--queries", type=int, default=300, help="speed: queries per size")
    parser.add_argument("--reload", action="store_true", help="speed: start from an empty table")
    args = parser.parse_args(argv)
    _setup()
    if "accuracy" in args.what:
        from .run import run_accuracy

        run_accuracy(args)
    if "speed" in args.what:
        from .speed import run_speed

        run_speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

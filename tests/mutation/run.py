"""``make mutate [MODULE=incidents/matching/scoring.py]``: mutmut over the rule modules.

Runs ``mutmut run`` (configured in ``pyproject.toml``, ``[tool.mutmut]``: which modules, which
tests) under ``nice``, then prints one row per module: mutants killed, timed out, survived, known
equivalent (``equivalent.toml``), and the share killed. Each survivor not in ``equivalent.toml``
is listed with the command that shows its diff; it needs a test that kills it, or a line in
``equivalent.toml`` saying why no test can (it is then not reported again).

Which tests a module's mutants run against: ``SELECTIONS`` below (an app's ``rules.py``, pure
functions, against its pure tests only, and its ``policies.py`` against its role-by-role policy
tests: a rule that only a page or service test pins is a survivor here, and a surviving mutant
costs a second instead of a minute of page tests; the app's other modules against the app's
tests); every other module against ``[tool.mutmut]
pytest_add_cli_args_test_selection``. Each mutant runs only the tests that executed its function,
quickest first.
mutmut keeps one test selection per results directory (a new selection forgets every result), so
each selection keeps its own under ``.mutants/<name>/``, and ``mutants`` is a link to the one in
use. Between runs mutmut re-tests only functions whose code or tests changed.

Exit status 1 when a module run is below the target (95% killed), or when a mutant listed as
equivalent has been killed (the entry is stale: delete it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
TARGET = 0.95
#: mutmut's exit codes, as the statuses this report counts.
KILLED = {"killed", "caught by type check", "segfault"}
TIMEOUT = {"timeout"}
#: Where each test selection keeps its results; ``mutants`` links to the one in use.
STORE = ROOT / ".mutants"


@dataclass(frozen=True)
class Selection:
    name: str
    #: Module patterns (fnmatch) whose mutants run against these tests.
    modules: tuple[str, ...]
    #: pytest arguments that select the tests; None: ``[tool.mutmut]``'s own.
    tests: tuple[str, ...] | None


#: First match wins. A new app's rule modules get their lines here and in ``[tool.mutmut]``.
SELECTIONS = (
    Selection(
        "risk-rules",
        ("risk/rules.py",),
        ("tests/risk/test_rules.py", "tests/risk/test_rule_edges.py"),
    ),
    Selection("risk-policies", ("risk/policies.py",), ("tests/risk/test_policies.py",)),
    Selection(
        "risk-services",
        ("risk/services.py",),
        ("tests/risk/test_services.py", "tests/risk/test_service_edges.py")
        + ("tests/risk/test_marac.py", "tests/mash/test_followups.py"),
    ),
    Selection(
        "risk-selectors",
        ("risk/selectors.py",),
        ("tests/risk/test_selectors.py", "tests/risk/test_services.py")
        + ("tests/risk/test_service_edges.py", "tests/risk/test_marac.py"),
    ),
    Selection("risk", ("risk/*",), ("tests/risk", "tests/test_visibility.py")),
    Selection(
        "mash-rules",
        ("mash/rules.py",),
        ("tests/mash/test_rules.py", "tests/mash/test_rule_edges.py"),
    ),
    Selection("mash-policies", ("mash/policies.py",), ("tests/mash/test_policies.py",)),
    Selection(
        "mash-services",
        ("mash/services.py",),
        ("tests/mash/test_services.py", "tests/mash/test_service_edges.py")
        + ("tests/mash/test_ownership.py", "tests/mash/test_queue.py")
        + ("tests/mash/test_referral_alerts.py", "tests/mash/test_followups.py"),
    ),
    Selection(
        "mash-selectors",
        ("mash/selectors.py",),
        ("tests/mash/test_selectors.py", "tests/mash/test_services.py")
        + ("tests/mash/test_ownership.py", "tests/mash/test_queue.py")
        + ("tests/mash/test_referral_alerts.py", "tests/mash/test_followups.py"),
    ),
    Selection("mash", ("mash/*",), ("tests/mash", "tests/test_visibility.py")),
    Selection("marac-rules", ("marac/rules.py",), ("tests/marac/test_rules.py",)),
    Selection("marac-policies", ("marac/policies.py",), ("tests/marac/test_policies.py",)),
    Selection(
        "marac-selectors",
        ("marac/selectors.py",),
        ("tests/marac/test_selectors.py", "tests/marac/test_services.py")
        + ("tests/marac/test_reassessment.py", "tests/test_visibility.py"),
    ),
    Selection(
        "marac-services",
        ("marac/services.py",),
        ("tests/marac/test_services.py", "tests/marac/test_service_edges.py")
        + ("tests/marac/test_reassessment.py",),
    ),
    Selection("marac", ("marac/*",), ("tests/marac", "tests/test_visibility.py")),
    Selection(
        "incidents-policies",
        ("incidents/policies.py",),
        ("tests/incidents/test_access.py", "tests/incidents/test_review_rules.py")
        + ("tests/incidents/test_policies.py", "tests/test_visibility.py"),
    ),
    Selection(
        "incidents-selectors",
        ("incidents/selectors.py",),
        ("tests/incidents/test_selectors.py", "tests/incidents/test_flags.py")
        + ("tests/test_visibility.py", "tests/incidents/test_officers.py")
        + ("tests/incidents/test_inspector_rota.py", "tests/incidents/test_attendance_alerts.py")
        + ("tests/incidents/test_duplicates.py", "tests/incidents/test_incident_list.py")
        + ("tests/incidents/test_matching.py",),
    ),
    Selection("incidents-keys", ("incidents/matching/keys.py",), ("tests/incidents/test_keys.py",)),
    Selection(
        "incidents-scoring",
        ("incidents/matching/scoring.py",),
        ("tests/incidents/test_scoring_units.py", "tests/incidents/test_scoring_rules.py")
        + ("tests/incidents/test_matching.py", "tests/incidents/test_matching_models.py"),
    ),
    Selection("access", ("dapolice/access/*",), ("tests/dapolice/test_access.py",)),
    Selection("audit-services", ("dapolice/audit/services.py",), ("tests/dapolice/test_audit.py",)),
    Selection(
        "incidents-attendance",
        ("incidents/services/attendance.py",),
        ("tests/incidents/test_attendance.py", "tests/incidents/test_services.py")
        + ("tests/incidents/test_officers.py", "tests/incidents/test_attendance_alerts.py"),
    ),
    Selection(
        "incidents-intake",
        ("incidents/services/incidents.py",),
        ("tests/incidents/test_intake_services.py", "tests/incidents/test_services.py")
        + ("tests/incidents/test_attendance_alerts.py",),
    ),
    Selection(
        "incidents-persons",
        ("incidents/services/persons.py",),
        ("tests/incidents/test_persons.py", "tests/incidents/test_services.py"),
    ),
    Selection(
        "incidents-addresses",
        ("incidents/services/addresses.py",),
        ("tests/incidents/test_addresses.py", "tests/incidents/test_rural_areas.py"),
    ),
    Selection(
        "incidents-markers",
        ("incidents/services/markers.py", "incidents/services/exclusions.py"),
        ("tests/incidents/test_markers_exclusions.py",),
    ),
    Selection(
        "incidents-custody",
        ("incidents/services/custody.py",),
        ("tests/incidents/test_custody_services.py", "tests/incidents/test_custody.py")
        + ("tests/incidents/test_inspector_rota.py",),
    ),
    Selection("core", ("*",), None),
)
#: mutmut over one selection (modules and tests), with the who-may rules mutated too.
LAUNCH = Path(__file__).with_name("launch.py")


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def status_of(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def module_of(mutant: str) -> str:
    """``incidents.matching.scoring.x_score__mutmut_3`` -> ``incidents/matching/scoring.py``."""
    return mutant.rsplit(".", 1)[0].replace(".", "/") + ".py"


def glob_of(module: str) -> str:
    """``incidents/matching/scoring.py`` -> the mutmut name pattern of its mutants."""
    return module.removesuffix(".py").replace("/", ".") + ".*"


def selection_of(module: str) -> Selection:
    return next(s for s in SELECTIONS if any(fnmatch(module, p) for p in s.modules))


def rule_modules() -> list[str]:
    """Every module ``[tool.mutmut] only_mutate`` names, as a path."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    skip = config.get("do_not_mutate", [])
    found = {
        str(path.relative_to(ROOT))
        for pattern in config["only_mutate"]
        for path in ROOT.glob(pattern)
        if path.suffix == ".py"
    }
    return sorted(m for m in found if not any(fnmatch(m, p) for p in skip))


def use(selection: Selection) -> None:
    """Point ``mutants`` at the selection's results (a directory left by an older run is the
    core selection's)."""
    target = STORE / selection.name
    target.mkdir(parents=True, exist_ok=True)
    link = ROOT / "mutants"
    if link.is_symlink():
        link.unlink()
    elif link.is_dir():
        if (STORE / "core").exists() and any((STORE / "core").iterdir()):
            import shutil

            shutil.rmtree(link)
        else:
            (STORE / "core").rmdir()
            link.rename(STORE / "core")
            target.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.relative_to(ROOT))


def equivalents() -> dict[str, str]:
    """Mutant name -> why no test can tell it from the original."""
    data = tomllib.loads(EQUIVALENT.read_text())
    return {name: reason for name, reason in data.get("equivalent", {}).items()}


def results() -> dict[str, str]:
    """Every mutant mutmut knows of -> its status, from its module's test selection."""
    found: dict[str, str] = {}
    for meta in sorted(STORE.glob("*/**/*.py.meta")):
        selection = meta.relative_to(STORE).parts[0]
        module = str(meta.relative_to(STORE / selection)).removesuffix(".meta")
        if selection_of(module).name != selection:
            continue  # traced against another selection's tests: not this module's result
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[mutant] = status_of(code)
    return found


def report(modules: list[str]) -> int:
    found = results()
    known = equivalents()
    rows, survivors, stale = [], [], []
    for module in sorted({module_of(m) for m in found}):
        if modules and module not in modules:
            continue
        statuses = {m: s for m, s in found.items() if module_of(m) == module}
        counts = Counter()
        for mutant, status in statuses.items():
            if status in KILLED:
                counts["killed"] += 1
                if mutant in known:
                    stale.append(mutant)
            elif status in TIMEOUT:
                counts["timeout"] += 1
            elif status == "not checked":
                counts["not checked"] += 1
            elif mutant in known:
                counts["equivalent"] += 1
            else:
                counts["survived"] += 1
                survivors.append((mutant, status))
        if counts["not checked"] == len(statuses):
            continue  # generated by an earlier run, never tested: not a result
        judged = len(statuses) - counts["equivalent"] - counts["not checked"]
        share = (counts["killed"] + counts["timeout"]) / judged if judged else 1.0
        rows.append((module, len(statuses), counts, share))

    header = ("module", "mutants", "killed", "timeout", "survived", "equivalent", "killed %")
    say(f"{header[0]:<34}" + "".join(f"{h:>11}" for h in header[1:]))
    total: Counter = Counter()
    failing = False
    for module, size, counts, share in rows:
        total.update(counts)
        total["mutants"] += size
        note = "" if not counts["not checked"] else f"  ({counts['not checked']} not checked)"
        failing |= share < TARGET and not counts["not checked"]
        say(
            f"{module:<34}{size:>11}{counts['killed']:>11}{counts['timeout']:>11}"
            f"{counts['survived']:>11}{counts['equivalent']:>11}{share:>10.1%}{note}"
        )
    judged = total["mutants"] - total["equivalent"] - total["not checked"]
    if judged:
        share = (total["killed"] + total["timeout"]) / judged
        say(
            f"{'all':<34}{total['mutants']:>11}{total['killed']:>11}{total['timeout']:>11}"
            f"{total['survived']:>11}{total['equivalent']:>11}{share:>10.1%}"
        )
    if survivors:
        say(f"\n{len(survivors)} survivor(s): kill each with a test, or explain it in")
        say(f"{EQUIVALENT.relative_to(ROOT)}:")
        for mutant, status in survivors:
            say(f"  {status:<9} make mutate MUTATE_ARGS='--show {mutant}'")
    if stale:
        say("\nListed as equivalent but killed (delete the entry):")
        for mutant in stale:
            say(f"  {mutant}")
    return 1 if failing or stale else 0


def migrations_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def drop_mutation_databases() -> None:
    """A run uses freshly migrated test databases (one per mutmut child slot): they are dropped
    when a migration changed since they were made, and made again by the first test of each
    slot (``tests/plugins/isolation.py``); otherwise the last run's are reused."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg2

    name = url.rsplit("/", 1)[1].split("?")[0]
    made = Path(tempfile.gettempdir()) / f"dapolice-mutmut-{name}.migrations"
    fingerprint = migrations_fingerprint()
    if made.exists() and made.read_text() == fingerprint:
        return
    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        for slot in range(16):
            cursor.execute(f'DROP DATABASE IF EXISTS "test_{name}_mut{slot}"')
    connection.close()
    for ready in Path(tempfile.gettempdir()).glob(f"dapolice-mutmut-{name}-*.ready"):
        ready.unlink()
    made.write_text(fingerprint)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mutate", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths such as incidents/matching/scoring.py")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument(
        "--survivors", action="store_true", help="re-test only the last run's survivors"
    )
    parser.add_argument("--show", metavar="MUTANT", help="print one mutant's diff")
    parser.add_argument("--max-children", default=os.environ.get("MUTATE_CHILDREN", "2"))
    args = parser.parse_args(argv)
    modules = [m.strip("/") for m in args.modules]
    if args.show:
        selection = selection_of(module_of(args.show))
        use(selection)
        return mutmut(["show", args.show], selection)
    if not args.report:
        if args.survivors:
            known = equivalents()
            names = [
                m
                for m, status in results().items()
                if status not in KILLED | TIMEOUT | {"not checked"}
                and m not in known
                and (not modules or module_of(m) in modules)
            ]
        else:
            # Named modules are re-tested in full; without a name, mutmut re-tests only the
            # functions whose code or tests changed since the last run.
            names = [glob_of(m) for m in modules]
        for selection in SELECTIONS:
            mine = [n for n in names if selection_of(module_of(n)) == selection]
            if mine or not (modules or args.survivors):
                drop_mutation_databases()
                use(selection)
                say(f"== {selection.name}: {' '.join(selection.tests or ('[tool.mutmut]',))}")
                mutmut(["run", "--max-children", args.max_children, *mine], selection)
    return report(modules)


def mutmut(arguments: list[str], selection: Selection) -> int:
    env = {
        **os.environ,
        "DAPOLICE_ENV": "test",
        "DAPOLICE_MUTATION": "1",
        "DAPOLICE_MUTATION_MODULES": " ".join(
            m for m in rule_modules() if selection_of(m) == selection
        ),
        "DAPOLICE_MUTATION_TESTS": " ".join(selection.tests or ()),
    }
    command = ["nice", "-n", "10", sys.executable, str(LAUNCH), *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())

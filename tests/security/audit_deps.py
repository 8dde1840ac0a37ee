"""``make audit``: pip-audit over the installed dependencies, honest about being offline.

pip-audit asks a vulnerability service about each installed package: PyPI's per-release JSON
API (``/pypi/<name>/<version>/json``) by default, or OSV (``api.osv.dev``). Where neither can be
reached (a mirror or proxy without the per-release API, no DNS for OSV) pip-audit skips every
package and still exits 0, which would read as "no known vulnerabilities". This wrapper tries
PyPI, then OSV, and says ``SKIPPED`` with the reason when neither answered; it fails on any
vulnerability found. A network failure never fails it (so CI never fails for the network).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
SERVICES = ("pypi", "osv")


@dataclass
class Outcome:
    service: str
    audited: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    why: str = ""


def run(service: str) -> Outcome:
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off", "--format", "json",
         "--vulnerability-service", service],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )  # fmt: skip
    return parse(service, result.stdout, result.stderr)


def parse(service: str, stdout: str, stderr: str = "") -> Outcome:
    """What one pip-audit run says: the packages it could audit, and why it skipped the rest."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
        return Outcome(service, why=(lines[-1] if lines else "pip-audit gave no report")[:200])
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    reasons = [d["skip_reason"] for d in deps if "skip_reason" in d]
    return Outcome(
        service,
        audited=audited,
        skipped=len(deps) - len(audited),
        why=(f"{len(reasons)} packages skipped, e.g. {reasons[0]}" if reasons else ""),
    )


def report(outcomes: list[Outcome]) -> tuple[int, list[str]]:
    """(exit status, lines to print) for the first service that audited anything."""
    for outcome in outcomes:
        if not outcome.audited:
            continue
        found = [(d["name"], d["version"], v) for d in outcome.audited for v in d.get("vulns", [])]
        lines = [
            f"{name} {version}: {vuln['id']} (fixed in "
            f"{', '.join(vuln.get('fix_versions', [])) or 'none yet'})"
            for name, version, vuln in found
        ]
        lines.append(
            f"pip-audit ({outcome.service}): {len(outcome.audited)} packages audited, "
            f"{outcome.skipped} skipped, {len(found)} known vulnerabilities"
        )
        return (1 if found else 0), lines
    lines = [f"  {o.service}: {o.why or 'nothing audited'}" for o in outcomes]
    return 0, [
        "pip-audit: SKIPPED - no vulnerability service answered from here "
        "(run `make audit` where PyPI's per-release JSON API or api.osv.dev is reachable):",
        *lines,
    ]


def main() -> int:
    outcomes: list[Outcome] = []
    for service in SERVICES:
        try:
            outcome = run(service)
        except (OSError, subprocess.TimeoutExpired) as exc:
            outcome = Outcome(service, why=f"pip-audit did not run: {exc}")
        outcomes.append(outcome)
        if outcome.audited:
            break
    status, lines = report(outcomes)
    for line in lines:
        print(line)  # noqa: T201
    return status


if __name__ == "__main__":
    raise SystemExit(main())

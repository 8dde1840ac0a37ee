"""``make audit``'s pip-audit wrapper: says SKIPPED with the reason offline, fails on a
vulnerability, and never reads "no vulnerabilities" when nothing was audited."""

from __future__ import annotations

import json

from tests.security.audit_deps import parse, report

SKIPPED = json.dumps({"dependencies": [
    {"name": "amqp", "version": "5.4.2",
     "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"},
]})  # fmt: skip
CLEAN = json.dumps({"dependencies": [
    {"name": "django", "version": "5.2.19", "vulns": []},
    {"name": "amqp", "version": "5.4.2", "skip_reason": "x"},
]})  # fmt: skip
VULNERABLE = json.dumps({"dependencies": [
    {"name": "django", "version": "5.2.0",
     "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]}]},
]})  # fmt: skip


def test_nothing_audited_by_any_service_is_skipped_with_each_reason_not_a_pass() -> None:
    status, lines = report([
        parse("pypi", SKIPPED),
        parse("osv", "", "Traceback\nConnectionError: Failed to resolve 'api.osv.dev'"),
    ])  # fmt: skip
    assert status == 0
    assert lines[0].startswith("pip-audit: SKIPPED")
    assert "not found on PyPI" in lines[1]
    assert "api.osv.dev" in lines[2]
    assert not any("0 known vulnerabilities" in line for line in lines)


def test_a_service_that_audited_gives_the_figures() -> None:
    status, lines = report([parse("pypi", SKIPPED), parse("osv", CLEAN)])
    assert status == 0
    assert lines == ["pip-audit (osv): 1 packages audited, 1 skipped, 0 known vulnerabilities"]


def test_a_known_vulnerability_fails_with_its_fix() -> None:
    status, lines = report([parse("pypi", VULNERABLE)])
    assert status == 1
    assert lines[0] == "django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)"

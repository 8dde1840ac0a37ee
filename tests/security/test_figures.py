"""The figures' map of probe findings names tests that exist (``tests/security/figures.py``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_named_for_a_probe_finding_exists() -> None:
    import tests.security.figures as figures

    assert sorted(figures.FINDINGS) == list(range(1, 11))
    for finding, text in figures.FINDINGS.items():
        for part in text.split(";"):
            path, _, names = part.strip().partition(":")
            source = (ROOT / path.strip()).read_text()
            for name in re.findall(r"test_\w+", names):
                assert f"def {name}(" in source, (finding, path, name)

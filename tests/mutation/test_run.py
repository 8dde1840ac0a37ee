"""``make mutate``'s own rules: which tests each module's mutants run against, and which
decorated functions it mutates (no mutmut run here)."""

from __future__ import annotations

import libcst as cst
import pytest

from tests.mutation import launch, run


@pytest.mark.parametrize(
    ("module", "selection"),
    [
        ("risk/rules.py", "risk-rules"),
        ("risk/policies.py", "risk-policies"),
        ("risk/services.py", "risk-services"),
        ("risk/selectors.py", "risk-selectors"),
        ("mash/rules.py", "mash-rules"),
        ("mash/policies.py", "mash-policies"),
        ("mash/services.py", "mash-services"),
        ("mash/selectors.py", "mash-selectors"),
        ("marac/rules.py", "marac-rules"),
        ("marac/policies.py", "marac-policies"),
        ("marac/services.py", "marac-services"),
        ("marac/selectors.py", "marac-selectors"),
        ("incidents/policies.py", "incidents-policies"),
        ("incidents/selectors.py", "incidents-selectors"),
        ("incidents/matching/keys.py", "incidents-keys"),
        ("incidents/matching/scoring.py", "incidents-scoring"),
        ("dapolice/access/breakglass.py", "access"),
        ("dapolice/access/views.py", "access"),
        ("dapolice/audit/services.py", "audit-services"),
        ("incidents/services/attendance.py", "incidents-attendance"),
        ("incidents/services/incidents.py", "incidents-intake"),
        ("incidents/services/persons.py", "incidents-persons"),
        ("incidents/services/addresses.py", "incidents-addresses"),
        ("incidents/services/markers.py", "incidents-markers"),
        ("incidents/services/exclusions.py", "incidents-markers"),
        ("incidents/services/custody.py", "incidents-custody"),
    ],
)
def test_each_module_runs_against_its_selection(module, selection):
    assert run.selection_of(module).name == selection


def test_every_selected_test_path_exists_and_every_rule_module_has_a_selection():
    for selection in run.SELECTIONS:
        for path in selection.tests or ():
            assert (run.ROOT / path).exists(), path
    modules = run.rule_modules()
    assert {"risk/rules.py", "mash/policies.py", "incidents/policies.py"} <= set(modules)
    assert all(m.endswith(".py") and "/migrations/" not in m for m in modules)


def test_mutant_names_map_back_to_their_module():
    assert run.module_of("risk.rules.x_marac_criteria__mutmut_3") == "risk/rules.py"
    assert run.module_of(run.glob_of("mash/policies.py")) == "mash/policies.py"


@pytest.mark.parametrize(
    ("source", "mutated"),
    [
        ('@access.rule("risk.view")\ndef f(user): return True\n', True),
        ('@access.rule("a", who=_("b"))\ndef f(user): return True\n', True),
        ("@property\ndef f(self): return 1\n", False),
        ('@access.rule("a")\n@transaction.atomic\ndef f(): pass\n', False),
        ("def f(): pass\n", False),
    ],
)
def test_only_functions_registered_as_access_rules_are_mutated_despite_a_decorator(source, mutated):
    function = cst.parse_module(source).body[0]
    assert launch.access_rule(function) is mutated

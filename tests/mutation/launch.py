"""mutmut, as ``tests/mutation/run.py`` starts it: one test selection's modules and tests.

``DAPOLICE_MUTATION_MODULES`` (paths) replaces ``[tool.mutmut] only_mutate``, and
``DAPOLICE_MUTATION_TESTS`` (pytest arguments), when set, its test selection.

mutmut leaves every decorated function alone (a copy of the function per mutant would run the
decorator once per copy), and so it never mutated the who-may rules, each registered with
``@access.rule(...)``. Here a function whose only decorators are ``access.rule(...)`` is mutated
like any other: the trampoline that mutmut puts in its place keeps the decorator (registered once,
as before) and the original and mutated copies lose it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import libcst as cst
from mutmut.__main__ import cli
from mutmut.configuration import config
from mutmut.mutation import file_mutation

_EMPTY = cst.Module(body=[])


def access_rule(node: cst.CSTNode) -> bool:
    """A function definition whose every decorator is ``@access.rule(...)``."""
    return (
        isinstance(node, cst.FunctionDef)
        and bool(node.decorators)
        and all(
            _EMPTY.code_for_node(d.decorator).startswith("access.rule(") for d in node.decorators
        )
    )


_skip = file_mutation.MutationVisitor._skip_node_and_children
_arrange = file_mutation.function_trampoline_arrangement


def _skip_node_and_children(self: Any, node: cst.CSTNode) -> bool:
    if access_rule(node):
        position = self.get_metadata(file_mutation.PositionProvider, node, None)
        return bool(position and position.start.line in self._ignored_node_lines)
    return bool(_skip(self, node))


def _trampoline_arrangement(function: cst.FunctionDef, mutants: Any, class_name: str | None) -> Any:
    declarations, nodes, assignments, names = _arrange(function, mutants, class_name)
    if access_rule(function):
        nodes = [nodes[0], *(node.with_changes(decorators=[]) for node in nodes[1:])]
    return declarations, nodes, assignments, names


def main() -> None:
    file_mutation.MutationVisitor._skip_node_and_children = _skip_node_and_children  # type: ignore[method-assign]
    file_mutation.function_trampoline_arrangement = _trampoline_arrangement
    config().only_mutate = os.environ["DAPOLICE_MUTATION_MODULES"].split()
    tests = os.environ.get("DAPOLICE_MUTATION_TESTS")
    if tests:
        config().pytest_add_cli_args_test_selection = tests.split()
    sys.argv[0] = "mutmut"
    cli()


if __name__ == "__main__":
    main()

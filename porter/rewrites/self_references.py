"""Self references: what the forward received as arguments becomes state of the model class.

    model.generate(...)            ->  self.model.generate(...)
    f(temperature, tree_choices)   ->  f(self.temperature, self.tree_choices)
    adj_matrix[ids] = top          ->  self.adj_matrix[ids] = top    (a global set by __main__)

Which Name nodes to replace comes from scope analysis, so a nested function that rebinds a name
keeps its own binding. A parameter the forward assigns to is not renamed. The forward starts
from a local copy instead (`max_steps = self.max_steps`), so one request cannot change the
settings of the next.
"""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from porter.rewrites.base import Rewrite, self_attribute
from porter.scopes import ScopeAnalysis


class SelfReferencesRewrite(Rewrite):
    name = "self"

    def __init__(self, reference_ids: Iterable[int]):
        """`reference_ids` are the ids of the Name nodes to replace with `self.<name>`."""
        super().__init__()
        self.reference_ids = set(reference_ids)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) not in self.reference_ids:
            return updated_node
        replacement = self_attribute(original_node.value)
        self.record(original_node, replacement)
        return replacement


def references_to_rename(analysis: ScopeAnalysis, parameters: Iterable[str], module_globals: Iterable[str]) -> set[int]:
    """Name nodes that refer to the given parameters of the root function or to the given globals."""
    return analysis.references_to(parameters, bound_in_root=True) | analysis.references_to(
        module_globals, bound_in_root=False
    )


def local_copies(names: Iterable[str]) -> list[cst.SimpleStatementLine]:
    """`name = self.name` for each name, so the forward can assign to its own copy."""
    return [
        cst.SimpleStatementLine([cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=self_attribute(name))])
        for name in names
    ]

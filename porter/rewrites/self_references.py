"""Self references: what the forward received as arguments becomes state of the model class.

    model.generate(...)            ->  self.model.generate(...)
    f(temperature, tree_choices)   ->  f(self.temperature, self.tree_choices)
    adj_matrix[ids] = top          ->  self.adj_matrix[ids] = top    (a global set by __main__)

Nested functions that rebind a name keep their own binding. A parameter the forward assigns to
is not renamed; the forward instead starts from a local copy (`max_steps = self.max_steps`), so
one request cannot change the next one's settings.
"""

from __future__ import annotations

from typing import Iterable

import libcst as cst

from porter.rewrites.base import Rewrite, code_of, self_attribute
from porter.scopes import RenameReferences


class SelfReferencesRewrite(RenameReferences, Rewrite):
    name = "self"

    def __init__(self, names: Iterable[str]):
        names = list(names)
        super().__init__({name: (lambda name=name: self_attribute(name)) for name in names})

    def on_rename(self, original: cst.Name, replacement: cst.BaseExpression) -> None:
        self.record(original, replacement)


def local_copies(names: Iterable[str]) -> list[cst.SimpleStatementLine]:
    """`name = self.name` for each name, so the forward can assign to its own copy."""
    statements = []
    for name in names:
        statements.append(
            cst.SimpleStatementLine(
                [cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=self_attribute(name))]
            )
        )
    return statements


def describe(names: Iterable[str]) -> str:
    return ", ".join(code_of(self_attribute(name)) for name in names)

"""Slice `__main__` backwards from `run_eval(...)`: keep the statements the port needs to build its model.

A statement is kept when it
- binds a name that a kept statement, or the `run_eval` call, needs;
- changes an object that is needed (`model.eval()`, `model.patched = f.__get__(model)`);
- sets up a library before loading (`GenerationMixin.method = patch`, `augment_all()`), which is
  a call to a function, or an assignment to an attribute of a class, that the runner imported.
Everything else (question files, answer files, printing, argparse itself) is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst
import libcst.matchers as m

from porter.imports import ImportTable
from porter.scopes import bound_names, referenced_names

# Modules whose functions a runner calls for the harness, never to set up decoding.
HARNESS_MODULES = ("evaluation", "argparse", "fastchat")


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


class _Effects(cst.CSTVisitor):
    """What a statement changes: attributes or items of existing objects, and method calls on them."""

    def __init__(self) -> None:
        self.mutated: dict[str, None] = {}
        self.called: dict[str, None] = {}

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, (cst.Attribute, cst.Subscript)):
            root = _root_name(node.target)
            if root is not None:
                self.mutated.setdefault(root, None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, (cst.Attribute, cst.Subscript)):
            root = _root_name(node.target)
            if root is not None:
                self.mutated.setdefault(root, None)

    def visit_Expr(self, node: cst.Expr) -> None:
        # A bare call statement: `model.eval()` changes `model`; `augment_all()` calls a function.
        if isinstance(node.value, cst.Call):
            func = node.value.func
            if isinstance(func, cst.Attribute):
                root = _root_name(func.value)
                if root is not None:
                    self.mutated.setdefault(root, None)
            elif isinstance(func, cst.Name):
                self.called.setdefault(func.value, None)


def _effects(statement: cst.CSTNode) -> _Effects:
    effects = _Effects()
    statement.visit(effects)
    return effects


def is_setup(statement: cst.CSTNode, imports: ImportTable) -> bool:
    """Does the statement patch or configure an imported library (not the harness)?"""
    effects = _effects(statement)
    for name in list(effects.called) + list(effects.mutated):
        module = imports.module_of(name)
        if module is not None and module.split(".")[0] not in HARNESS_MODULES:
            return True
    return False


@dataclass(frozen=True)
class Slice:
    statements: list[cst.BaseStatement]
    free_names: list[str]      # names the kept statements read but never bind


def slice_main(
    statements: Sequence[cst.BaseStatement],
    needed: Iterable[str],
    imports: ImportTable,
) -> Slice:
    """Keep the statements of `statements` that the names in `needed` depend on, in source order."""
    needed_names: set[str] = set(needed)
    kept: list[cst.BaseStatement] = []

    for statement in reversed(statements):
        binds = set(bound_names(statement))
        mutates = set(_effects(statement).mutated)
        if binds & needed_names or mutates & needed_names or is_setup(statement, imports):
            kept.append(statement)
            needed_names |= set(referenced_names(statement))

    kept.reverse()

    bound: set[str] = set()
    for statement in kept:
        bound |= set(bound_names(statement))
    free = [name for statement in kept for name in referenced_names(statement) if name not in bound]
    return Slice(kept, list(dict.fromkeys(free)))

"""Just enough scope analysis to rename a function's parameters and free names safely.

libcst's ScopeProvider answers the same questions, but resolving it costs more than parsing the
runner, and converting a checkout must stay close to the cost of parsing it. This module walks
the tree once (with porter.walk, which does not rebuild nodes), records every binding and every
reference, then resolves each reference to the innermost enclosing scope that binds its name,
as Python does.

NOTE: decorators and parameter defaults are resolved in the function's own scope rather than the
enclosing one, and class bodies are treated like function scopes. No runner uses either in a way
that this changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import libcst as cst

from porter.walk import Walker

SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass(eq=False)
class Scope:
    node: cst.CSTNode
    parent: "Scope | None"
    bound: dict[str, None] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)     # bound other than as a parameter
    declared_outer: set[str] = field(default_factory=set)

    def binds(self, name: str) -> bool:
        return name in self.bound and name not in self.declared_outer


def _target_names(target: cst.CSTNode) -> Iterable[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


class ScopeAnalysis(Walker):
    """One pass over `root` (a function, a statement or an expression), the outermost scope."""

    def __init__(self, root: cst.CSTNode):
        super().__init__()
        self.root_scope = Scope(root, None)
        self.scope = self.root_scope
        self.scopes: dict[int, Scope] = {id(root): self.root_scope}
        self.labels: set[int] = set()
        self.references: list[tuple[cst.Name, Scope]] = []
        self.outer_declarations: list[cst.Global | cst.Nonlocal] = []   # in the root scope
        self.walk(root)

    # --- scopes -------------------------------------------------------------------------------
    def _enter(self, node: cst.CSTNode) -> None:
        if node is self.root_scope.node:
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                self.labels.add(id(node.name))
            return
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self._bind([node.name.value])
            self.labels.add(id(node.name))
        self.scope = Scope(node, self.scope)
        self.scopes[id(node)] = self.scope

    def _exit(self, node: cst.CSTNode) -> None:
        if node is not self.root_scope.node:
            self.scope = self.scope.parent

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._exit(original_node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._enter(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._exit(original_node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._exit(original_node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._exit(original_node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._exit(original_node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._exit(original_node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._exit(original_node)

    def _bind(self, names: Iterable[str], *, parameter: bool = False) -> None:
        for name in names:
            self.scope.bound.setdefault(name, None)
            if not parameter:
                self.scope.assigned.add(name)

    # --- bindings -----------------------------------------------------------------------------

    def visit_Param(self, node: cst.Param) -> None:
        self._bind([node.name.value], parameter=True)
        self.labels.add(id(node.name))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(_target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(_target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(_target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self._bind(_target_names(node.target))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(_target_names(node.target))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(_target_names(node.asname.name))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind(_target_names(node.name.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(_target_names(node.target))

    def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
        bound = node.asname.name if node.asname else node.name
        while isinstance(bound, cst.Attribute):
            bound = bound.value
        self._bind(_target_names(bound))
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        self._declare_outer(node)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self._declare_outer(node)
        return False

    def _declare_outer(self, node: cst.Global | cst.Nonlocal) -> None:
        self.scope.declared_outer.update(item.name.value for item in node.names)
        if self.scope is self.root_scope:
            self.outer_declarations.append(node)

    # --- references ---------------------------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.labels.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.labels.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.labels:
            self.references.append((node, self.scope))

    # --- queries ------------------------------------------------------------------------------

    def resolve(self, name: str, scope: Scope) -> Scope | None:
        """Find the scope whose binding a reference to `name` from `scope` uses, or None for a free name."""
        current: Scope | None = scope
        while current is not None:
            if current.binds(name):
                return current
            current = current.parent
        return None

    def bound_names(self) -> list[str]:
        """Names the root scope binds (parameters included), in order."""
        return [name for name in self.root_scope.bound if self.root_scope.binds(name)]

    def assigned_names(self) -> set[str]:
        """Names the root scope binds other than as parameters."""
        return {name for name in self.root_scope.assigned if self.root_scope.binds(name)}

    def all_bound_names(self) -> set[str]:
        names: set[str] = set()
        for scope in self.scopes.values():
            names.update(name for name in scope.bound if scope.binds(name))
        return names

    def declared_outer(self) -> list[str]:
        return sorted(self.root_scope.declared_outer)

    def referenced_names(self) -> list[str]:
        """List every name read or written, in order of first appearance."""
        return list(dict.fromkeys(node.value for node, _ in self.references))

    def free_names(self) -> list[str]:
        """Names read without a binding in the root or an enclosed scope, in order."""
        return list(dict.fromkeys(node.value for node, scope in self.references if self.resolve(node.value, scope) is None))

    def references_to(self, names: Iterable[str], *, bound_in_root: bool) -> set[int]:
        """Ids of the Name nodes that refer to `names` as bound in the root scope (or as free names)."""
        wanted = set(names)
        ids = set()
        for node, scope in self.references:
            if node.value not in wanted:
                continue
            resolved = self.resolve(node.value, scope)
            if (resolved is self.root_scope) if bound_in_root else (resolved is None):
                ids.add(id(node))
        return ids


def bound_names(node: cst.CSTNode) -> list[str]:
    """Names bound directly in `node`'s own scope."""
    return ScopeAnalysis(node).bound_names()


def referenced_names(node: cst.CSTNode) -> list[str]:
    """Names `node` reads or writes as variables, in order of first appearance."""
    return ScopeAnalysis(node).referenced_names()


def free_names(node: cst.CSTNode) -> list[str]:
    """Names `node` reads without binding them, in order of first appearance."""
    return ScopeAnalysis(node).free_names()

"""Just enough scope analysis to rename a function's parameters and free names safely.

libcst's ScopeProvider answers the same questions, but resolving it for every runner costs more
than parsing the runner, so this module handles the constructs runners use: nested functions,
lambdas and comprehensions that rebind a name.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import libcst as cst

_SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _target_names(target: cst.CSTNode) -> Iterable[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


class _BindingCollector(cst.CSTVisitor):
    """Collect the names bound directly in one scope, without entering nested scopes."""

    def __init__(self, root: cst.CSTNode):
        self.root = root
        self.bound: dict[str, None] = {}
        self.declared_outer: set[str] = set()

    def _bind(self, names: Iterable[str]) -> None:
        for name in names:
            self.bound.setdefault(name, None)

    def _enters_nested_scope(self, node: cst.CSTNode) -> bool:
        return node is not self.root and isinstance(node, _SCOPE_NODES)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._enters_nested_scope(node):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                self._bind([node.name.value])
            return False
        return super().on_visit(node)

    def visit_Param(self, node: cst.Param) -> None:
        self._bind([node.name.value])

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

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            bound = alias.asname.name if alias.asname else alias.name
            while isinstance(bound, cst.Attribute):
                bound = bound.value
            self._bind(_target_names(bound))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self._bind(_target_names(alias.asname.name if alias.asname else alias.name))

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_outer.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_outer.update(item.name.value for item in node.names)


def bound_names(scope: cst.CSTNode) -> list[str]:
    """Names bound directly in `scope` (a function, lambda, comprehension, or any block), in order."""
    collector = _BindingCollector(scope)
    scope.visit(collector)
    return [name for name in collector.bound if name not in collector.declared_outer]


def declared_outer_names(scope: cst.CSTNode) -> list[str]:
    """Names a scope declares `global` or `nonlocal`."""
    collector = _BindingCollector(scope)
    scope.visit(collector)
    return sorted(collector.declared_outer)


def _non_reference_name_ids(node: cst.CSTNode) -> set[int]:
    """Ids of Name nodes that are labels rather than references: attribute names, keywords, ..."""
    if isinstance(node, cst.Attribute):
        return {id(node.attr)}
    if isinstance(node, cst.Arg) and node.keyword is not None:
        return {id(node.keyword)}
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return {id(node.name)}
    if isinstance(node, cst.Param):
        return {id(node.name)}
    if isinstance(node, cst.ImportAlias):
        return {id(name) for name in _all_names(node)}
    if isinstance(node, (cst.Global, cst.Nonlocal)):
        return {id(item.name) for item in node.names}
    return set()


def _all_names(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.append(name)

    node.visit(_Collect())
    return found


class RenameReferences(cst.CSTTransformer):
    """Replace references to the given names, except inside nested scopes that rebind them.

    `replacements` maps a name to a function that builds its replacement expression; the
    function is called once per reference so that every replacement is a fresh node.
    """

    def __init__(self, replacements: Mapping[str, Callable[[], cst.BaseExpression]]):
        super().__init__()
        self.replacements = dict(replacements)
        self.labels: set[int] = set()
        self.shadowed: list[set[str]] = []
        self.renamed: list[tuple[str, cst.BaseExpression]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.labels |= _non_reference_name_ids(node)
        if isinstance(node, _SCOPE_NODES):
            self.shadowed.append(set(bound_names(node)) & set(self.replacements))
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        if isinstance(original_node, _SCOPE_NODES):
            self.shadowed.pop()
        return super().on_leave(original_node, updated_node)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        name = original_node.value
        if id(original_node) in self.labels or name not in self.replacements:
            return updated_node
        if any(name in shadowed for shadowed in self.shadowed):
            return updated_node
        replacement = self.replacements[name]()
        self.renamed.append((name, replacement))
        self.on_rename(original_node, replacement)
        return replacement

    def on_rename(self, original: cst.Name, replacement: cst.BaseExpression) -> None:
        """Called for every replaced reference; subclasses record changes here."""


class _ReferenceCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.labels: set[int] = set()
        self.names: dict[str, None] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.labels |= _non_reference_name_ids(node)
        return super().on_visit(node)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.labels:
            self.names.setdefault(node.value, None)


def referenced_names(node: cst.CSTNode) -> list[str]:
    """Names that `node` reads or writes as variables, in order of first appearance."""
    collector = _ReferenceCollector()
    node.visit(collector)
    return list(collector.names)


def all_bound_names(node: cst.CSTNode) -> set[str]:
    """Names bound anywhere inside `node`, in any scope."""
    names: set[str] = set(bound_names(node))

    class _Scopes(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if inner is not node and isinstance(inner, _SCOPE_NODES):
                names.update(bound_names(inner))
            return True

    node.visit(_Scopes())
    return names


class _FreeNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.labels: set[int] = set()
        self.scopes: list[set[str]] = []
        self.free: dict[str, None] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.labels |= _non_reference_name_ids(node)
        if isinstance(node, _SCOPE_NODES):
            self.scopes.append(set(bound_names(node)))
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, _SCOPE_NODES):
            self.scopes.pop()
        super().on_leave(original_node)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self.labels:
            return
        if not any(node.value in scope for scope in self.scopes):
            self.free.setdefault(node.value, None)


def free_names(function: cst.FunctionDef) -> list[str]:
    """Names a function reads without binding them in it or in a nested scope, in order."""
    visitor = _FreeNames()
    function.visit(visitor)
    return list(visitor.free)

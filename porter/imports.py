"""The runner's imports: which import provides a name, and what a star import really exports.

Star imports (`from model.medusa.utils import *`) are resolved by reading the module's source in
the Spec-Bench checkout. Only top-level names matter, so the source is read with Python's `ast`,
which parses an order of magnitude faster than libcst and keeps the conversion of a whole
checkout close to the cost of parsing the runners themselves.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import libcst as cst

from porter.rewrites.base import code_of

# Reads the source of a module in the checkout by dotted name; None when it is not there.
SourceReader = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Binding:
    """One name an import statement binds."""

    local_name: str
    module: str             # "model.medusa.utils", or "numpy" for `import numpy as np`
    imported: str | None    # the imported attribute (`from m import x`); None for `import m`
    statement: cst.SimpleStatementLine

    def render(self) -> str:
        if self.imported is None:
            if self.local_name == self.module:
                return f"import {self.module}"
            if self.module.split(".")[0] == self.local_name and "." in self.module:
                return f"import {self.module}"
            return f"import {self.module} as {self.local_name}"
        if self.imported == self.local_name:
            return f"from {self.module} import {self.imported}"
        return f"from {self.module} import {self.imported} as {self.local_name}"


@dataclass
class ImportTable:
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_modules: list[tuple[str, cst.SimpleStatementLine]] = field(default_factory=list)
    statement_ids: list[int] = field(default_factory=list)    # import statements in source order

    def position(self, statement: cst.SimpleStatementLine) -> int:
        return self.statement_ids.index(id(statement))

    def module_of(self, name: str) -> str | None:
        binding = self.bindings.get(name)
        return binding.module if binding else None


def _dotted(node: cst.BaseExpression) -> str:
    return code_of(node).replace(" ", "")


def read_imports(statements: Iterable[cst.CSTNode]) -> ImportTable:
    """Collect the bindings of the top-level import statements, in order."""
    table = ImportTable()
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        if any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            table.statement_ids.append(id(statement))
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    module = _dotted(alias.name)
                    local = alias.asname.name.value if alias.asname else module.split(".")[0]
                    table.bindings[local] = Binding(local, module, None, statement)
            elif isinstance(small, cst.ImportFrom):
                if small.module is None or small.relative:
                    continue
                module = _dotted(small.module)
                if isinstance(small.names, cst.ImportStar):
                    table.star_modules.append((module, statement))
                    continue
                for alias in small.names:
                    imported = _dotted(alias.name)
                    local = alias.asname.name.value if alias.asname else imported
                    table.bindings[local] = Binding(local, module, imported, statement)
    return table


def _literal_names(node: ast.expr) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(element, ast.Constant) and isinstance(element.value, str) for element in node.elts
    ):
        return [element.value for element in node.elts]
    return None


def _resolve_relative(package: str, level: int, module: str | None) -> str:
    parts = package.split(".")
    base = parts[: len(parts) - level + 1] if level > 1 else parts
    return ".".join(base + ([module] if module else []))


def module_exports(module: str, read_source: SourceReader, _seen: frozenset[str] = frozenset()) -> list[str] | None:
    """Names `from <module> import *` binds, or None when the module's source is not available."""
    source = read_source(module)
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None

    names: dict[str, None] = {}
    explicit: list[str] | None = None
    package = module if read_source(module + ".__init__") is not None else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.setdefault(node.name, None)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in ast.walk(target):
                    if isinstance(element, ast.Name):
                        names.setdefault(element.id, None)
                if isinstance(target, ast.Name) and target.id == "__all__" and node.value is not None:
                    explicit = _literal_names(node.value)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names.setdefault(alias.asname or alias.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    names.setdefault(alias.asname or alias.name, None)
                    continue
                nested = _resolve_relative(package, node.level, node.module) if node.level else node.module
                if nested and nested not in _seen:
                    for name in module_exports(nested, read_source, _seen | {module}) or []:
                        names.setdefault(name, None)

    if explicit is not None:
        return explicit
    return [name for name in names if not name.startswith("_")]


@dataclass(frozen=True)
class ResolvedImports:
    lines: list[str]                           # import statements for the generated file, in order
    unresolved: list[str]                      # names no import provides
    kept_star_modules: list[str]               # star imports kept because their source is missing


def resolve_imports(
    names: Sequence[str],
    table: ImportTable,
    read_source: SourceReader,
    provided: Iterable[str] = (),
) -> ResolvedImports:
    """Pick, for each name the generated code needs, the import that provides it in the runner.

    Names in `provided` come with the generated file itself and need no import. A later import
    of a name wins over an earlier one, as when Python runs the runner.
    """
    provided = set(provided)
    lines: list[str] = []
    unresolved: list[str] = []
    kept: list[str] = []
    # A star import is read only when some name is not imported explicitly.
    exports_cache: dict[str, list[str] | None] = {}

    def star_exports() -> list[tuple[str, list[str] | None]]:
        for module, _ in table.star_modules:
            if module not in exports_cache:
                exports_cache[module] = module_exports(module, read_source)
        return [(module, exports_cache[module]) for module, _ in table.star_modules]

    for name in names:
        if name in provided:
            continue
        binding = table.bindings.get(name)
        star_module = None
        if binding is None or table.star_modules:
            for module, exports in reversed(star_exports() if binding is None or _star_after_any(table, binding) else []):
                if exports is not None and name in exports:
                    star_module = module
                    break
        if binding is not None and not _star_import_after(table, binding, star_module):
            line = binding.render()
        elif star_module is not None:
            line = f"from {star_module} import {name}"
        else:
            missing = [module for module, exports in star_exports() if exports is None]
            if missing:
                for module in missing:
                    line = f"from {module} import *"
                    if line not in lines:
                        lines.append(line)
                        kept.append(module)
                continue
            unresolved.append(name)
            continue
        if line not in lines:
            lines.append(line)
    return ResolvedImports(lines, unresolved, kept)


def _star_after_any(table: ImportTable, binding: Binding) -> bool:
    """Does any star import come after the explicit import of a name (and so may rebind it)?"""
    return any(table.position(statement) > table.position(binding.statement) for _, statement in table.star_modules)


def _star_import_after(table: ImportTable, binding: Binding, star_module: str | None) -> bool:
    """Does the star import that exports the name come after the explicit import of it?"""
    if star_module is None:
        return False
    star_statement = next(statement for module, statement in table.star_modules if module == star_module)
    return table.position(star_statement) > table.position(binding.statement)

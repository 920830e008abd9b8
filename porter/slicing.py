"""Slice `__main__` backwards from `run_eval(...)`: keep the statements the port needs to build its model.

A statement is kept when it
- binds a name, or assigns a flag (`args.top_p = 0`), that a kept statement or `run_eval` needs;
- changes an object that is needed (`model.eval()`, `model.patched = f.__get__(model)`);
- sets up a library before loading (`GenerationMixin.method = patch`, `augment_all()`), which is
  a call to a function, or an assignment to an attribute of a class, that the runner imported.
Everything else (question files, answer files, printing, argparse itself) is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst

from porter.imports import ImportTable
from porter.rewrites.loading import passes_path, is_model_loading
from porter.scopes import ScopeAnalysis
from porter.shapes import assignment, called_method, expression_statement, is_attribute, is_name, string_value

# Modules whose functions a runner calls for the harness, never to set up decoding.
HARNESS_MODULES = ("evaluation", "argparse", "fastchat")


def environment_variable(call: cst.Call) -> str | None:
    """`X` for `os.environ.get("X", ...)` or `os.getenv("X", ...)`, else None."""
    func = call.func
    reads_environment = is_attribute(func, "os", "getenv") or (
        isinstance(func, cst.Attribute) and func.attr.value == "get" and is_attribute(func.value, "os", "environ")
    )
    if not reads_environment or not call.args:
        return None
    return string_value(call.args[0].value)


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else None


class StatementFacts(ScopeAnalysis):
    """Names and flags one statement of `__main__` binds, reads and changes, in one pass."""

    def __init__(self, statement: cst.CSTNode, args_name: str):
        self.args_name = args_name
        self.flag_reads: dict[str, None] = {}
        self.flag_writes: set[str] = set()
        self.mutated: set[str] = set()
        self.called: set[str] = set()
        self.loading_path_flags: dict[str, None] = {}   # flags passed as paths to model-loading calls
        self.environment_reads: dict[str, None] = {}    # variables read with os.environ.get / os.getenv
        super().__init__(statement)
        self.statement = statement
        self.bound = set(self.bound_names())
        self.referenced = set(self.referenced_names())

    def _flag_of(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Attribute) and is_name(node.value, self.args_name):
            return node.attr.value
        return None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        super().visit_Attribute(node)
        flag = self._flag_of(node)
        if flag is not None:
            self.flag_reads.setdefault(flag, None)

    def _record_target(self, target: cst.BaseExpression) -> None:
        flag = self._flag_of(target)
        if flag is not None:
            self.flag_writes.add(flag)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            root = _root_name(target)
            if root is not None:
                self.mutated.add(root)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        super().visit_AssignTarget(node)
        self._record_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        self._record_target(node.target)

    def visit_Expr(self, node: cst.Expr) -> None:
        # A bare call statement: `model.eval()` changes `model`; `augment_all()` calls a function.
        if isinstance(node.value, cst.Call):
            func = node.value.func
            if isinstance(func, cst.Attribute):
                root = _root_name(func.value)
                if root is not None:
                    self.mutated.add(root)
            elif isinstance(func, cst.Name):
                self.called.add(func.value)

    def visit_Arg(self, node: cst.Arg) -> bool:
        # The loading rewrite replaces every device_map with the port's device, so what it reads is not needed.
        super().visit_Arg(node)
        return not is_name(node.keyword, "device_map")

    def visit_Call(self, node: cst.Call) -> None:
        variable = environment_variable(node)
        if variable is not None:
            self.environment_reads.setdefault(variable, None)
        if not is_model_loading(node):
            return
        for argument in node.args:
            flag = self._flag_of(argument.value)
            if flag is not None and passes_path(argument):
                self.loading_path_flags.setdefault(flag, None)

    def is_setup(self, imports: ImportTable) -> bool:
        """Does the statement patch or configure an imported library (not the harness)?"""
        for name in sorted(self.called | self.mutated):
            module = imports.module_of(name)
            if module is not None and module.split(".")[0] not in HARNESS_MODULES:
                return True
        return False


def is_argparse_statement(statement: cst.CSTNode) -> bool:
    """`parser = argparse.ArgumentParser()`, `parser.add_argument(...)`, `args = parser.parse_args()`."""
    if called_method(expression_statement(statement)) == "add_argument":
        return True
    assign = assignment(statement)
    return assign is not None and called_method(assign.value) in ("parse_args", "ArgumentParser")


@dataclass(frozen=True)
class MainFacts:
    args_name: str                      # the variable parse_args() is assigned to
    statements: list[StatementFacts]    # the statements before run_eval, argparse left out

    @property
    def bound(self) -> set[str]:
        return set().union(*(facts.bound for facts in self.statements)) if self.statements else set()


def read_main(statements: Sequence[cst.BaseStatement]) -> MainFacts:
    """Facts of the `__main__` statements that come before the run_eval call."""
    args_name = "args"
    for statement in statements:
        assign = assignment(statement)
        if assign is not None and called_method(assign.value) == "parse_args" and isinstance(assign.targets[0].target, cst.Name):
            args_name = assign.targets[0].target.value
    kept = [StatementFacts(statement, args_name) for statement in statements if not is_argparse_statement(statement)]
    return MainFacts(args_name, kept)


@dataclass(frozen=True)
class Slice:
    kept: list[StatementFacts]
    flags: list[str]           # flags the kept statements read

    @property
    def statements(self) -> list[cst.BaseStatement]:
        return [facts.statement for facts in self.kept]


def slice_main(
    facts: Sequence[StatementFacts],
    needed_names: Iterable[str],
    needed_flags: Iterable[str],
    imports: ImportTable,
) -> Slice:
    """Keep the statements the needed names and flags depend on, in source order."""
    names = set(needed_names)
    flags = set(needed_flags)
    kept: list[StatementFacts] = []
    for statement in reversed(facts):
        if statement.bound & names or statement.flag_writes & flags or statement.mutated & names or statement.is_setup(imports):
            kept.append(statement)
            names |= statement.referenced
            flags |= set(statement.flag_reads)
    kept.reverse()
    read = [flag for statement in kept for flag in statement.flag_reads]
    return Slice(kept, list(dict.fromkeys(read)))

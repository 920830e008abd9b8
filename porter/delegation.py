"""Delegated decoding: find the library call that runs the loop, and the hook that can time its steps.

When a forward hands decoding to a library (`model.generate`, `model.eagenerate`, a patched
`greedy_search_pld`), the port cannot put a timestamp inside the loop. It uses a hook the library
already calls once per step instead:
- a streamer, when the implementation calls `streamer.put(...)` each step (transformers'
  `generate` and the decoding functions Spec-Bench patches into it do);
- otherwise a forward pre-hook on the target model, whose forward runs once per step.
The implementation is looked up statically: an instance patch in `__main__`, else the method on
the model's class in the checkout, else transformers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from porter.imports import ImportTable, SourceReader
from porter.rewrites.timing import HookKind
from porter.shapes import assignment, is_name, root_name


@dataclass(frozen=True)
class DecodingCall:
    statement: cst.SimpleStatementLine
    call: cst.Call
    method: str


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def find_decoding_calls(body: Sequence[cst.BaseStatement], model_name: str) -> list[DecodingCall]:
    """Top-level assignments in the forward whose value is a method call on the model."""
    found = []
    for statement in body:
        assign = assignment(statement)
        if assign is None or not isinstance(assign.value, cst.Call) or not isinstance(assign.value.func, cst.Attribute):
            continue
        call = assign.value
        if _root_name(call.func.value) == model_name:
            found.append(DecodingCall(statement, call, call.func.attr.value))
    return found


def _calls_streamer_put(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "put"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "streamer"
        ):
            return True
    return False


def _module_tree(module: str, read_source: SourceReader) -> ast.Module | None:
    source = read_source(module)
    if source is None:
        return None
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _top_level(tree: ast.Module, name: str, kind: type) -> ast.AST | None:
    found = None
    for node in tree.body:
        if isinstance(node, kind) and node.name == name:
            found = node
    return found


def find_definition(
    module: str, name: str, kind: type, read_source: SourceReader, depth: int = 0
) -> tuple[str, ast.AST] | None:
    """Find where `name` is defined, following re-exports such as `from .samd_model import SamdModel`."""
    tree = _module_tree(module, read_source)
    if tree is None or depth > 5:
        return None
    definition = _top_level(tree, name, kind)
    if definition is not None:
        return module, definition
    is_package = read_source(module + ".__init__") is not None
    package = module if is_package else module.rpartition(".")[0]
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if (alias.asname or alias.name) != name:
                continue
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source_module = ".".join(base + ([node.module] if node.module else []))
            else:
                source_module = node.module
            if source_module:
                return find_definition(source_module, alias.name, kind, read_source, depth + 1)
    return None


@dataclass(frozen=True)
class HookChoice:
    kind: HookKind
    implementation: str    # where the decoding loop lives, for the notes
    resolved: bool         # False when the implementation's source could not be read


def _class_module(class_name: str, imports: ImportTable) -> str | None:
    return imports.module_of(class_name)


def choose_hook(
    call: DecodingCall,
    model_class: str | None,
    instance_patch: str | None,
    imports: ImportTable,
    read_source: SourceReader,
) -> HookChoice:
    """Decide how to time the steps of `call`.

    `model_class` is the class the runner's model was built from, or None if unknown.
    `instance_patch` is the function `__main__` bound onto the model under the called name, if any.
    """
    if any(is_name(arg.keyword, "streamer") for arg in call.call.args):
        return HookChoice(HookKind.FORWARD_HOOK, f"{call.method} (already given a streamer)", True)

    if instance_patch is not None:
        module = imports.module_of(instance_patch)
        found = find_definition(module, instance_patch, ast.FunctionDef, read_source) if module else None
        if found is None:
            return HookChoice(HookKind.FORWARD_HOOK, f"{module}.{instance_patch}", False)
        kind = HookKind.STREAMER if _calls_streamer_put(found[1]) else HookKind.FORWARD_HOOK
        return HookChoice(kind, f"{found[0]}.{instance_patch}", True)

    module = _class_module(model_class, imports) if model_class else None
    if module is None:
        return HookChoice(HookKind.FORWARD_HOOK, call.method, False)
    if module.split(".")[0] == "transformers":
        kind = HookKind.STREAMER if call.method == "generate" else HookKind.FORWARD_HOOK
        return HookChoice(kind, f"transformers {model_class}.{call.method}", True)

    found = find_definition(module, model_class, ast.ClassDef, read_source)
    if found is None:
        return HookChoice(HookKind.FORWARD_HOOK, f"{module}.{model_class}.{call.method}", False)
    module, class_node = found
    method = next(
        (node for node in class_node.body if isinstance(node, ast.FunctionDef) and node.name == call.method),
        None,
    )
    if method is not None:
        kind = HookKind.STREAMER if _calls_streamer_put(method) else HookKind.FORWARD_HOOK
        return HookChoice(kind, f"{module}.{model_class}.{call.method}", True)
    # Not defined on the class itself: a transformers model inherits `generate`.
    if call.method == "generate":
        return HookChoice(HookKind.STREAMER, f"{model_class}.generate (inherited from transformers)", True)
    return HookChoice(HookKind.FORWARD_HOOK, f"{module}.{model_class}.{call.method}", False)

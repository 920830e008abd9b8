"""The core: source text of a runner in, source text of a specdec_bench model class out.

`convert_source` does no I/O of its own. It reads other modules of the checkout only through
the `read_source` function it is given, so the command line decides where files come from.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libcst as cst

from porter import __version__
from porter.constructor import ConstructorPlan, build_constructor
from porter.findings import Finding, PortError, Severity
from porter.forward import ForwardContext, PortedForward, port_forward
from porter.imports import ImportTable, SourceReader, read_imports, resolve_imports
from porter.naming import class_name, module_name
from porter.options import Options
from porter.render import indented_code, render
from porter.rewrites.base import Change
from porter.rewrites.end_id import END_ID
from porter.rewrites.timing import HookKind
from porter.runner import Runner, read_runner
from porter.scopes import bound_names, referenced_names
from porter.shapes import assignment, called_method, expression_statement, is_attribute, name_of, sole_small_statement
from porter.slicing import read_main

# Module-level names the template defines in every generated file.
TEMPLATE_NAMES = frozenset(
    {
        "asyncio", "os", "sys", "time", "torch", "Model", "SPEC_BENCH_ROOT", "IMPORT_ERROR",
        "SPECDEC_BENCH_ARGUMENTS", "check_engine_arguments", "synchronized_perf_counter",
        "first_sequence", "split_into_steps",
    }
)
# Names the template defines only when the port uses them.
DTYPE_TEMPLATE_NAMES = frozenset({"FASTCHAT_DTYPES", "torch_dtype_from_name"})
CHOICES_TEMPLATE_NAMES = frozenset({"importlib", "named_object"})
STEP_CLOCK_TEMPLATE_NAMES = frozenset({"contextlib", "forward_target", "StepClock"})
# Locals of the generated __init__ that the runner's statements may read.
CONSTRUCTOR_LOCALS = frozenset({"self", "model_dir", "draft_model_dir", "max_concurrent_requests", "sampling_kwargs", "device", "kwargs"})
BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Conversion:
    method: str
    class_name: str
    module_name: str
    code: str
    runner: Runner
    forward: PortedForward
    constructor: ConstructorPlan
    import_lines: list[str]
    notes: list[Finding] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return self.forward.changes + self.constructor.changes


def method_from_path(path: str) -> str:
    """`evaluation/inference_eagle2.py` -> `eagle2`; any other file name gives its stem."""
    stem = PurePosixPath(path).stem
    return stem.removeprefix("inference_") or stem


def _model_variable(runner: Runner) -> str | None:
    value = runner.run_eval_keywords().get("model")
    return value.value if isinstance(value, cst.Name) else None


def _model_class(runner: Runner, variable: str | None) -> str | None:
    """Find the class that the model passed to run_eval is built from: `C(...)` or `C.from_pretrained(...)`."""
    if variable is None:
        return None
    found = None
    for statement in runner.main_body[: runner.run_eval_index]:
        assign = assignment(statement)
        if assign is None or name_of(assign.targets[0].target) != variable:
            continue
        value = assign.value
        # Step back through `.to(device)` and similar calls on the loaded model.
        while called_method(value) is not None and not isinstance(value.func.value, cst.Name):
            value = value.func.value
        if isinstance(value, cst.Call):
            found = name_of(value.func) or (name_of(value.func.value) if isinstance(value.func, cst.Attribute) else None)
    return found


def _instance_patches(runner: Runner, variable: str | None) -> dict[str, str]:
    """`model.method = function.__get__(model, ...)` or `model.method = function` in __main__."""
    patches: dict[str, str] = {}
    if variable is None:
        return patches
    for statement in runner.main_body[: runner.run_eval_index]:
        assign = assignment(statement)
        if assign is None or not is_attribute(assign.targets[0].target, variable):
            continue
        value = assign.value
        if called_method(value) == "__get__" and isinstance(value.func.value, cst.Name):
            value = value.func.value
        if isinstance(value, cst.Name):
            patches[assign.targets[0].target.attr.value] = value.value
    return patches


def _helper_definitions(runner: Runner, needed: list[str]) -> list[cst.BaseStatement]:
    """Top-level definitions of the runner (other than the forward) that the port needs."""
    definitions: dict[str, cst.BaseStatement] = {}
    for statement in runner.module.body:
        if statement is runner.forward or statement is runner.main_guard:
            continue
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            definitions[statement.name.value] = statement
        elif assignment(statement) is not None:
            for name in bound_names(statement):
                definitions[name] = statement
    chosen: list[cst.BaseStatement] = []
    pending = list(needed)
    while pending:
        name = pending.pop()
        statement = definitions.get(name)
        if statement is None or statement in chosen:
            continue
        chosen.append(statement)
        pending.extend(referenced_names(statement))
    order = {id(statement): index for index, statement in enumerate(runner.module.body)}
    return sorted(chosen, key=lambda statement: order[id(statement)])


def _dropped_module_statements(runner: Runner) -> list[Finding]:
    notes = []
    for statement in runner.module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or statement is runner.main_guard:
            continue
        small = sole_small_statement(statement)
        if isinstance(small, (cst.Import, cst.ImportFrom, cst.Assign)) or isinstance(expression_statement(statement), cst.SimpleString):
            continue
        call = expression_statement(statement)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and is_attribute(call.func.value, "sys", "path"):
            notes.append(runner.finding(
                Severity.NOTE, statement, statement, runner.code(statement).strip(),
                "the runner's sys.path change is dropped; the generated file puts SPEC_BENCH_PATH on sys.path instead",
            ))
            continue
        notes.append(runner.finding(
            Severity.NOTE, statement, statement, runner.code(statement).strip().splitlines()[0],
            "a module-level statement of the runner is not carried into the generated file",
            "Move it into __main__ before run_eval if the port needs it",
        ))
    return notes


def _timing_note(forward: PortedForward, runner: Runner) -> str:
    if forward.hook is None:
        return (
            "token_times: one timestamp per step of the forward's decoding loop, taken after the step's "
            "accept length is appended and before its exit checks."
        )
    if forward.hook.kind is HookKind.STREAMER:
        return (
            f"token_times: the decoding loop runs inside {forward.hook.implementation}; one timestamp per "
            "step, taken when it hands the step's tokens to the streamer."
        )
    return (
        f"token_times: the decoding loop runs inside {forward.hook.implementation}; one timestamp per step, "
        "taken when the target model's next forward pass starts (the last one when the call returns)."
    )


def convert_source(
    source: str,
    path: str,
    *,
    read_source: SourceReader,
    options: Options = Options(),
) -> Conversion:
    """Convert one runner's source into the source of a specdec_bench model class.

    `path` is how the runner is named in messages and in the generated header (relative to the
    Spec-Bench root when it lies in one). Raises PortError when the runner cannot be ported.
    """
    method = method_from_path(path)
    runner = read_runner(source, path)
    imports = read_imports(runner.module.body)
    star_modules = [module for module, _ in imports.star_modules]

    main = read_main(runner.main_body[: runner.run_eval_index])
    model_variable = _model_variable(runner)
    context = ForwardContext(
        imports=imports,
        read_source=read_source,
        main_bound=main.bound,
        model_class=_model_class(runner, model_variable),
        instance_patches=_instance_patches(runner, model_variable),
    )
    forward = port_forward(runner, context)
    constructor = build_constructor(
        runner,
        main,
        imports,
        star_modules,
        forward.option_names,
        forward.main_globals,
        forward.uses_tokenizer,
        options.path_roles.get(method),
    )

    # Everything the generated code reads that neither it nor the template defines is imported.
    keyword_names = {parameter.name for parameter in constructor.keyword_parameters}
    keyword_names |= {parameter.name for parameter in constructor.sampling}
    forward_free = [name for name in forward.free_names if name not in BUILTIN_NAMES]
    constructor_free = [
        name for name in constructor.free_names
        if name not in keyword_names and name not in CONSTRUCTOR_LOCALS and name not in BUILTIN_NAMES
    ]
    needed = list(dict.fromkeys(forward_free + constructor_free))
    helpers = _helper_definitions(runner, [name for name in needed if name not in imports.bindings])
    helper_names: set[str] = set()
    for helper in helpers:
        helper_names |= set(bound_names(helper)) if not isinstance(helper, (cst.FunctionDef, cst.ClassDef)) else {helper.name.value}
    for helper in helpers:
        needed += [name for name in referenced_names(helper) if name not in needed and name not in BUILTIN_NAMES]
    provided = TEMPLATE_NAMES | helper_names
    if constructor.uses_dtype_table:
        provided |= DTYPE_TEMPLATE_NAMES
    if constructor.uses_named_object:
        provided |= CHOICES_TEMPLATE_NAMES
    if forward.hook is not None:
        provided |= STEP_CLOCK_TEMPLATE_NAMES
    clashes = sorted(name for name in needed if name in provided and name in imports.bindings and name not in ("torch", "os", "sys", "time", "asyncio"))
    if clashes:
        raise runner.error(
            runner.forward, runner.forward, clashes[0],
            f"the runner imports {clashes[0]!r}, a name the generated file defines for itself",
            "Import it under another name in the runner",
        )
    resolved = resolve_imports(needed, imports, read_source, provided=provided)
    if resolved.unresolved:
        name = resolved.unresolved[0]
        raise runner.error(
            runner.forward, runner.forward, name,
            f"the port needs {name!r}, which no import, top-level definition or __main__ statement of the runner provides",
            "Import or define it in the runner",
        )

    notes = forward.notes + constructor.notes + _dropped_module_statements(runner)
    for module in resolved.kept_star_modules:
        notes.append(Finding(
            Severity.NOTE, path, None, f"from {module} import *",
            f"the source of {module} is not in the checkout, so its star import is kept as it is",
            "Pass --spec-bench with the checkout root so specport can list the names it uses",
        ))
    if forward.hook is not None and END_ID not in referenced_names(forward.function.body):
        notes.append(Finding(
            Severity.NOTE, path, None, f"{forward.hook.implementation}",
            "the library call decides where decoding stops (the model's own EOS); run()'s end_id only cuts the output",
        ))

    note_texts = [_timing_note(forward, runner)] + [_note_text(note) for note in notes]
    held = ["model"] + [name for name, _ in constructor.attributes if name != "model"]
    rendered = render(
        {
            "version": __version__,
            "runner_path": path,
            "commit": options.spec_bench_commit,
            "dirty": options.spec_bench_dirty,
            "method": method,
            "class_name": class_name(method),
            "forward_name": runner.forward_name,
            "model_flag": constructor.model_flag,
            "draft": constructor.draft,
            "keyword_parameters": constructor.keyword_parameters,
            "sampling": constructor.sampling,
            "notes": note_texts,
            "import_lines": _merge_import_lines(resolved.lines),
            "uses_dtype_table": constructor.uses_dtype_table,
            "uses_named_object": constructor.uses_named_object,
            "uses_step_clock": forward.hook is not None,
            "uses_attention_mask": forward.uses_attention_mask,
            "helper_definitions": [cst.Module(body=[helper]).code.strip() for helper in helpers],
            "constructor_body": indented_code(constructor.statements, 1).rstrip("\n"),
            "attributes": constructor.attributes,
            "forward_code": cst.Module(body=[forward.function]).code,
            "cached_attributes": _tuple_source(forward.cached_attributes),
            "held_attributes": _tuple_source(held),
        },
        format_with_black=options.format_with_black,
    )
    return Conversion(
        method=method,
        class_name=class_name(method),
        module_name=module_name(method),
        code=rendered,
        runner=runner,
        forward=forward,
        constructor=constructor,
        import_lines=resolved.lines,
        notes=notes,
    )


def _note_text(note: Finding) -> str:
    where = f" (runner line {note.line})" if note.line else ""
    return f"{note.message}{where}."


def _tuple_source(names: list[str]) -> str:
    """Write a tuple of strings as black writes it, so that black has nothing to redo."""
    quoted = [f'"{name}"' for name in names]
    if len(quoted) == 1:
        return f"({quoted[0]},)"
    return "(" + ", ".join(quoted) + ")"


def _merge_import_lines(lines: list[str]) -> list[str]:
    """Merge `from m import a` lines of the same module into one, names sorted."""
    merged: dict[str, list[str]] = {}
    order: list[str] = []
    for line in lines:
        if line.startswith("from ") and " import " in line and not line.endswith("*"):
            module, names = line[5:].split(" import ", 1)
            key = f"from {module}"
            if key not in merged:
                merged[key] = []
                order.append(key)
            merged[key].append(names)
        else:
            order.append(line)
    return [f"{key} import {', '.join(sorted(merged[key]))}" if key in merged else key for key in order]

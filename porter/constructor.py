"""Build the generated class's `__init__` from the runner's `__main__` and argparse flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst
import libcst.matchers as m

from porter.findings import Finding, Severity
from porter.flags import Flag
from porter.imports import ImportTable
from porter.options import PathRoles
from porter.rewrites.arguments import ArgumentsRewrite
from porter.rewrites.base import Change, Rewrite, code_of
from porter.rewrites.choices import ChoicesRewrite
from porter.rewrites.device import DeviceRewrite
from porter.rewrites.dtype import DtypeRewrite
from porter.rewrites.loading import LoadingRewrite
from porter.rewrites.prints import PrintsRewrite
from porter.roles import InferredRoles, infer_roles, loading_flags
from porter.runner import Runner
from porter.scopes import bound_names, referenced_names
from porter.slicing import slice_main

# Sampling settings come from specdec_bench's sampling_kwargs, not from engine arguments.
SAMPLING_PARAMETERS = ("temperature", "top_p", "top_k")
# Names the generated __init__ defines itself; a flag with one of these names is renamed.
CONSTRUCTOR_NAMES = ("self", "model_dir", "draft_model_dir", "max_concurrent_requests", "sampling_kwargs", "device", "kwargs")


@dataclass(frozen=True)
class KeywordParameter:
    name: str
    annotation: str | None
    default: str | None      # source of the default; None for a required argument
    origin: str              # "--max-steps" or "forward default"


@dataclass(frozen=True)
class SamplingParameter:
    name: str
    default: str


@dataclass(frozen=True)
class DraftPath:
    flag: str                # the runner flag it replaces, as written on the command line
    default: str | None      # the flag's default source, if it has a usable one


@dataclass
class ConstructorPlan:
    roles: InferredRoles
    model_flag: str
    draft: DraftPath | None
    keyword_parameters: list[KeywordParameter]
    sampling: list[SamplingParameter]
    statements: list[cst.BaseStatement]
    attributes: list[tuple[str, str]]       # (attribute, expression source), assigned in order
    free_names: list[str]                   # names the statements read that something must import
    uses_dtype_table: bool
    uses_named_object: bool
    changes: list[Change] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)


_PARSE_ARGS = m.SimpleStatementLine(
    body=[m.Assign(targets=[m.AssignTarget(m.Name())], value=m.Call(func=m.Attribute(attr=m.Name("parse_args"))))]
)


def _args_name(statements: Sequence[cst.BaseStatement]) -> str:
    for statement in statements:
        if m.matches(statement, _PARSE_ARGS):
            return statement.body[0].targets[0].target.value
    return "args"


def _dtype_function_name(imports: ImportTable) -> str | None:
    for binding in imports.bindings.values():
        if binding.module == "fastchat.utils" and binding.imported == "str_to_torch_dtype":
            return binding.local_name
    return None


class _EnvironmentReads(cst.CSTVisitor):
    def __init__(self) -> None:
        self.reads: list[tuple[str, cst.CSTNode]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node.func, m.Attribute(value=m.Attribute(value=m.Name("os"), attr=m.Name("environ")), attr=m.Name("get"))) or m.matches(
            node.func, m.Attribute(value=m.Name("os"), attr=m.Name("getenv"))
        ):
            if node.args and isinstance(node.args[0].value, cst.SimpleString):
                self.reads.append((node.args[0].value.evaluated_value, node))


def _expression(source_node: cst.BaseExpression, rewrites: Sequence[Rewrite]) -> cst.BaseExpression:
    for rewrite in rewrites:
        source_node = source_node.visit(rewrite)
    return source_node


def build_constructor(
    runner: Runner,
    imports: ImportTable,
    star_modules: Sequence[str],
    option_names: Sequence[str],
    main_globals: Sequence[str],
    uses_tokenizer: bool,
    roles_override: PathRoles | None,
) -> ConstructorPlan:
    main = runner.main_body[: runner.run_eval_index]
    args_name = _args_name(main)
    flags = runner.flags
    changes: list[Change] = []
    notes: list[Finding] = []

    # Which flags give model_dir and draft_model_dir.
    roles = infer_roles(loading_flags(main, args_name), roles_override)
    if roles.model_dir is None or roles.model_dir not in flags:
        raise runner.error(
            runner.run_eval, runner.main_guard, "from_pretrained(...)",
            "cannot tell which flag gives the target model's path "
            f"(flags passed to loading calls: {', '.join(roles.candidates) or 'none'})",
            "Set model_dir (and draft_model_dir) for this runner under [tool.specport.runners.<method>] "
            "in pyproject.toml, or pass --model-dir-flag",
        )

    main_locals = set()
    for statement in main:
        main_locals |= set(bound_names(statement))
    renames = {}
    for dest in flags:
        if dest == roles.model_dir:
            renames[dest] = "model_dir"
        elif dest == roles.draft_model_dir:
            renames[dest] = "draft_model_dir"
        elif dest in CONSTRUCTOR_NAMES or (dest in main_locals and dest != args_name):
            renames[dest] = f"{dest}_option"
        else:
            renames[dest] = dest

    dtype_name = _dtype_function_name(imports)
    rewrites: list[Rewrite] = [ChoicesRewrite(args_name, star_modules)]
    arguments = ArgumentsRewrite(args_name, renames)
    rewrites += [arguments, LoadingRewrite(), DeviceRewrite(None)]
    dtype = DtypeRewrite(dtype_name) if dtype_name else None
    if dtype is not None:
        rewrites.append(dtype)
    rewrites.append(PrintsRewrite())

    rewritten: list[cst.BaseStatement] = []
    for statement in main:
        for rewrite in rewrites:
            statement = statement.visit(rewrite)
            if isinstance(statement, cst.RemovalSentinel):
                break
        if not isinstance(statement, cst.RemovalSentinel):
            rewritten.append(statement)

    # What the class keeps: the model, the tokenizer if the forward still reads it, the forward's
    # options and the __main__ globals the forward reads.
    keywords = runner.run_eval_keywords()
    forward_kwargs = runner.forward_kwargs()
    unknown = [name for name in forward_kwargs if name not in option_names]
    if unknown:
        raise runner.error(
            runner.run_eval, runner.main_guard, f"run_eval(..., {unknown[0]}=...)",
            f"run_eval passes {unknown[0]!r}, which the forward function {runner.forward_name} does not take",
            "Pass only keyword arguments the forward declares",
        )
    attributes: list[tuple[str, cst.BaseExpression]] = [("model", _expression(keywords["model"], rewrites))]
    if uses_tokenizer:
        attributes.append(("tokenizer", _expression(keywords["tokenizer"], rewrites)))
    forward_defaults = {param.name.value: param.default for param in runner.option_parameters()}
    unpassed = [name for name in option_names if name not in forward_kwargs]
    for name in option_names:
        if name in forward_kwargs:
            attributes.append((name, _expression(forward_kwargs[name], rewrites)))
        else:
            attributes.append((name, cst.Name(name)))
    for name in main_globals:
        attributes.append((name, cst.Name(name)))

    needed = [name for _, expression in attributes for name in referenced_names(expression)]
    sliced = slice_main(rewritten, needed, imports)
    for rewrite in rewrites:
        changes.extend(rewrite.changes)

    _check_portable(runner, rewrites, sliced.statements, args_name)

    # Flags the kept code reads become keyword arguments, sampling flags read sampling_kwargs.
    attribute_names = {name for _, expression in attributes for name in referenced_names(expression)}
    used_variables = set(sliced.free_names) | attribute_names
    for statement in sliced.statements:
        used_variables |= set(referenced_names(statement))
    keyword_parameters: list[KeywordParameter] = []
    sampling: list[SamplingParameter] = []
    seen: set[str] = set()
    for dest, flag in flags.items():
        variable = renames[dest]
        if variable in ("model_dir", "draft_model_dir") or variable not in used_variables or variable in seen:
            continue
        seen.add(variable)
        default = code_of(flag.default) if flag.default is not None else ("None" if not flag.required else None)
        if dest in SAMPLING_PARAMETERS:
            sampling.append(SamplingParameter(variable, default or "None"))
        else:
            annotation = flag.python_type if default != "None" else f"{flag.python_type} | None"
            keyword_parameters.append(KeywordParameter(variable, annotation, default, flag.display))
    for name in unpassed:
        if name in seen:
            continue
        seen.add(name)
        default = forward_defaults.get(name)
        default_code = code_of(default) if default is not None else None
        if name in SAMPLING_PARAMETERS:
            sampling.append(SamplingParameter(name, default_code or "None"))
        else:
            keyword_parameters.append(KeywordParameter(name, None, default_code, "forward default"))

    draft = None
    if roles.draft_model_dir is not None and "draft_model_dir" in used_variables:
        flag = flags[roles.draft_model_dir]
        usable_default = flag.default is not None and code_of(flag.default) != "None"
        draft = DraftPath(flag.display, code_of(flag.default) if usable_default else None)

    environment = _EnvironmentReads()
    for statement in sliced.statements:
        statement.visit(environment)
    for variable, node in environment.reads:
        notes.append(Finding(
            Severity.NOTE, runner.path, None, f"os.environ.get({variable!r})",
            f"construction reads the environment variable {variable} (as the runner's __main__ does)",
            f"Set {variable} in the environment specdec_bench runs in",
        ))

    free = [name for name in sliced.free_names if name not in seen and name not in ("model_dir", "draft_model_dir")]
    free += [name for name in attribute_names if name not in free and name not in seen and name not in _bound(sliced.statements)]
    return ConstructorPlan(
        roles=roles,
        model_flag=flags[roles.model_dir].display,
        draft=draft,
        keyword_parameters=keyword_parameters,
        sampling=sampling,
        statements=sliced.statements,
        attributes=[(name, code_of(expression)) for name, expression in attributes],
        free_names=[name for name in free if name not in ("model_dir", "draft_model_dir")],
        uses_dtype_table=dtype is not None and dtype.used,
        uses_named_object=any(isinstance(rewrite, ChoicesRewrite) and rewrite.used for rewrite in rewrites),
        changes=changes,
        notes=notes,
    )


def _check_portable(runner: Runner, rewrites: Sequence[Rewrite], kept: Sequence[cst.BaseStatement], args_name: str) -> None:
    """Reject what the kept statements still contain that the port cannot express."""
    for rewrite in rewrites:
        if isinstance(rewrite, ChoicesRewrite) and rewrite.unportable:
            call = rewrite.unportable[0]
            if any(call in _calls(statement) for statement in kept):
                raise runner.error(
                    None, None, code_of(call),
                    "eval() of anything but a flag cannot be ported: generated code never calls eval",
                    "Pass the name of the object as a flag and eval(args.<flag>) it, or build the object directly",
                )
    for statement in kept:
        if args_name in referenced_names(statement):
            raise runner.error(
                None, None, code_of(statement).splitlines()[0],
                f"the statement reads {args_name}.<name> for a name that no add_argument call declares",
                "Declare the flag with parser.add_argument, or compute the value without argparse",
            )


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    return m.findall(node, m.Call())


def _bound(statements: Sequence[cst.BaseStatement]) -> set[str]:
    bound: set[str] = set()
    for statement in statements:
        bound |= set(bound_names(statement))
    return bound

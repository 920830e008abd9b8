"""Build the generated class's `__init__` from the runner's `__main__` and argparse flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from porter.findings import Finding, Severity
from porter.imports import ImportTable
from porter.options import PathRoles
from porter.rewrites.arguments import ArgumentsRewrite
from porter.rewrites.base import Change, code_of
from porter.rewrites.choices import ChoicesRewrite
from porter.rewrites.device import DeviceRewrite
from porter.rewrites.dtype import DtypeRewrite
from porter.rewrites.loading import LoadingRewrite
from porter.rewrites.pipeline import Pipeline
from porter.rewrites.prints import PrintsRewrite
from porter.roles import InferredRoles, infer_roles
from porter.runner import Runner
from porter.scopes import ScopeAnalysis
from porter.slicing import MainFacts, StatementFacts, slice_main

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


def _dtype_function_name(imports: ImportTable) -> str | None:
    for binding in imports.bindings.values():
        if binding.module == "fastchat.utils" and binding.imported == "str_to_torch_dtype":
            return binding.local_name
    return None


def literal_type(node: cst.BaseExpression | None) -> str | None:
    """Infer the annotation of a default written as a literal (`512` gives int), or return None."""
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return "str"
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return "bool"
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)):
        return literal_type(node.expression)
    return None


def _flag_renames(runner: Runner, roles: InferredRoles, main_locals: set[str]) -> dict[str, str]:
    """Map each flag to the variable it becomes in the generated __init__."""
    renames = {}
    for dest in runner.flags:
        if dest == roles.model_dir:
            renames[dest] = "model_dir"
        elif dest == roles.draft_model_dir:
            renames[dest] = "draft_model_dir"
        elif dest in CONSTRUCTOR_NAMES or dest in main_locals:
            renames[dest] = f"{dest}_option"
        else:
            renames[dest] = dest
    return renames


def build_constructor(
    runner: Runner,
    main: MainFacts,
    imports: ImportTable,
    star_modules: Sequence[str],
    option_names: Sequence[str],
    main_globals: Sequence[str],
    uses_tokenizer: bool,
    roles_override: PathRoles | None,
) -> ConstructorPlan:
    args_name = main.args_name
    facts = main.statements
    notes: list[Finding] = []

    # Which flags give model_dir and draft_model_dir.
    candidates = list(dict.fromkeys(flag for fact in facts for flag in fact.loading_path_flags))
    roles = infer_roles(candidates, roles_override)
    if roles.model_dir is None or roles.model_dir not in runner.flags:
        raise runner.error(
            runner.run_eval, runner.main_guard, "from_pretrained(...)",
            "cannot tell which flag gives the target model's path "
            f"(flags passed as paths to loading calls: {', '.join(candidates) or 'none'})",
            "Set model-dir (and draft-model-dir) under [tool.specport.runners.<method>] in pyproject.toml, "
            "or pass --model-dir-flag",
        )
    renames = _flag_renames(runner, roles, main.bound - {args_name})

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
    attributes: list[tuple[str, cst.BaseExpression]] = [("model", keywords["model"])]
    if uses_tokenizer:
        attributes.append(("tokenizer", keywords["tokenizer"]))
    attributes += [(name, forward_kwargs.get(name, cst.Name(name))) for name in option_names]
    attributes += [(name, cst.Name(name)) for name in main_globals]
    attribute_facts = [StatementFacts(expression, args_name) for _, expression in attributes]
    needed_names = set().union(*(fact.referenced for fact in attribute_facts))
    needed_flags = [flag for fact in attribute_facts for flag in fact.flag_reads]
    sliced = slice_main(facts, needed_names, needed_flags, imports)

    # Rewrite what is kept: flags become variables, models load on self.device, no fastchat.
    dtype_name = _dtype_function_name(imports)
    choices = ChoicesRewrite(args_name, star_modules)
    arguments = ArgumentsRewrite(args_name, renames)
    dtype = DtypeRewrite(dtype_name) if dtype_name else None
    pipeline = Pipeline(
        [choices, arguments, LoadingRewrite(), DeviceRewrite(None)]
        + ([dtype] if dtype else [])
        + [PrintsRewrite()]
    )
    kept: list[cst.BaseStatement] = []
    for statement in sliced.statements:
        rewritten = statement.visit(pipeline)
        if not isinstance(rewritten, cst.RemovalSentinel):
            kept.append(rewritten)
    rewritten_attributes = [(name, expression.visit(pipeline)) for name, expression in attributes]
    _check_portable(runner, choices, arguments)

    # Flags the kept code reads become keyword arguments; sampling flags read sampling_kwargs.
    flags_read = set(sliced.flags) | set(needed_flags)
    keyword_parameters: list[KeywordParameter] = []
    sampling: list[SamplingParameter] = []
    seen: set[str] = set()
    for dest, flag in runner.flags.items():
        variable = renames[dest]
        if dest not in flags_read or variable in ("model_dir", "draft_model_dir") or variable in seen:
            continue
        seen.add(variable)
        if flag.default is not None:
            default = code_of(flag.default)
        else:
            default = None if flag.required else "None"
        # `--top-k` of EAGLE-2 sizes the draft tree, so a sampling name counts as sampling only
        # when the forward itself takes it (temperature always does).
        if dest in SAMPLING_PARAMETERS and (dest == "temperature" or dest in option_names):
            sampling.append(SamplingParameter(variable, default or "None"))
        else:
            annotation = flag.python_type if default != "None" else f"{flag.python_type} | None"
            keyword_parameters.append(KeywordParameter(variable, annotation, default, flag.display))
    forward_defaults = {param.name.value: param.default for param in runner.option_parameters()}
    for name in option_names:
        if name in forward_kwargs or name in seen:
            continue
        seen.add(name)
        default = forward_defaults.get(name)
        default_code = code_of(default) if default is not None else None
        if name in SAMPLING_PARAMETERS:
            sampling.append(SamplingParameter(name, default_code or "None"))
        else:
            keyword_parameters.append(KeywordParameter(name, literal_type(default), default_code, "forward default"))

    draft = None
    if roles.draft_model_dir is not None and roles.draft_model_dir in flags_read:
        flag = runner.flags[roles.draft_model_dir]
        usable_default = flag.default is not None and code_of(flag.default) != "None"
        draft = DraftPath(flag.display, code_of(flag.default) if usable_default else None)

    for variable in dict.fromkeys(name for facts in sliced.kept for name in facts.environment_reads):
        notes.append(Finding(
                Severity.NOTE, runner.path, None, f"os.environ.get({variable!r})",
                f"construction reads the environment variable {variable}, as the runner's __main__ does",
                f"Set {variable} in the environment specdec_bench runs in",
            ))

    # Names read but bound nowhere in the constructor: imports must provide them.
    assignments = [
        cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], expression)])
        for name, expression in rewritten_attributes
    ]
    free = ScopeAnalysis(cst.Module(body=kept + assignments)).free_names()
    return ConstructorPlan(
        roles=roles,
        model_flag=runner.flags[roles.model_dir].display,
        draft=draft,
        keyword_parameters=keyword_parameters,
        sampling=sampling,
        statements=kept,
        attributes=[(name, code_of(expression)) for name, expression in rewritten_attributes],
        free_names=[name for name in free if name not in seen],
        uses_dtype_table=dtype is not None and dtype.used,
        uses_named_object=choices.used,
        changes=pipeline.changes,
        notes=notes,
    )


def _check_portable(runner: Runner, choices: ChoicesRewrite, arguments: ArgumentsRewrite) -> None:
    """Reject what the kept statements still contain that the port cannot express."""
    if choices.unportable:
        call = choices.unportable[0]
        raise runner.error(
            call, runner.main_guard, code_of(call),
            "eval() of anything but a flag cannot be ported, because generated code never calls eval",
            "Pass the name of the object as a flag and eval(args.<flag>) it, or build the object directly",
        )
    if arguments.unknown:
        node = arguments.unknown[0]
        raise runner.error(
            node, runner.main_guard, code_of(node),
            f"{code_of(node)} reads a flag that no add_argument call declares",
            "Declare the flag with parser.add_argument, or compute the value without argparse",
        )

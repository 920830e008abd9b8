"""Port the forward function into the `_forward` method of the generated class."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst
import libcst.matchers as m

from porter.delegation import HookChoice, choose_hook, find_decoding_calls
from porter.findings import Finding, Severity
from porter.imports import ImportTable, SourceReader
from porter.rewrites.base import Change, Rewrite
from porter.rewrites.device import DeviceRewrite
from porter.rewrites.end_id import END_ID, EndIdRewrite
from porter.rewrites.inputs import PROMPT_ATTENTION_MASK, PROMPT_INPUT_IDS, InputsRewrite, leftover_inputs
from porter.rewrites.self_references import SelfReferencesRewrite, local_copies
from porter.rewrites.timing import (
    STEP_CLOCK,
    TIMING,
    DelegatedTimingRewrite,
    HookKind,
    InlineTimingRewrite,
    ReturnTimingRewrite,
    clock_statement,
    find_step_loop,
    insert_before_returns,
    start_statement,
    step_ends_statement,
)
from porter.runner import Runner
from porter.scopes import all_bound_names, bound_names, declared_outer_names, free_names, referenced_names

METHOD_NAME = "_forward"
# Names the port adds to the forward; a forward that already uses one cannot be ported as is.
RESERVED_NAMES = ("self", END_ID, PROMPT_INPUT_IDS, PROMPT_ATTENTION_MASK, TIMING, STEP_CLOCK)


@dataclass
class ForwardContext:
    imports: ImportTable
    read_source: SourceReader
    main_bound: set[str]                 # names `__main__` binds
    model_class: str | None              # class the runner's model is built from
    instance_patches: dict[str, str]     # method name -> function `__main__` binds onto the model


@dataclass
class PortedForward:
    function: cst.FunctionDef
    uses_attention_mask: bool
    uses_tokenizer: bool
    option_names: list[str]
    main_globals: list[str]
    cached_attributes: list[str]
    hook: HookChoice | None              # None for an inline loop
    accept_name: str
    changes: list[Change] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)


class _Yields(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return not self.nodes and node is self.root

    def visit_Yield(self, node: cst.Yield) -> None:
        self.nodes.append(node)


def _yields(function: cst.FunctionDef) -> list[cst.CSTNode]:
    visitor = _Yields()
    visitor.root = function
    function.visit(visitor)
    return visitor.nodes


def _top_level_returns(function: cst.FunctionDef) -> list[cst.Return]:
    returns: list[cst.Return] = []

    class _Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            returns.append(node)

    function.visit(_Returns())
    return returns


class _CachedAttributes(cst.CSTVisitor):
    """`model.<name> = ...` in the forward: state it leaves on the model between requests."""

    def __init__(self, model_name: str):
        self.model_name = model_name
        self.names: dict[str, None] = {}

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if m.matches(node.target, m.Attribute(value=m.Name(self.model_name))):
            self.names.setdefault(node.target.attr.value, None)


def _validate(runner: Runner) -> tuple[dict[str, str], str]:
    """Check that the forward has a shape the port handles; return its roles and accept-list name."""
    forward = runner.forward
    statement = forward
    params = forward.params
    roles = runner.role_names()
    if len(roles) < 4:
        raise runner.error(
            forward, statement, f"def {runner.forward_name}(...)",
            "the forward function takes fewer than the four positional parameters "
            "(inputs, model, tokenizer, max_new_tokens) that run_eval passes",
            "Give the forward the signature run_eval calls it with",
        )
    if not isinstance(params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None:
        raise runner.error(
            forward, statement, f"def {runner.forward_name}(..., *args/**kwargs)",
            "the forward function takes *args or **kwargs, so its options cannot become constructor arguments",
            "Name every option the forward reads as its own parameter with a default",
        )
    outer = declared_outer_names(forward)
    if outer:
        raise runner.error(
            forward, statement, f"global {', '.join(outer)}",
            "the forward function assigns module globals, which a model class cannot reproduce per instance",
            "Keep the state in a variable that __main__ passes to run_eval, or on the model",
        )
    yields = _yields(forward)
    if yields:
        raise runner.error(
            yields[0], statement, "yield",
            "the forward function is a generator; run_eval expects it to return its results",
            "Return (output_ids, new_token, steps, accept_length_list) from the forward",
        )
    reserved = sorted(set(RESERVED_NAMES) & all_bound_names(forward))
    if reserved:
        raise runner.error(
            forward, statement, reserved[0],
            f"the forward function already uses the name {reserved[0]!r}, which the port needs for itself",
            "Rename that variable in the runner",
        )

    returns = _top_level_returns(forward)
    accept_names = set()
    for returned in returns:
        value = returned.value
        if not isinstance(value, cst.Tuple) or len(value.elements) != 4 or not isinstance(value.elements[3].value, cst.Name):
            raise runner.error(
                returned, statement, "return ...",
                "the forward function must return (output_ids, new_token, steps, accept_length_list) "
                "with the accept-length list as a variable",
                "Return the four values run_eval expects",
            )
        accept_names.add(value.elements[3].value.value)
    if len(accept_names) != 1:
        raise runner.error(
            forward, statement, "return ...",
            "the forward function has no return, or returns different accept-length lists",
            "Return (output_ids, new_token, steps, accept_length_list) from one list variable",
        )
    return roles, accept_names.pop()


def _docstring_count(body: Sequence[cst.BaseStatement]) -> int:
    if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(m.SimpleString() | m.ConcatenatedString())])):
        return 1
    return 0


def port_forward(runner: Runner, context: ForwardContext) -> PortedForward:
    roles, accept_name = _validate(runner)
    inputs_name, model_name = roles["inputs"], roles["model"]
    tokenizer_name, max_new_tokens_name = roles["tokenizer"], roles["max_new_tokens"]
    option_names = [param.name.value for param in runner.option_parameters()]
    forward = runner.forward
    changes: list[Change] = []
    notes: list[Finding] = []

    def run(rewrite: Rewrite, node: cst.CSTNode) -> cst.CSTNode:
        result = node.visit(rewrite)
        changes.extend(rewrite.changes)
        return result

    body: cst.IndentedBlock = forward.body

    # 1. The harness's inputs become the prompt tensors run() builds.
    inputs_rewrite = InputsRewrite(inputs_name)
    body = run(inputs_rewrite, body)
    leftovers = leftover_inputs(body, inputs_name)
    if leftovers:
        raise runner.error(
            forward, forward, f"{inputs_name} (used as a whole)",
            f"the forward uses {inputs_name!r} other than through input_ids, attention_mask or **{inputs_name}",
            f"Read {inputs_name}.input_ids and {inputs_name}.attention_mask explicitly",
        )

    # 2. EOS comes from run()'s end_id; 3. devices from the port's own device.
    body = run(EndIdRewrite(tokenizer_name), body)
    body = run(DeviceRewrite(model_name), body)

    # 4. Per-step timing, inside the loop or through a hook of the library call that decodes.
    hook = None
    step_loop = find_step_loop(body, accept_name)
    if step_loop is not None:
        body = run(InlineTimingRewrite(step_loop), body)
        prelude = [start_statement()]
    else:
        calls = find_decoding_calls(body.body, model_name)
        if len(calls) != 1:
            raise runner.error(
                forward, forward, f"{accept_name}.append(...)",
                "cannot find the decoding steps: no loop appends to the accept-length list, and "
                f"{'no' if not calls else 'more than one'} assignment calls a method of {model_name!r}",
                "Keep the decoding loop in the forward, or call one library method that decodes",
            )
        call = calls[0]
        hook = choose_hook(
            call, context.model_class, context.instance_patches.get(call.method), context.imports, context.read_source
        )
        body = run(DelegatedTimingRewrite(call.statement, call.call, hook.kind, model_name, accept_name), body)
        body = body.with_changes(body=insert_before_returns(body.body, step_ends_statement(accept_name)))
        prelude = [start_statement(), clock_statement()]
        if not hook.resolved:
            notes.append(runner.finding(
                Severity.NOTE, call.call, forward, f"{model_name}.{call.method}(...)",
                f"could not read the source of {hook.implementation}; step times come from a forward "
                "pre-hook on the target model, which assumes one forward pass per decoding step",
                "Check token_times with `specport verify`",
            ))
    body = run(ReturnTimingRewrite(), cst.FunctionDef(name=cst.Name("f"), params=cst.Parameters(), body=body)).body

    # 5. What the forward received becomes state of the class.
    copied = [name for name in option_names if name in bound_names(forward.body)]
    main_globals = [name for name in free_names(forward) if name in context.main_bound]
    uses_tokenizer = tokenizer_name in referenced_names(body)
    to_self = [model_name] + ([tokenizer_name] if uses_tokenizer else [])
    to_self += [name for name in option_names if name not in copied] + main_globals
    body = run(SelfReferencesRewrite(to_self), body)

    cached = _CachedAttributes(model_name)
    forward.visit(cached)

    docstring_count = _docstring_count(body.body)
    statements = list(body.body)
    statements[docstring_count:docstring_count] = prelude + local_copies(copied)
    if not docstring_count:
        statements.insert(0, cst.SimpleStatementLine([cst.Expr(cst.SimpleString(
            f'"""Port of `{runner.forward_name}`: the same decoding, plus one timestamp per step."""'
        ))]))

    parameters = [cst.Param(cst.Name("self")), cst.Param(cst.Name(PROMPT_INPUT_IDS))]
    if inputs_rewrite.uses_attention_mask:
        parameters.append(cst.Param(cst.Name(PROMPT_ATTENTION_MASK)))
    parameters += [cst.Param(cst.Name(max_new_tokens_name)), cst.Param(cst.Name(END_ID))]
    function = forward.with_changes(
        name=cst.Name(METHOD_NAME),
        params=cst.Parameters(params=parameters),
        body=body.with_changes(body=statements),
        returns=None,
        leading_lines=(),
    )
    return PortedForward(
        function=function,
        uses_attention_mask=inputs_rewrite.uses_attention_mask,
        uses_tokenizer=uses_tokenizer,
        option_names=option_names,
        main_globals=main_globals,
        cached_attributes=list(cached.names),
        hook=hook,
        accept_name=accept_name,
        changes=changes,
        notes=notes,
    )

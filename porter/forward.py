"""Port the forward function into the `_forward` method of the generated class.

The forward is read in one pass (scopes and the facts below) and rewritten in one pass (every
forward rewrite in a Pipeline), because each pass over a function costs about as much as
parsing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from porter.delegation import HookChoice, choose_hook, find_decoding_calls
from porter.findings import Finding, Severity
from porter.imports import ImportTable, SourceReader
from porter.rewrites.base import Change
from porter.rewrites.device import DeviceRewrite
from porter.rewrites.end_id import END_ID, EndIdRewrite
from porter.rewrites.inputs import PROMPT_ATTENTION_MASK, PROMPT_INPUT_IDS, InputsRewrite, INPUT_FIELDS
from porter.rewrites.pipeline import Pipeline
from porter.rewrites.self_references import SelfReferencesRewrite, local_copies, references_to_rename
from porter.rewrites.timing import (
    STEP_CLOCK,
    TIMING,
    DelegatedTimingRewrite,
    InlineTimingRewrite,
    ReturnTimingRewrite,
    StepLoop,
    clock_statement,
    insert_before_returns,
    is_append_to,
    start_statement,
    step_ends_statement,
)
from porter.runner import Runner
from porter.scopes import ScopeAnalysis
from porter.shapes import expression_statement, is_attribute, is_name

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
    free_names: list[str]                # names the ported method reads from the module
    changes: list[Change] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)


class ForwardFacts(ScopeAnalysis):
    """Scopes of the forward, plus what the port needs to know about its body."""

    def __init__(self, forward: cst.FunctionDef, roles: dict[str, str]):
        self.inputs_name = roles.get("inputs")
        self.model_name = roles.get("model")
        self.tokenizer_name = roles.get("tokenizer")
        self.yields: list[cst.CSTNode] = []
        self.returns: list[cst.Return] = []
        self.cached_attributes: dict[str, None] = {}
        self.appends: list[tuple[cst.For | cst.While, int, str]] = []
        self.handled_inputs: set[int] = set()     # `inputs` Names inside inputs.input_ids and the like
        self.eos_reads: set[int] = set()          # `tokenizer` Names inside tokenizer.eos_token_id
        super().__init__(forward)

    def _at_root(self) -> bool:
        return self.scope is self.root_scope

    def visit_Parameters(self, node: cst.Parameters) -> bool:
        # The port replaces the forward's parameter list, so names read only in its annotations
        # and defaults are not needed. The parameters are still bindings of the forward.
        if node is not self.root_scope.node.params:
            return True
        for param in [*node.posonly_params, *node.params, *node.kwonly_params]:
            self._bind([param.name.value], parameter=True)
        return False

    def visit_Yield(self, node: cst.Yield) -> None:
        if self._at_root():
            self.yields.append(node)

    def visit_Return(self, node: cst.Return) -> None:
        if self._at_root():
            self.returns.append(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        super().visit_AssignTarget(node)
        if is_attribute(node.target, self.model_name):
            self.cached_attributes.setdefault(node.target.attr.value, None)

    def _record_appends(self, node: cst.For | cst.While) -> None:
        if not self._at_root():
            return
        for index, statement in enumerate(node.body.body):
            name = is_append_to(statement)
            if name is not None:
                self.appends.append((node, index, name))

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self._record_appends(node)

    def visit_While(self, node: cst.While) -> None:
        self._record_appends(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        super().visit_Attribute(node)
        if isinstance(node.value, cst.Name):
            if node.value.value == self.inputs_name and node.attr.value in INPUT_FIELDS:
                self.handled_inputs.add(id(node.value))
            if node.value.value == self.tokenizer_name and node.attr.value == "eos_token_id":
                self.eos_reads.add(id(node.value))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if is_name(node.value, self.inputs_name):
            self.handled_inputs.add(id(node.value))

    def visit_Arg(self, node: cst.Arg) -> None:
        super().visit_Arg(node)
        if node.star == "**" and is_name(node.value, self.inputs_name):
            self.handled_inputs.add(id(node.value))

    def references_of(self, name: str) -> list[int]:
        return sorted(self.references_to([name], bound_in_root=True))


def _validate(runner: Runner, facts: ForwardFacts, roles: dict[str, str]) -> str:
    """Check that the forward has a shape the port handles; return the accept-length list's name."""
    forward = runner.forward
    params = forward.params
    if len(roles) < 4:
        raise runner.error(
            forward, forward, f"def {runner.forward_name}(...)",
            "the forward function takes fewer than the four positional parameters "
            "(inputs, model, tokenizer, max_new_tokens) that run_eval passes",
            "Give the forward the signature run_eval calls it with",
        )
    if not isinstance(params.star_arg, cst.MaybeSentinel) or params.star_kwarg is not None:
        raise runner.error(
            forward, forward, f"def {runner.forward_name}(..., *args/**kwargs)",
            "the forward function takes *args or **kwargs, so its options cannot become constructor arguments",
            "Name every option the forward reads as its own parameter with a default",
        )
    if facts.outer_declarations:
        declaration = facts.outer_declarations[0]
        keyword = "global" if isinstance(declaration, cst.Global) else "nonlocal"
        names = ", ".join(item.name.value for item in declaration.names)
        raise runner.error(
            declaration, forward, f"{keyword} {names}",
            "the forward function assigns module globals, which a model class cannot reproduce per instance",
            "Keep the state in a variable that __main__ passes to run_eval, or on the model",
        )
    if facts.yields:
        raise runner.error(
            facts.yields[0], forward, "yield",
            "the forward function is a generator; run_eval expects it to return its results",
            "Return (output_ids, new_token, steps, accept_length_list) from the forward",
        )
    reserved = sorted(set(RESERVED_NAMES) & (facts.all_bound_names() | set(facts.referenced_names())))
    if reserved:
        raise runner.error(
            forward, forward, reserved[0],
            f"the forward function already uses the name {reserved[0]!r}, which the port needs for itself",
            "Rename that variable in the runner",
        )

    accept_names = set()
    for returned in facts.returns:
        value = returned.value
        if not (isinstance(value, cst.Tuple) and len(value.elements) == 4 and isinstance(value.elements[3].value, cst.Name)):
            raise runner.error(
                returned, forward, "return ...",
                "the forward function must return (output_ids, new_token, steps, accept_length_list) "
                "with the accept-length list as a variable",
                "Return the four values run_eval expects",
            )
        accept_names.add(value.elements[3].value.value)
    if len(accept_names) != 1:
        raise runner.error(
            forward, forward, "return ...",
            "the forward function has no return, or returns different accept-length lists",
            "Return (output_ids, new_token, steps, accept_length_list) from one list variable",
        )
    return accept_names.pop()


def _has_docstring(body: Sequence[cst.BaseStatement]) -> bool:
    return bool(body) and isinstance(expression_statement(body[0]), (cst.SimpleString, cst.ConcatenatedString))


def port_forward(runner: Runner, context: ForwardContext) -> PortedForward:
    forward = runner.forward
    roles = runner.role_names()
    facts = ForwardFacts(forward, roles)
    accept_name = _validate(runner, facts, roles)
    inputs_name, model_name = roles["inputs"], roles["model"]
    tokenizer_name, max_new_tokens_name = roles["tokenizer"], roles["max_new_tokens"]
    option_names = [param.name.value for param in runner.option_parameters()]
    notes: list[Finding] = []

    leftovers = [node_id for node_id in facts.references_of(inputs_name) if node_id not in facts.handled_inputs]
    if leftovers:
        raise runner.error(
            forward, forward, f"{inputs_name} (used as a whole)",
            f"the forward uses {inputs_name!r} other than through input_ids, attention_mask or **{inputs_name}",
            f"Read {inputs_name}.input_ids and {inputs_name}.attention_mask explicitly",
        )

    # Timing: inside the loop that appends to the accept-length list, else through a hook of the
    # one library call that decodes.
    inputs = InputsRewrite(inputs_name)
    rewrites = [inputs, EndIdRewrite(tokenizer_name), DeviceRewrite(model_name)]
    step_loops = [(loop, index) for loop, index, name in facts.appends if name == accept_name]
    hook = None
    if step_loops:
        loop, index = step_loops[0]
        rewrites.append(InlineTimingRewrite(StepLoop(loop, index)))
        prelude = [start_statement()]
    else:
        calls = find_decoding_calls(forward.body.body, model_name)
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
        rewrites.append(DelegatedTimingRewrite(call.statement, call.call, hook.kind, model_name, accept_name))
        prelude = [start_statement(), clock_statement()]
        if not hook.resolved:
            notes.append(runner.finding(
                Severity.NOTE, call.call, forward, f"{model_name}.{call.method}(...)",
                f"could not read the source of {hook.implementation}; step times come from a forward "
                "pre-hook on the target model, which assumes one forward pass per decoding step",
                "Check token_times with `specport verify`",
            ))
    rewrites.append(ReturnTimingRewrite())

    # What the forward received becomes state of the class; an option it assigns to is copied.
    assigned = facts.assigned_names()
    copied = [name for name in option_names if name in assigned]
    main_globals = [name for name in facts.free_names() if name in context.main_bound]
    uses_tokenizer = any(node_id not in facts.eos_reads for node_id in facts.references_of(tokenizer_name))
    parameters_to_self = [model_name] + ([tokenizer_name] if uses_tokenizer else [])
    parameters_to_self += [name for name in option_names if name not in copied]
    rewrites.append(SelfReferencesRewrite(references_to_rename(facts, parameters_to_self, main_globals)))

    pipeline = Pipeline(rewrites)
    rewritten = forward.visit(pipeline)

    # Statements the port adds around the body, recorded for `specport diff` like the rewrites.
    added: list[Change] = []
    statements = list(rewritten.body.body)
    if hook is not None:
        step_ends = step_ends_statement(accept_name)
        statements = insert_before_returns(statements, step_ends)
        added.append(Change("timing", "(before each return)", step_ends))
    docstring = 1 if _has_docstring(statements) else 0
    copies = local_copies(copied)
    statements[docstring:docstring] = prelude + copies
    added += [Change("timing", "(start of the forward)", statement) for statement in prelude]
    added += [Change("self", "(start of the forward)", statement) for statement in copies]
    if not docstring:
        text = f'"""Port of `{runner.forward_name}`: the same decoding, plus one timestamp per step."""'
        statements.insert(0, cst.SimpleStatementLine([cst.Expr(cst.SimpleString(text))]))
        added.append(Change("docstring", "(none)", text))

    parameters = [cst.Param(cst.Name("self")), cst.Param(cst.Name(PROMPT_INPUT_IDS))]
    if inputs.uses_attention_mask:
        parameters.append(cst.Param(cst.Name(PROMPT_ATTENTION_MASK)))
    parameters += [cst.Param(cst.Name(max_new_tokens_name)), cst.Param(cst.Name(END_ID))]
    signature = cst.Parameters(params=parameters)
    added.append(Change("signature", f"def {runner.forward_name}(", f"def {METHOD_NAME}(self,"))
    function = rewritten.with_changes(
        name=cst.Name(METHOD_NAME),
        params=signature,
        body=rewritten.body.with_changes(body=statements),
        returns=None,
        leading_lines=(),
    )

    # Module-level names the method reads: the forward's free names, minus what became state.
    renamed = set(parameters_to_self) | set(main_globals)
    free = [name for name in facts.free_names() if name not in renamed and name not in main_globals]
    return PortedForward(
        function=function,
        uses_attention_mask=inputs.uses_attention_mask,
        uses_tokenizer=uses_tokenizer,
        option_names=option_names,
        main_globals=main_globals,
        cached_attributes=list(facts.cached_attributes),
        hook=hook,
        accept_name=accept_name,
        free_names=free,
        changes=pipeline.changes + added,
        notes=notes,
    )

"""Timing: per-step timestamps for specdec_bench's `token_times`.

Inline loop (the forward runs the decoding loop itself):

    accept_length_list.append(n)          accept_length_list.append(n)
    if eos in ...: break            ->    timing.append(synchronized_perf_counter(self.device))
                                          if eos in ...: break

Delegated loop (a library call decodes; a hook the library calls each step records the times):

    out = model.generate(ids, ...)  ->    out = model.generate(ids, ..., streamer=step_clock)
    out = model.eagenerate(ids)     ->    with step_clock.watch_forward(model):
                                              out = model.eagenerate(ids)

Either way the forward starts with `timing = [synchronized_perf_counter(self.device)]` and every
`return a, b, c, accept_lengths` becomes `return a, b, c, accept_lengths, timing`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from porter.rewrites.base import Rewrite, self_attribute
from porter.shapes import called_method, expression_statement, is_name, name_of, sole_small_statement
from porter.walk import Walker

TIMING = "timing"
STEP_CLOCK = "step_clock"
CLOCK_FUNCTION = "synchronized_perf_counter"


class HookKind(enum.Enum):
    STREAMER = "streamer"            # the library calls streamer.put() once per step
    FORWARD_HOOK = "forward_hook"    # a forward pre-hook on the target model marks each step


def _now() -> cst.Call:
    return _call(cst.Name(CLOCK_FUNCTION), self_attribute("device"))


def _call(function: cst.BaseExpression, *arguments: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=function, args=[cst.Arg(argument) for argument in arguments])


def _method(owner: str, method: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(owner), attr=cst.Name(method))


def start_statement() -> cst.SimpleStatementLine:
    """`timing = [synchronized_perf_counter(self.device)]`."""
    return cst.SimpleStatementLine(
        [cst.Assign(targets=[cst.AssignTarget(cst.Name(TIMING))], value=cst.List([cst.Element(_now())]))]
    )


def step_statement() -> cst.SimpleStatementLine:
    """`timing.append(synchronized_perf_counter(self.device))`."""
    return cst.SimpleStatementLine([cst.Expr(_call(_method(TIMING, "append"), _now()))])


def is_append_to(statement: cst.CSTNode) -> str | None:
    """Name the list that a `<name>.append(...)` statement appends to, or return None for other statements."""
    call = expression_statement(statement)
    if called_method(call) == "append":
        return name_of(call.func.value)
    return None


class _BreakFinder(Walker):
    """Does a statement contain a `break` of the enclosing loop (not of a nested one)?"""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True


def _contains_break(statement: cst.CSTNode) -> bool:
    finder = _BreakFinder()
    finder.walk(statement)
    return finder.found


def step_insertion_index(loop_body: Sequence[cst.BaseStatement], append_index: int) -> int:
    """Find where the per-step timestamp goes: before the first exit check after the accept-length append.

    The step's tokens are known once the accept length is appended. Statements between the append
    and the first `break` still belong to the step, because some runners extend the output there.
    """
    for index in range(append_index + 1, len(loop_body)):
        if _contains_break(loop_body[index]):
            return index
    return len(loop_body)


@dataclass
class StepLoop:
    loop: cst.For | cst.While
    append_index: int


class InlineTimingRewrite(Rewrite):
    """Insert the per-step timestamp into the decoding loop."""

    name = "timing"

    def __init__(self, step_loop: StepLoop):
        super().__init__()
        self.step_loop = step_loop

    def _leave_loop(self, original_node, updated_node):
        if original_node is not self.step_loop.loop:
            return updated_node
        body = list(updated_node.body.body)
        index = step_insertion_index(body, self.step_loop.append_index)
        body.insert(index, step_statement())
        anchor = "end of the loop body" if index == len(body) - 1 else "before the step's exit checks"
        self.record(f"(decoding step, {anchor})", "timing.append(synchronized_perf_counter(self.device))")
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def leave_For(self, original_node, updated_node):
        return self._leave_loop(original_node, updated_node)

    def leave_While(self, original_node, updated_node):
        return self._leave_loop(original_node, updated_node)


class DelegatedTimingRewrite(Rewrite):
    """Hook the library call that runs the decoding loop, and add the step times before returning."""

    name = "timing"

    def __init__(self, call_statement: cst.BaseStatement, call: cst.Call, kind: HookKind, model_name: str, accept_name: str):
        super().__init__()
        self.call_statement = call_statement
        self.call = call
        self.kind = kind
        self.model_name = model_name
        self.accept_name = accept_name

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if original_node is not self.call or self.kind is not HookKind.STREAMER:
            return updated_node
        arguments = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in updated_node.args]
        arguments.append(
            cst.Arg(
                keyword=cst.Name("streamer"),
                value=cst.Name(STEP_CLOCK),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
        )
        self.record("(library call)", "streamer=step_clock")
        return updated_node.with_changes(args=arguments)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if original_node is not self.call_statement or self.kind is not HookKind.FORWARD_HOOK:
            return updated_node
        self.record("(library call)", f"with step_clock.watch_forward(self.{self.model_name}):")
        return cst.With(
            items=[cst.WithItem(_call(_method(STEP_CLOCK, "watch_forward"), self_attribute(self.model_name)))],
            body=cst.IndentedBlock(body=[updated_node.with_changes(leading_lines=())]),
            leading_lines=updated_node.leading_lines,
        )


def clock_statement() -> cst.SimpleStatementLine:
    """`step_clock = StepClock(self.device)`."""
    clock = _call(cst.Name("StepClock"), self_attribute("device"))
    return cst.SimpleStatementLine([cst.Assign(targets=[cst.AssignTarget(cst.Name(STEP_CLOCK))], value=clock)])


def step_ends_statement(accept_name: str) -> cst.SimpleStatementLine:
    """`timing += step_clock.step_ends(len(accept_length_list))`."""
    step_ends = _call(_method(STEP_CLOCK, "step_ends"), _call(cst.Name("len"), cst.Name(accept_name)))
    return cst.SimpleStatementLine([cst.AugAssign(target=cst.Name(TIMING), operator=cst.AddAssign(), value=step_ends)])


class ReturnTimingRewrite(Rewrite):
    """`return a, b, c, d` -> `return a, b, c, d, timing` at the forward's own level."""

    name = "timing"

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.depth += 1

    def leave_Lambda(self, original_node, updated_node):
        self.depth -= 1
        return updated_node

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return) -> cst.Return:
        # depth 1 is the forward itself; deeper returns belong to nested functions.
        if self.depth != 1 or not isinstance(updated_node.value, cst.Tuple):
            return updated_node
        elements = [element.with_changes(comma=cst.MaybeSentinel.DEFAULT) for element in updated_node.value.elements]
        elements.append(cst.Element(cst.Name(TIMING)))
        # A multi-line return puts `timing,` on a line of its own, which a hunk may show alone.
        self.record("(return values)", "return ..., timing", evidence=(", timing", "timing,"))
        return updated_node.with_changes(value=updated_node.value.with_changes(elements=elements))


def insert_before_returns(body: Sequence[cst.BaseStatement], statement: cst.BaseStatement) -> list[cst.BaseStatement]:
    """Insert `statement` before each top-level `return` of a function body."""
    result: list[cst.BaseStatement] = []
    for existing in body:
        if isinstance(sole_small_statement(existing), cst.Return):
            result.append(statement)
        result.append(existing)
    return result

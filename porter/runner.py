"""Read a Spec-Bench runner: its forward function, its `__main__` block and the `run_eval` call.

The forward function is found through `run_eval(forward_func=...)`, not by its name: several
runners name theirs `ea_forward`, and one file defines a second forward that it never uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from porter.findings import Finding, PortError, Severity
from porter.flags import Flag, collect_flags
from porter.lines import LineIndex
from porter.shapes import called_name, expression_statement, is_name, string_value
from porter.walk import find_all

# The parameters of Spec-Bench's `evaluation.eval.run_eval`. Every other keyword argument of a
# `run_eval(...)` call is passed on to the forward function.
RUN_EVAL_PARAMETERS = (
    "model",
    "tokenizer",
    "forward_func",
    "model_id",
    "question_file",
    "question_begin",
    "question_end",
    "answer_file",
    "max_new_tokens",
    "num_choices",
    "num_gpus_per_model",
    "num_gpus_total",
)

# The harness calls `forward_func(inputs, model, tokenizer, max_new_tokens, **kwargs)`.
FORWARD_POSITIONAL_ROLES = ("inputs", "model", "tokenizer", "max_new_tokens")



@dataclass
class Runner:
    """The parts of one runner file that the converter reads."""

    path: str
    source: str
    module: cst.Module
    forward: cst.FunctionDef
    main_guard: cst.If
    main_body: list[cst.BaseStatement]
    run_eval: cst.Call
    run_eval_index: int
    flags: dict[str, Flag]
    lines: LineIndex = field(repr=False)

    @property
    def forward_name(self) -> str:
        return self.forward.name.value

    def run_eval_keywords(self) -> dict[str, cst.BaseExpression]:
        return {
            argument.keyword.value: argument.value
            for argument in self.run_eval.args
            if argument.keyword is not None
        }

    def forward_kwargs(self) -> dict[str, cst.BaseExpression]:
        """The keyword arguments `run_eval` passes on to the forward function."""
        return {
            name: value
            for name, value in self.run_eval_keywords().items()
            if name not in RUN_EVAL_PARAMETERS
        }

    def role_names(self) -> dict[str, str]:
        """Map each positional role (inputs, model, tokenizer, max_new_tokens) to its parameter name."""
        positional = list(self.forward.params.posonly_params) + list(self.forward.params.params)
        return {role: param.name.value for role, param in zip(FORWARD_POSITIONAL_ROLES, positional)}

    def option_parameters(self) -> list[cst.Param]:
        """Forward parameters after the four positional roles."""
        positional = list(self.forward.params.posonly_params) + list(self.forward.params.params)
        return positional[len(FORWARD_POSITIONAL_ROLES):] + list(self.forward.params.kwonly_params)

    def finding(
        self,
        severity: Severity,
        node: cst.CSTNode | None,
        statement: cst.CSTNode | None,
        construct: str,
        message: str,
        suggestion: str = "",
    ) -> Finding:
        line = None
        if node is not None and statement is not None:
            line = self.lines.line_of(node, statement)
        return Finding(severity, self.path, line, construct, message, suggestion)

    def error(self, node, statement, construct: str, message: str, suggestion: str = "") -> PortError:
        return PortError(self.finding(Severity.ERROR, node, statement, construct, message, suggestion))

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


def _not_a_runner(path: str, construct: str, message: str, line: int | None = 1) -> PortError:
    return PortError(
        Finding(
            Severity.ERROR,
            path,
            line,
            construct,
            f"not a Spec-Bench runner: {message}",
            "Pass an evaluation/inference_<method>.py file whose __main__ calls "
            "run_eval(..., forward_func=<forward>, ...)",
        )
    )


def parse_source(source: str, path: str) -> cst.Module:
    """Parse runner source, turning a syntax error into a PortError with its line."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # CPython's own message and line are clearer than the parser's list of expected tokens
        # (and libcst 1.9's line numbers for these errors are one too high).
        line, message = error.raw_line, error.message
        try:
            compile(source, path, "exec", dont_inherit=True)
        except SyntaxError as python_error:
            line, message = python_error.lineno or line, python_error.msg
        raise PortError(
            Finding(
                Severity.ERROR,
                path,
                line,
                "syntax",
                f"invalid Python syntax: {message}",
                "Fix the syntax error (the runner must run under Python 3) and convert again",
            )
        ) from None


def _is_main_guard(statement: cst.CSTNode) -> bool:
    """`if __name__ == "__main__":`."""
    if not isinstance(statement, cst.If) or not isinstance(statement.test, cst.Comparison):
        return False
    test = statement.test
    return (
        is_name(test.left, "__name__")
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
        and string_value(test.comparisons[0].comparator) == "__main__"
    )


def _find_main_guard(module: cst.Module) -> cst.If | None:
    for statement in module.body:
        if _is_main_guard(statement):
            return statement
    return None


def _find_run_eval(body: list[cst.BaseStatement]) -> tuple[int, cst.Call] | None:
    # Runners call run_eval as a statement of its own. Searching inside every statement of
    # __main__ is only the fallback, because it costs as much as parsing the file.
    for index, statement in enumerate(body):
        if called_name(expression_statement(statement)) == "run_eval":
            return index, expression_statement(statement)
    for index, statement in enumerate(body):
        calls = find_all(statement, cst.Call, lambda call: called_name(call) == "run_eval")
        if calls:
            return index, calls[0]
    return None


def _find_function(module: cst.Module, name: str) -> cst.FunctionDef | None:
    # The last top-level definition wins, as it does when Python runs the module.
    found = None
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            found = statement
    return found


def read_runner(source: str, path: str) -> Runner:
    """Parse a runner and locate its forward function, `__main__` block and `run_eval` call."""
    module = parse_source(source, path)
    lines = LineIndex(module)

    main_guard = _find_main_guard(module)
    if main_guard is None:
        raise _not_a_runner(path, "if __name__ == '__main__'", "it has no __main__ block")
    main_body = list(main_guard.body.body)

    found = _find_run_eval(main_body)
    if found is None:
        raise _not_a_runner(
            path, "run_eval(...)", "its __main__ block never calls run_eval", lines.line_of(main_guard, main_guard)
        )
    run_eval_index, run_eval = found

    forward_argument = next(
        (arg for arg in run_eval.args if arg.keyword is not None and arg.keyword.value == "forward_func"),
        None,
    )
    if forward_argument is None:
        raise _not_a_runner(path, "run_eval(...)", "run_eval is called without forward_func=")
    if not isinstance(forward_argument.value, cst.Name):
        line = lines.line_of(forward_argument, main_guard)
        raise PortError(
            Finding(
                Severity.ERROR,
                path,
                line,
                "forward_func=" + module.code_for_node(forward_argument.value),
                "forward_func must name a function defined at the top of the runner",
                "Define the forward with `def` at module level and pass its name",
            )
        )
    forward = _find_function(module, forward_argument.value.value)
    if forward is None:
        raise PortError(
            Finding(
                Severity.ERROR,
                path,
                lines.line_of(forward_argument, main_guard),
                f"forward_func={forward_argument.value.value}",
                f"the forward function {forward_argument.value.value!r} is not defined in this file",
                "Define the forward function in the runner itself; imported forwards are not ported",
            )
        )

    return Runner(
        path=path,
        source=source,
        module=module,
        forward=forward,
        main_guard=main_guard,
        main_body=main_body,
        run_eval=run_eval,
        run_eval_index=run_eval_index,
        flags=collect_flags(main_body),
        lines=lines,
    )

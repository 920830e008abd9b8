"""Read the argparse flags a runner's `__main__` declares with `parser.add_argument(...)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import libcst as cst
import libcst.matchers as m


@dataclass(frozen=True)
class Flag:
    dest: str
    option_strings: tuple[str, ...]
    type_name: str | None          # "int", "float", "str", or None when argparse keeps a string
    default: cst.BaseExpression | None
    required: bool
    action: str | None             # "store_true", "store_false", ...
    help: str | None
    node: cst.Call

    @property
    def python_type(self) -> str | None:
        """The annotation for the constructor keyword argument this flag becomes."""
        if self.action in ("store_true", "store_false"):
            return "bool"
        return self.type_name or "str"

    @property
    def display(self) -> str:
        return self.option_strings[0] if self.option_strings else self.dest


_ADD_ARGUMENT = m.Call(func=m.Attribute(attr=m.Name("add_argument")))


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _dest_of(option_strings: Sequence[str]) -> str:
    # argparse takes the first long option, else the first short one, strips the prefix
    # characters and turns dashes into underscores.
    long_options = [option for option in option_strings if option.startswith("--")]
    chosen = long_options[0] if long_options else option_strings[0]
    return chosen.lstrip("-").replace("-", "_")


def flag_from_call(call: cst.Call) -> Flag | None:
    """Build a Flag from one `add_argument` call, or None when its option strings are not literals."""
    option_strings: list[str] = []
    keywords: dict[str, cst.BaseExpression] = {}
    for argument in call.args:
        if argument.keyword is None and argument.star == "":
            value = _string_value(argument.value)
            if value is None:
                return None
            option_strings.append(value)
        elif argument.keyword is not None:
            keywords[argument.keyword.value] = argument.value
    if not option_strings:
        return None

    dest_node = keywords.get("dest")
    dest = _string_value(dest_node) if dest_node is not None else None
    type_node = keywords.get("type")
    action_node = keywords.get("action")
    required_node = keywords.get("required")
    help_node = keywords.get("help")
    action = _string_value(action_node) if action_node is not None else None
    default = keywords.get("default")
    if default is None and action in ("store_true", "store_false"):
        default = cst.Name("False" if action == "store_true" else "True")

    return Flag(
        dest=dest or _dest_of(option_strings),
        option_strings=tuple(option_strings),
        type_name=type_node.value if isinstance(type_node, cst.Name) else None,
        default=default,
        required=m.matches(required_node, m.Name("True")) if required_node is not None else False,
        action=action,
        help=_string_value(help_node) if help_node is not None else None,
        node=call,
    )


class _FlagCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.flags: list[Flag] = []

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node, _ADD_ARGUMENT):
            flag = flag_from_call(node)
            if flag is not None:
                self.flags.append(flag)


def collect_flags(statements: Sequence[cst.CSTNode]) -> dict[str, Flag]:
    """Return the flags declared in `statements`, keyed by dest, in declaration order."""
    collector = _FlagCollector()
    for statement in statements:
        statement.visit(collector)
    return {flag.dest: flag for flag in collector.flags}

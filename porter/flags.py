"""Read the argparse flags a runner's `__main__` declares with `parser.add_argument(...)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import libcst as cst
from porter.shapes import called_method, expression_statement, is_name


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
        required=is_name(required_node, "True"),
        action=action,
        help=_string_value(help_node) if help_node is not None else None,
        node=call,
    )


def collect_flags(statements: Sequence[cst.CSTNode]) -> dict[str, Flag]:
    """Return the flags declared in `statements`, keyed by dest, in declaration order.

    Runners declare their flags in statements of their own at the top of `__main__`. Only those
    are read, because walking every statement of `__main__` costs as much as parsing it.
    """
    flags: dict[str, Flag] = {}
    for statement in statements:
        call = expression_statement(statement)
        if called_method(call) == "add_argument":
            flag = flag_from_call(call)
            if flag is not None:
                flags[flag.dest] = flag
    return flags

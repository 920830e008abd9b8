"""Arguments: argparse flags become the constructor's keyword arguments.

    args.max_steps                  ->  max_steps
    args.base_model_path            ->  model_dir          (path flags take specdec_bench's names)
    args.tree_choices = eval(...)   ->  tree_choices = ...
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst
import libcst.matchers as m

from porter.rewrites.base import Rewrite


class ArgumentsRewrite(Rewrite):
    name = "arguments"

    def __init__(self, args_name: str, renames: Mapping[str, str]):
        """`renames` maps a flag's dest to the variable that replaces `args.<dest>`."""
        super().__init__()
        self.args_name = args_name
        self.renames = dict(renames)
        self.unknown: list[cst.Attribute] = []

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if not m.matches(original_node.value, m.Name(self.args_name)):
            return updated_node
        dest = original_node.attr.value
        if dest not in self.renames:
            self.unknown.append(original_node)
            return updated_node
        replacement = cst.Name(self.renames[dest])
        self.record(original_node, replacement)
        return replacement


class _FlagReads(cst.CSTVisitor):
    def __init__(self, args_name: str):
        self.args_name = args_name
        self.dests: dict[str, None] = {}

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if m.matches(node.value, m.Name(self.args_name)):
            self.dests.setdefault(node.attr.value, None)


def flags_used(node: cst.CSTNode, args_name: str) -> list[str]:
    """Dests of the flags `node` reads or assigns as `args.<dest>`, in order of appearance."""
    visitor = _FlagReads(args_name)
    node.visit(visitor)
    return list(visitor.dests)

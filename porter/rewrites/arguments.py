"""Arguments: argparse flags become the constructor's keyword arguments.

    args.max_steps                  ->  max_steps
    args.base_model_path            ->  model_dir          (path flags take specdec_bench's names)
    args.tree_choices = eval(...)   ->  tree_choices = ...
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import is_name


class ArgumentsRewrite(Rewrite):
    name = "arguments"

    def __init__(self, args_name: str, renames: Mapping[str, str]):
        """`renames` maps a flag's dest to the variable that replaces `args.<dest>`."""
        super().__init__()
        self.args_name = args_name
        self.renames = dict(renames)
        self.unknown: list[cst.Attribute] = []

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if not is_name(original_node.value, self.args_name):
            return updated_node
        dest = original_node.attr.value
        if dest not in self.renames:
            self.unknown.append(original_node)
            return updated_node
        replacement = cst.Name(self.renames[dest])
        self.record(original_node, replacement)
        return replacement

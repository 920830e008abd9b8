"""Choices: `eval` of a flag that names a tree-choice list becomes a lookup of that name.

    args.medusa_choices = eval(args.medusa_choices)
        ->  medusa_choices = named_object(medusa_choices, ("model.medusa.utils", "model.medusa.medusa_choices"))

The modules are the runner's star imports, where `eval` found the name. A value that is already
a list (passed from a YAML config, say) is returned unchanged.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import is_attribute, is_name

LOOKUP_FUNCTION = "named_object"


class ChoicesRewrite(Rewrite):
    name = "choices"

    def __init__(self, args_name: str, modules: Sequence[str]):
        super().__init__()
        self.args_name = args_name
        self.modules = tuple(modules)
        self.used = False
        self.unportable: list[cst.Call] = []

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not is_name(original_node.func, "eval"):
            return updated_node
        if len(original_node.args) != 1 or not is_attribute(original_node.args[0].value, self.args_name):
            self.unportable.append(original_node)
            return updated_node
        self.used = True
        modules = cst.Tuple([cst.Element(cst.SimpleString(repr(module))) for module in self.modules])
        replacement = cst.Call(
            func=cst.Name(LOOKUP_FUNCTION),
            args=[cst.Arg(updated_node.args[0].value), cst.Arg(modules)],
        )
        self.record(original_node, replacement)
        return replacement

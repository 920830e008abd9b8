"""Inputs: the harness's BatchEncoding becomes tensors that `run()` builds from `prompt_ids`.

    inputs.input_ids / inputs["input_ids"]            ->  prompt_input_ids
    inputs.attention_mask / inputs["attention_mask"]  ->  prompt_attention_mask
    model.generate(**inputs, ...)  ->  model.generate(input_ids=prompt_input_ids, attention_mask=prompt_attention_mask, ...)
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import is_name, string_value

PROMPT_INPUT_IDS = "prompt_input_ids"
PROMPT_ATTENTION_MASK = "prompt_attention_mask"

INPUT_FIELDS = {"input_ids": PROMPT_INPUT_IDS, "attention_mask": PROMPT_ATTENTION_MASK}
_NO_SPACE = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def subscript_field(node: cst.Subscript) -> str | None:
    """`"input_ids"` for `x["input_ids"]`, else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return string_value(node.slice[0].slice.value)


class InputsRewrite(Rewrite):
    name = "inputs"

    def __init__(self, inputs_name: str):
        super().__init__()
        self.inputs_name = inputs_name
        self.uses_attention_mask = False

    def _replacement(self, original: cst.CSTNode, field: str | None) -> cst.BaseExpression | None:
        if field not in INPUT_FIELDS:
            return None
        if field == "attention_mask":
            self.uses_attention_mask = True
        replacement = cst.Name(INPUT_FIELDS[field])
        self.record(original, replacement)
        return replacement

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if is_name(original_node.value, self.inputs_name):
            replacement = self._replacement(original_node, original_node.attr.value)
            if replacement is not None:
                return replacement
        return updated_node

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        if is_name(original_node.value, self.inputs_name):
            replacement = self._replacement(original_node, subscript_field(original_node))
            if replacement is not None:
                return replacement
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        arguments: list[cst.Arg] = []
        expanded = False
        for argument in updated_node.args:
            if argument.star == "**" and is_name(argument.value, self.inputs_name):
                self.uses_attention_mask = True
                expanded = True
                arguments += [
                    cst.Arg(keyword=cst.Name(field), value=cst.Name(name), equal=_NO_SPACE)
                    for field, name in INPUT_FIELDS.items()
                ]
                self.record(argument, f"input_ids={PROMPT_INPUT_IDS}, attention_mask={PROMPT_ATTENTION_MASK}")
            else:
                arguments.append(argument)
        if not expanded:
            return updated_node
        # Every argument but the last needs a comma; let libcst place them.
        return updated_node.with_changes(args=[arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in arguments])

"""Inputs: the harness's BatchEncoding becomes tensors that `run()` builds from `prompt_ids`.

    inputs.input_ids / inputs["input_ids"]       ->  prompt_input_ids
    inputs.attention_mask / inputs["attention_mask"]  ->  prompt_attention_mask
    model.generate(**inputs, ...)                ->  model.generate(input_ids=prompt_input_ids, attention_mask=prompt_attention_mask, ...)
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from porter.rewrites.base import Rewrite

PROMPT_INPUT_IDS = "prompt_input_ids"
PROMPT_ATTENTION_MASK = "prompt_attention_mask"

_FIELDS = {"input_ids": PROMPT_INPUT_IDS, "attention_mask": PROMPT_ATTENTION_MASK}


def _subscript_field(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        value = index.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


class InputsRewrite(Rewrite):
    name = "inputs"

    def __init__(self, inputs_name: str):
        super().__init__()
        self.inputs_name = inputs_name
        self.uses_attention_mask = False

    def _replacement(self, original: cst.CSTNode, field: str | None) -> cst.BaseExpression | None:
        if field not in _FIELDS:
            return None
        if field == "attention_mask":
            self.uses_attention_mask = True
        replacement = cst.Name(_FIELDS[field])
        self.record(original, replacement)
        return replacement

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if m.matches(original_node.value, m.Name(self.inputs_name)):
            replacement = self._replacement(original_node, original_node.attr.value)
            if replacement is not None:
                return replacement
        return updated_node

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        if m.matches(original_node.value, m.Name(self.inputs_name)):
            replacement = self._replacement(original_node, _subscript_field(original_node))
            if replacement is not None:
                return replacement
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        arguments: list[cst.Arg] = []
        for argument in updated_node.args:
            if argument.star == "**" and m.matches(argument.value, m.Name(self.inputs_name)):
                self.uses_attention_mask = True
                expanded = [
                    cst.Arg(keyword=cst.Name(field), value=cst.Name(name), equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
                    ))
                    for field, name in _FIELDS.items()
                ]
                self.record(
                    argument, f"input_ids={PROMPT_INPUT_IDS}, attention_mask={PROMPT_ATTENTION_MASK}"
                )
                arguments.extend(expanded)
            else:
                arguments.append(argument)
        if len(arguments) == len(updated_node.args):
            return updated_node
        # Keep the comma layout valid: every argument but the last needs a comma.
        fixed = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in arguments]
        return updated_node.with_changes(args=fixed)


class _LeftoverInputs(cst.CSTVisitor):
    def __init__(self, inputs_name: str):
        self.inputs_name = inputs_name
        self.nodes: list[cst.Name] = []
        self._labels: set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._labels.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._labels.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.inputs_name and id(node) not in self._labels:
            self.nodes.append(node)


def leftover_inputs(node: cst.CSTNode, inputs_name: str) -> list[cst.Name]:
    """Uses of `inputs` that the rewrite could not turn into prompt tensors."""
    visitor = _LeftoverInputs(inputs_name)
    node.visit(visitor)
    return visitor.nodes

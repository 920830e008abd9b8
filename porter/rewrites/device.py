"""Device: CUDA idioms and devices read off the model become the port's own `self.device`.

    x.cuda()                                    ->  x.to(self.device)
    x.to("cuda")                                ->  x.to(self.device)
    torch.device("cuda:0")                      ->  self.device
    f(..., device="cuda:0")                     ->  f(..., device=self.device)
    model.base_model.device                     ->  self.device        (forward only)
    model.base_model.layers[-1].weight.device   ->  self.device        (forward only)

Dtype casts such as `x.to(torch.long)` and devices read off tensors (`input_ids.device`) stay.
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite, self_attribute
from porter.shapes import called_method, is_attribute, is_name, root_name, string_value


def is_cuda_string(node: cst.CSTNode) -> bool:
    value = string_value(node)
    return value is not None and (value == "cuda" or value.startswith("cuda:"))


def _chain_root(node: cst.BaseExpression) -> str | None:
    """Name the variable at the start of an attribute or subscript chain (a call ends the chain)."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


class DeviceRewrite(Rewrite):
    name = "device"

    def __init__(self, model_name: str | None = None):
        """`model_name` is the forward's model parameter; devices read off it become self.device."""
        super().__init__()
        self.model_name = model_name

    def _device(self, original: cst.CSTNode) -> cst.Attribute:
        replacement = self_attribute("device")
        self.record(original, replacement)
        return replacement

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        method = called_method(original_node)
        if method == "cuda" and len(original_node.args) <= 1:
            replacement = updated_node.with_changes(
                func=updated_node.func.with_changes(attr=cst.Name("to")),
                args=[cst.Arg(self_attribute("device"))],
            )
            self.record(original_node, replacement)
            return replacement

        if is_attribute(original_node.func, "torch", "device") and original_node.args:
            if is_cuda_string(original_node.args[0].value):
                return self._device(original_node)

        if method == "to" and original_node.args:
            first = original_node.args[0]
            if first.keyword is None and is_cuda_string(first.value):
                arguments = [cst.Arg(self_attribute("device"), comma=first.comma)] + list(updated_node.args[1:])
                replacement = updated_node.with_changes(args=arguments)
                self.record(original_node, replacement)
                return replacement
        return updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if is_name(original_node.keyword, "device") and is_cuda_string(original_node.value):
            return updated_node.with_changes(value=self._device(original_node.value))
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if self.model_name is None or original_node.attr.value != "device":
            return updated_node
        if _chain_root(original_node.value) == self.model_name:
            return self._device(original_node)
        return updated_node

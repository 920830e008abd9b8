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
import libcst.matchers as m

from porter.rewrites.base import Rewrite, self_attribute


def _is_cuda_string(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return isinstance(value, str) and (value == "cuda" or value.startswith("cuda:"))
    return False


def _root_name(node: cst.BaseExpression) -> str | None:
    """The variable at the start of a chain such as `model.layers[-1].weight`."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


_CUDA_METHOD = m.Call(func=m.Attribute(attr=m.Name("cuda")))
_TO_METHOD = m.Call(func=m.Attribute(attr=m.Name("to")))
_TORCH_DEVICE = m.Call(func=m.Attribute(value=m.Name("torch"), attr=m.Name("device")))


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
        if m.matches(original_node, _CUDA_METHOD) and len(original_node.args) <= 1:
            replacement = updated_node.with_changes(
                func=updated_node.func.with_changes(attr=cst.Name("to")),
                args=[cst.Arg(self_attribute("device"))],
            )
            self.record(original_node, replacement)
            return replacement

        if m.matches(original_node, _TORCH_DEVICE) and original_node.args:
            if _is_cuda_string(original_node.args[0].value):
                return self._device(original_node)

        if m.matches(original_node, _TO_METHOD) and len(original_node.args) == 1:
            if original_node.args[0].keyword is None and _is_cuda_string(original_node.args[0].value):
                replacement = updated_node.with_changes(args=[cst.Arg(self_attribute("device"))])
                self.record(original_node, replacement)
                return replacement
        return updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if m.matches(original_node.keyword, m.Name("device")) and _is_cuda_string(original_node.value):
            return updated_node.with_changes(value=self._device(original_node.value))
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if self.model_name is None or original_node.attr.value != "device":
            return updated_node
        if _root_name(original_node.value) == self.model_name:
            return self._device(original_node)
        return updated_node

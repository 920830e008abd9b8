"""Loading: models load on the port's one device instead of being spread by `device_map`.

    Model.from_pretrained(path, torch_dtype=t, device_map="auto")
        ->  Model.from_pretrained(path, torch_dtype=t, device_map={"": self.device}).to(self.device)
    Model.from_pretrained(path, torch_dtype=t)
        ->  Model.from_pretrained(path, torch_dtype=t).to(self.device)

specdec_bench runs one engine per process on the device it is given. `device_map="auto"` would
spread a model over every visible GPU and leave the forward's tensors on the wrong one. The map
is replaced rather than dropped because some methods read the loaded model's `hf_device_map`
(SAMD sizes its KV cache from it), which transformers sets only when a map is given.
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite, self_attribute
from porter.shapes import called_method, keyword_of

_MODEL_KEYWORDS = ("device_map", "torch_dtype", "dtype", "low_cpu_mem_usage")


def passes_path(argument: cst.Arg) -> bool:
    """Tell whether a loader argument is a path: every positional one, and keyword ones named for a path, model or dir."""
    if argument.keyword is None:
        return argument.star == ""
    return any(word in argument.keyword.value for word in ("path", "model", "dir"))


def is_model_loading(call: cst.Call) -> bool:
    """Tell whether `call` is a `from_pretrained` that loads weights, which a tokenizer call never is."""
    return called_method(call) == "from_pretrained" and any(keyword_of(arg) in _MODEL_KEYWORDS for arg in call.args)


def single_device_map() -> cst.Dict:
    """`{"": self.device}`: the whole model on the port's device."""
    return cst.Dict([cst.DictElement(cst.SimpleString('""'), self_attribute("device"))])


class LoadingRewrite(Rewrite):
    name = "device"

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if keyword_of(original_node) != "device_map":
            return updated_node
        replacement = updated_node.with_changes(value=single_device_map())
        self.record(original_node.value, replacement.value)
        return replacement

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not is_model_loading(original_node):
            return updated_node
        replacement = cst.Call(
            func=cst.Attribute(value=updated_node, attr=cst.Name("to")), args=[cst.Arg(self_attribute("device"))]
        )
        self.record("(loading call)", ".to(self.device)", evidence=".to(self.device)")
        return replacement

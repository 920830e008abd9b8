"""Loading: models load on one explicit device instead of being spread by `device_map`.

    Model.from_pretrained(path, torch_dtype=t, device_map="auto")
        ->  Model.from_pretrained(path, torch_dtype=t).to(self.device)

specdec_bench runs one engine per process on the device it is given; `device_map="auto"` would
spread a model over every visible GPU and leave the forward's tensors on the wrong one.
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite, self_attribute
from porter.shapes import called_method, keyword_of

_MODEL_KEYWORDS = ("device_map", "torch_dtype", "dtype", "low_cpu_mem_usage")


def passes_path(argument: cst.Arg) -> bool:
    """Positional arguments of a loader are paths; keyword ones only when the keyword says so."""
    if argument.keyword is None:
        return argument.star == ""
    return any(word in argument.keyword.value for word in ("path", "model", "dir"))


def is_model_loading(call: cst.Call) -> bool:
    """A `from_pretrained` call that loads weights (a tokenizer takes none of these keywords)."""
    return called_method(call) == "from_pretrained" and any(keyword_of(arg) in _MODEL_KEYWORDS for arg in call.args)


class LoadingRewrite(Rewrite):
    name = "device"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        has_device_map = any(keyword_of(arg) == "device_map" for arg in updated_node.args)
        if not is_model_loading(original_node):
            if has_device_map:
                # Not a from_pretrained call; drop device_map all the same, since no loader of the
                # port may place weights on devices other than self.device.
                arguments = [arg for arg in updated_node.args if keyword_of(arg) != "device_map"]
                replacement = updated_node.with_changes(args=_fix_commas(arguments))
                self.record(original_node, replacement)
                return replacement
            return updated_node

        arguments = [arg for arg in updated_node.args if keyword_of(arg) != "device_map"]
        loaded = updated_node.with_changes(args=_fix_commas(arguments))
        replacement = cst.Call(
            func=cst.Attribute(value=loaded, attr=cst.Name("to")), args=[cst.Arg(self_attribute("device"))]
        )
        self.record(original_node, replacement)
        return replacement


def _fix_commas(arguments: list[cst.Arg]) -> list[cst.Arg]:
    if not arguments:
        return arguments
    fixed = [arg for arg in arguments[:-1]]
    fixed.append(arguments[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return fixed

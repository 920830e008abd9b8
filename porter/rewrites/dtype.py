"""Dtype: fastchat's dtype lookup becomes a table in the generated file, so fastchat is not needed.

    str_to_torch_dtype(args.dtype)  ->  torch_dtype_from_name(dtype)
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import is_name

DTYPE_FUNCTION = "torch_dtype_from_name"


class DtypeRewrite(Rewrite):
    name = "dtype"

    def __init__(self, local_name: str = "str_to_torch_dtype"):
        """`local_name` is the name the runner imported fastchat's `str_to_torch_dtype` as."""
        super().__init__()
        self.local_name = local_name
        self.used = False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if is_name(original_node.func, self.local_name):
            self.used = True
            replacement = updated_node.with_changes(func=cst.Name(DTYPE_FUNCTION))
            self.record(original_node, replacement)
            return replacement
        return updated_node

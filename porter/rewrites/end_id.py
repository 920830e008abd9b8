"""End id: the tokenizer's EOS becomes the `end_id` that specdec_bench passes to `run()`.

    tokenizer.eos_token_id  ->  end_id
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import is_attribute

END_ID = "end_id"


class EndIdRewrite(Rewrite):
    name = "end_id"

    def __init__(self, tokenizer_name: str):
        super().__init__()
        self.tokenizer_name = tokenizer_name

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if is_attribute(original_node, self.tokenizer_name, "eos_token_id"):
            replacement = cst.Name(END_ID)
            self.record(original_node, replacement)
            return replacement
        return updated_node

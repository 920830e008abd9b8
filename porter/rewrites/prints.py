"""Prints: progress messages of `__main__` are dropped; a model class does not print.

    print(f"Output to {answer_file}")  ->  (removed; `pass` if a block would be left empty)
"""

from __future__ import annotations

import libcst as cst

from porter.rewrites.base import Rewrite
from porter.shapes import called_name, expression_statement


class PrintsRewrite(Rewrite):
    name = "prints"

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if called_name(expression_statement(original_node)) == "print":
            self.record(original_node, "(removed)")
            return cst.RemoveFromParent()
        return updated_node

    def leave_IndentedBlock(self, original_node, updated_node):
        if not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

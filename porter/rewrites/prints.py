"""Prints: progress messages of `__main__` are dropped; a model class does not print.

    print(f"Output to {answer_file}")  ->  (removed; `pass` if a block would be left empty)
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from porter.rewrites.base import Rewrite

_PRINT_LINE = m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Name("print")))])


class PrintsRewrite(Rewrite):
    name = "prints"

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if m.matches(original_node, _PRINT_LINE):
            self.record(original_node, "(removed)")
            return cst.RemoveFromParent()
        return updated_node

    def leave_IndentedBlock(self, original_node, updated_node):
        if not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

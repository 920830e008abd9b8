"""Line numbers for CST nodes, computed only when a finding needs one.

libcst keeps no positions on nodes, and resolving PositionProvider for a whole runner costs more
than parsing it. Findings are rare, so positions are resolved per top-level statement on demand.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


class LineIndex:
    def __init__(self, module: cst.Module):
        self._module = module
        self._first_lines: dict[int, int] | None = None
        self._positions: dict[int, dict] = {}

    def line_of(self, node: cst.CSTNode, statement: cst.CSTNode) -> int | None:
        """Return the 1-based line of `node`, which must lie inside the top-level `statement`."""
        first_line = self._statement_first_lines().get(id(statement))
        if first_line is None:
            return None
        positions = self._positions.get(id(statement))
        if positions is None:
            wrapper = MetadataWrapper(cst.Module(body=[statement]), unsafe_skip_copy=True)
            positions = wrapper.resolve(PositionProvider)
            self._positions[id(statement)] = positions
        position = positions.get(node)
        if position is None:
            return None
        return first_line + position.start.line - 1

    def _statement_first_lines(self) -> dict[int, int]:
        # Each top-level statement's code, leading blank lines and comments included, ends with a
        # newline, so counting newlines gives the line where the next one starts.
        if self._first_lines is None:
            # Each EmptyLine of the header (comments and blank lines before the first statement)
            # is one line.
            line = 1 + len(self._module.header)
            self._first_lines = {}
            for statement in self._module.body:
                self._first_lines[id(statement)] = line
                line += self._module.code_for_node(statement).count("\n")
        return self._first_lines

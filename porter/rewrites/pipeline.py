"""Run several rewrites in one traversal.

Each rewrite lives in its own module and can run alone. A pass over a function costs about as
much as parsing it, so the converter runs its rewrites together. Every rewrite sees every node
in the order the rewrites are given. Once a rewrite replaces a node with a node of another
kind, the later rewrites do not see that node, since their matchers were written for the kind
they asked for.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from porter.rewrites.base import Change, Rewrite


class Pipeline(cst.CSTTransformer):
    def __init__(self, rewrites: Sequence[Rewrite]):
        super().__init__()
        self.rewrites = list(rewrites)
        self._visits: dict[type, list] = {}
        self._leaves: dict[type, list] = {}

    @property
    def changes(self) -> list[Change]:
        return [change for rewrite in self.rewrites for change in rewrite.changes]

    def _hooks(self, cache: dict[type, list], prefix: str, node_type: type) -> list:
        # Only hooks a rewrite overrides are called: calling every default hook of every
        # rewrite for every node would cost more than the rewriting itself.
        hooks = cache.get(node_type)
        if hooks is None:
            name = prefix + node_type.__name__
            default = getattr(cst.CSTTransformer, name, None)
            hooks = [getattr(rewrite, name) for rewrite in self.rewrites if getattr(type(rewrite), name, None) is not default]
            cache[node_type] = hooks
        return hooks

    def on_visit(self, node: cst.CSTNode) -> bool:
        for hook in self._hooks(self._visits, "visit_", type(node)):
            hook(node)
        return True

    def on_leave(self, original_node, updated_node):
        for hook in self._hooks(self._leaves, "leave_", type(original_node)):
            result = hook(original_node, updated_node)
            if isinstance(result, (cst.RemovalSentinel, cst.FlattenSentinel)):
                return result
            if type(result) is not type(original_node):
                return result
            updated_node = result
        return updated_node

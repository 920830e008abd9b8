"""Base of every rewrite: the record of a change, and the transformer that keeps those records."""

from __future__ import annotations

import libcst as cst

_EMPTY_MODULE = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    """Source text of a node on its own, without surrounding whitespace."""
    return _EMPTY_MODULE.code_for_node(node).strip()


class Change:
    """One replacement a rewrite made; `specport diff` labels hunks with these.

    The source text of the nodes is produced on first use, since only `diff` reads it.
    """

    __slots__ = ("rewrite", "_before", "_after", "evidence")

    def __init__(
        self,
        rewrite: str,
        before: cst.CSTNode | str,
        after: cst.CSTNode | str,
        evidence: str | tuple[str, ...] | None = None,
    ):
        self.rewrite = rewrite
        self._before = before
        self._after = after
        # Text the new code contains because of this change (any of several), when `after` is a
        # description rather than code.
        self.evidence = (evidence,) if isinstance(evidence, str) else evidence

    @property
    def before(self) -> str:
        if not isinstance(self._before, str):
            self._before = code_of(self._before)
        return self._before

    @property
    def after(self) -> str:
        if not isinstance(self._after, str):
            self._after = code_of(self._after)
        return self._after

    @property
    def label(self) -> str:
        return f"{self.rewrite}: {self.before} -> {self.after}"

    def __repr__(self) -> str:
        return f"Change({self.label!r})"


class Rewrite(cst.CSTTransformer):
    """A transformer with a name that records what it changed."""

    name = "rewrite"

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[Change] = []

    def record(
        self, before: cst.CSTNode | str, after: cst.CSTNode | str, evidence: str | tuple[str, ...] | None = None
    ) -> None:
        self.changes.append(Change(self.name, before, after, evidence))


def self_attribute(name: str) -> cst.Attribute:
    """`self.<name>`."""
    return cst.Attribute(value=cst.Name("self"), attr=cst.Name(name))

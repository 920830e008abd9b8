"""What every rewrite shares: the record of a change, and the transformer that keeps that record."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

_EMPTY_MODULE = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    """Source text of a node on its own, without surrounding whitespace."""
    return _EMPTY_MODULE.code_for_node(node).strip()


@dataclass(frozen=True)
class Change:
    """One replacement a rewrite made; `specport diff` labels hunks with these."""

    rewrite: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return f"{self.rewrite}: {self.before} -> {self.after}"


class Rewrite(cst.CSTTransformer):
    """A transformer with a name that records what it changed."""

    name = "rewrite"

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[Change] = []

    def record(self, before: cst.CSTNode | str, after: cst.CSTNode | str) -> None:
        before_text = before if isinstance(before, str) else code_of(before)
        after_text = after if isinstance(after, str) else code_of(after)
        self.changes.append(Change(self.name, before_text, after_text))


def self_attribute(name: str) -> cst.Attribute:
    """`self.<name>`."""
    return cst.Attribute(value=cst.Name("self"), attr=cst.Name(name))


def apply(rewrite: Rewrite, node: cst.CSTNode) -> cst.CSTNode:
    """Run one rewrite over a node and return the new node; the rewrite keeps its changes."""
    return node.visit(rewrite)

"""The review view: the runner's forward against the generated `_forward`, each hunk labelled.

Both sides are formatted with black at the same width, so a hunk shows what a rewrite changed,
not how the code was laid out. A hunk's labels are the recorded changes whose new text appears
in its added lines (and whose old text, when it is code, in its removed lines).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Sequence

import black
import libcst as cst

from porter.rewrites.base import Change

# The generated method sits one level deep in the class; format both sides as the file does.
REVIEW_LINE_LENGTH = black.DEFAULT_LINE_LENGTH - 4
_WHITESPACE = re.compile(r"\s+")


@dataclass
class Hunk:
    header: str
    lines: list[str]
    labels: list[str] = field(default_factory=list)

    @property
    def removed(self) -> str:
        return "".join(line[1:] for line in self.lines if line.startswith("-"))

    @property
    def added(self) -> str:
        return "".join(line[1:] for line in self.lines if line.startswith("+"))


def formatted(node: cst.CSTNode) -> str:
    code = cst.Module(body=[node]).code
    return black.format_str(code, mode=black.Mode(line_length=REVIEW_LINE_LENGTH))


def _squash(text: str) -> str:
    # Black may have re-wrapped the code and normalised its quotes since the change was recorded.
    return _WHITESPACE.sub("", text).replace("'", '"')


def _is_placeholder(text: str) -> bool:
    return text.startswith("(")


def label_hunk(hunk: Hunk, changes: Sequence[Change]) -> list[str]:
    """Labels of the changes that account for the hunk, in order, each once."""
    added = _squash(hunk.added)
    removed = _squash(hunk.removed)
    labels: dict[str, None] = {}
    for change in changes:
        before = change.before
        shown = change.evidence or (change.after,)
        if not any(_is_placeholder(text) or _squash(text) in added for text in shown):
            continue
        if not _is_placeholder(before) and _squash(before) not in removed:
            continue
        labels.setdefault(change.label, None)
    return list(labels)


def diff_hunks(before: str, after: str, before_name: str, after_name: str, context: int = 2) -> list[Hunk]:
    hunks: list[Hunk] = []
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), before_name, after_name, n=context
    )
    for line in lines:
        if line.startswith(("---", "+++")) and not hunks:
            continue
        if line.startswith("@@"):
            hunks.append(Hunk(line.rstrip("\n"), []))
        elif hunks:
            hunks[-1].lines.append(line if line.endswith("\n") else line + "\n")
    return hunks


def forward_review(original: cst.FunctionDef, ported: cst.FunctionDef, changes: Sequence[Change], runner_path: str) -> list[Hunk]:
    """Hunks from the runner's forward to the generated method, each labelled by its rewrites."""
    hunks = diff_hunks(formatted(original), formatted(ported), f"{runner_path}:{original.name.value}", f"generated:{ported.name.value}")
    for hunk in hunks:
        hunk.labels = label_hunk(hunk, changes)
    return hunks


def render_hunks(hunks: Sequence[Hunk], before_name: str, after_name: str) -> str:
    """Unified-diff text, each hunk header followed by `# rewrite: before -> after` lines."""
    output = [f"--- {before_name}\n", f"+++ {after_name}\n"]
    for hunk in hunks:
        output.append(hunk.header + "\n")
        labels = hunk.labels or ["(unlabelled: no recorded rewrite explains this hunk)"]
        output += [f"# {label}\n" for label in labels]
        output += hunk.lines
    return "".join(output)


def first_model_class(code: str, path: str) -> str:
    """Source of the first `SpecBench*Model` class in a model file, black-formatted."""
    module = cst.parse_module(code)
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value.startswith("SpecBench"):
            return black.format_str(cst.Module(body=[statement.with_changes(leading_lines=())]).code, mode=black.Mode())
    raise ValueError(f"{path} defines no SpecBench*Model class")

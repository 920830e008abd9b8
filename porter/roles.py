"""Path roles: which runner flags become specdec_bench's `model_dir` and `draft_model_dir`.

A runner names its paths freely (`--model-path`, `--base-model`, `--ea-model-path`,
`--drafter-path`). The roles are inferred from the flags passed to model-loading calls:
- a flag whose name says "base" is the target model;
- a flag whose name says draft, drafter, ea, head(s), medusa, hydra or assistant is the draft model;
- otherwise a single remaining path is the target model, or, when a base flag exists, the draft
  (Medusa and Hydra load their heads from `--model-path` and the base from `--base-model`).
Anything else is ambiguous and must be set in `[tool.specport]` or with a command-line option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import libcst as cst
import libcst.matchers as m

from porter.options import PathRoles
from porter.rewrites.loading import is_model_loading

_DRAFT_WORDS = {"draft", "drafter", "ea", "head", "heads", "medusa", "hydra", "assistant"}
_BASE_WORDS = {"base", "target"}


@dataclass(frozen=True)
class InferredRoles:
    model_dir: str | None
    draft_model_dir: str | None
    candidates: tuple[str, ...]      # every flag passed as a path to a model-loading call
    reason: str


class _LoadingFlags(cst.CSTVisitor):
    def __init__(self, args_name: str):
        self.args_name = args_name
        self.dests: dict[str, None] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if not is_model_loading(node):
            return
        for argument in node.args:
            if not _passes_path(argument):
                continue
            if m.matches(argument.value, m.Attribute(value=m.Name(self.args_name))):
                self.dests.setdefault(argument.value.attr.value, None)


def _passes_path(argument: cst.Arg) -> bool:
    """Positional arguments of a loader are paths; keyword ones only when the keyword says so."""
    if argument.keyword is None:
        return argument.star == ""
    keyword = argument.keyword.value
    return any(word in keyword for word in ("path", "model", "dir"))


def loading_flags(statements: Sequence[cst.CSTNode], args_name: str) -> list[str]:
    visitor = _LoadingFlags(args_name)
    for statement in statements:
        statement.visit(visitor)
    return list(visitor.dests)


def _words(dest: str) -> set[str]:
    return set(dest.lower().split("_"))


def infer_roles(candidates: Sequence[str], override: PathRoles | None = None) -> InferredRoles:
    """Assign model_dir and draft_model_dir among the flags passed to loading calls."""
    override = override or PathRoles()
    base = [dest for dest in candidates if _words(dest) & _BASE_WORDS]
    draft = [dest for dest in candidates if _words(dest) & _DRAFT_WORDS and dest not in base]
    plain = [dest for dest in candidates if dest not in base and dest not in draft]

    model_dir = override.model_dir
    draft_model_dir = override.draft_model_dir
    reasons = []
    if model_dir is None:
        if len(base) == 1:
            model_dir = base[0]
            reasons.append(f"--{model_dir} names the base model")
        elif not base and len(plain) == 1:
            model_dir = plain[0]
            plain = []
            reasons.append(f"--{model_dir} is the only path that is not a draft")
    else:
        reasons.append(f"model_dir set to --{model_dir} by configuration")
    if draft_model_dir is None:
        remaining = [dest for dest in draft + plain if dest != model_dir]
        if len(draft) == 1 and draft[0] != model_dir:
            draft_model_dir = draft[0]
            reasons.append(f"--{draft_model_dir} names a draft model")
        elif not draft and len(remaining) == 1:
            draft_model_dir = remaining[0]
            reasons.append(f"--{draft_model_dir} is the other path next to the base model")
    else:
        reasons.append(f"draft_model_dir set to --{draft_model_dir} by configuration")

    return InferredRoles(model_dir, draft_model_dir, tuple(candidates), "; ".join(reasons))

"""Path roles: which runner flags become specdec_bench's `model_dir` and `draft_model_dir`.

A runner names its paths freely (`--model-path`, `--base-model`, `--ea-model-path`,
`--drafter-path`). The roles are inferred from the flags passed as paths to model-loading calls:
- a flag whose name says "base" (or "target") is the target model;
- a flag whose name says draft, drafter, ea, head(s), medusa, hydra or assistant is the draft model;
- otherwise a single remaining path is the target model, or, when a base flag exists, the draft
  (Medusa and Hydra load their heads from `--model-path` and the base from `--base-model`).
Anything else is ambiguous and must be set in `[tool.specport]` or with a command-line option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from porter.options import PathRoles

_DRAFT_WORDS = {"draft", "drafter", "ea", "head", "heads", "medusa", "hydra", "assistant"}
_BASE_WORDS = {"base", "target"}


@dataclass(frozen=True)
class InferredRoles:
    model_dir: str | None
    draft_model_dir: str | None
    candidates: tuple[str, ...]      # every flag passed as a path to a model-loading call
    reason: str


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
    if model_dir is not None:
        reasons.append(f"model_dir from {model_dir!r} by configuration")
    elif len(base) == 1:
        model_dir = base[0]
        reasons.append(f"{model_dir!r} names the base model")
    elif not base and len(plain) == 1:
        model_dir = plain[0]
        reasons.append(f"{model_dir!r} is the only path that is not a draft")

    if draft_model_dir is not None:
        reasons.append(f"draft_model_dir from {draft_model_dir!r} by configuration")
    else:
        remaining_drafts = [dest for dest in draft if dest != model_dir]
        remaining_plain = [dest for dest in plain if dest != model_dir]
        if len(remaining_drafts) == 1:
            draft_model_dir = remaining_drafts[0]
            reasons.append(f"{draft_model_dir!r} names a draft model")
        elif not remaining_drafts and len(remaining_plain) == 1:
            draft_model_dir = remaining_plain[0]
            reasons.append(f"{draft_model_dir!r} is the other path next to the base model")

    return InferredRoles(model_dir, draft_model_dir, tuple(candidates), "; ".join(reasons))

"""Tiny setup for Spec-Bench's token-recycling runner: a base model only.

Token recycling has no drafter to build. Its forward drafts from `adj_matrix`, a vocabulary-by-8
table of the base model's top-8 next tokens that `__main__` creates as a zero-filled global and the
forward updates after every step. Drafts start paying off as soon as the decoded text revisits a
token, which the tiny base models' cycles of two to four tokens do within a few steps.

Two runs of the forward agree token for token whatever the table contains, but their accept lengths
agree only if the table starts in the same state, and it persists across calls within one process.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup, build_base_llama


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_recycling.py` and return the runner flags.

    `oracle` has no effect, because the method learns its drafts while it decodes. The runner keeps
    its tree (`--tree_version 2.2.2`) and `--output-id-topk 8`.
    """
    model_dir = build_base_llama(Path(workdir) / "base", seed=seed)
    return TinySetup(
        method="recycling",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
    )

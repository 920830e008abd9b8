"""Tiny setup for Spec-Bench's prompt lookup decoding (PLD) runner.

PLD drafts by matching the last n-gram against the prompt and the output so far, so it needs only
the base model. A random tiny model rarely repeats the prompt, so the oracle setup uses a base
model whose `lm_head` is fitted to keep repeating each test prompt's phrase.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup
from porter.verify.tiny.fitting import build_lookup_base


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_pld.py`: phrase-continuing with `oracle=True`, else random."""
    model_dir = build_lookup_base(workdir, oracle=oracle, seed=seed)
    return TinySetup(
        method="pld",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
    )

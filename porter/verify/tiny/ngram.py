"""Tiny setup for the shipped example method, prompt lookup ("ngram", examples/minibench).

Like PLD it drafts from the prompt and needs only the base model; the oracle setup uses the
phrase-continuing base so that lookups find their drafts.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup
from porter.verify.tiny.fitting import build_lookup_base


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_ngram.py`: phrase-continuing with `oracle=True`, else random."""
    model_dir = build_lookup_base(workdir, oracle=oracle, seed=seed)
    return TinySetup(
        method="ngram",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
    )

"""Tiny setup for Spec-Bench's lookahead decoding runner (the `lade` package).

Lookahead needs no drafter, but two environment variables. Its `__main__` enables lade only when
`USE_LADE=1`, and it then reads `CUDA_VISIBLE_DEVICES` to count workers. Its forward returns accept
lengths only when `USE_LADE=1` is still set at call time; otherwise `generate` returns a bare tensor.
A random tiny model rarely repeats itself, so the oracle setup uses a base model whose `lm_head` is
fitted to keep repeating each test prompt's phrase.
"""

from __future__ import annotations

import os
from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup
from porter.verify.tiny.fitting import build_lookup_base


def lookahead_env() -> dict:
    """Return the environment lade needs, keeping the caller's first visible CUDA device if set.

    One visible device means one lade worker, so no process group is started.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES") or "0"
    return {"USE_LADE": "1", "CUDA_VISIBLE_DEVICES": visible.split(",")[0]}


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_lookahead.py`: phrase-continuing with `oracle=True`, else random.

    The runner's own defaults stay: n-gram level 3, window 10, guess set size 10.
    """
    model_dir = build_lookup_base(workdir, oracle=oracle, seed=seed)
    return TinySetup(
        method="lookahead",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
        env=lookahead_env(),
    )

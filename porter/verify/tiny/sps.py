"""Tiny setup for Spec-Bench's speculative sampling (SpS) runner: a base model and a drafter.

The runner loads the drafter with `AutoModelForCausalLM` from `--drafter-path`, so the drafter only
has to share the vocabulary. A drafter with the same weights as the base model proposes exactly the
base model's greedy tokens, so every draft is accepted.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup, build_base_llama

RANDOM_DRAFTER_LAYERS = 1


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model and a drafter for `inference_sps.py`.

    With `oracle=True` the drafter is a copy of the base model (same config and seed). Otherwise
    it is a 1-layer Llama with its own seed, which rarely agrees with the base model.
    """
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)

    if oracle:
        drafter_dir = build_base_llama(workdir / "drafter-oracle", seed=seed)
    else:
        drafter_dir = build_base_llama(workdir / "drafter-random", layers=RANDOM_DRAFTER_LAYERS, seed=seed + 1)

    return TinySetup(
        method="sps",
        model_dir=model_dir,
        draft_model_dir=drafter_dir,
        runner_flags=("--model-path", str(model_dir), "--drafter-path", str(drafter_dir), *COMMON_FLAGS),
    )

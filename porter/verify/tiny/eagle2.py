"""Tiny setup for Spec-Bench's EAGLE-2 runner: a base model and an EAGLE head.

EAGLE-2 loads the same head layout as EAGLE-1 (`config.json` and `pytorch_model.bin`), so the head
comes from `porter.verify.tiny.eagle`. The runner moves the prompt with `.cuda()`, so its original
side runs under the CUDA shim. Its loader reads the tokenizer with `use_fast=False`, which the tiny
fast tokenizer satisfies because it has no slow class to fall back to.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import TinySetup, build_base_llama
from porter.verify.tiny.eagle import build_eagle_head, eagle_runner_flags, head_folder_name


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build a tiny base model and an EAGLE-2 head, and return the runner flags that load both.

    The runner's dynamic-tree settings keep their defaults (`--total-token 60`, `--depth 5`,
    `--top-k 10`), which fit the 1000-token vocabulary.
    """
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)
    head_dir = build_eagle_head(workdir / head_folder_name(oracle), model_dir, oracle=oracle, seed=seed)

    return TinySetup(
        method="eagle2",
        model_dir=model_dir,
        draft_model_dir=head_dir,
        runner_flags=eagle_runner_flags(model_dir, head_dir),
    )

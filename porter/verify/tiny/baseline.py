"""Tiny setup for Spec-Bench's baseline runner: plain greedy decoding of the base model."""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny import build_generic
from porter.verify.tiny.base import TinySetup


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the tiny base model for `inference_baseline.py`; `oracle` has no effect (no drafter)."""
    return build_generic("baseline", workdir, oracle=oracle, seed=seed)

"""Tiny setup for the shipped example method, prompt lookup ("ngram", examples/minibench).

It drafts from the prompt like PLD and takes the same flags, so it uses PLD's setup: the
phrase-continuing base with `oracle=True`, else the random one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from porter.verify.tiny import pld
from porter.verify.tiny.base import TinySetup


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_ngram.py`."""
    return dataclasses.replace(pld.build(workdir, oracle=oracle, seed=seed), method="ngram")

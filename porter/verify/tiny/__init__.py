"""Tiny models in the layouts that each Spec-Bench method's loader expects.

Each method with special needs has a module `porter.verify.tiny.<method>` with a
`build(workdir, *, oracle=True, seed=0) -> TinySetup` function. `builder_for` finds it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from porter.verify.tiny.base import COMMON_FLAGS, TinySetup, build_base_llama

__all__ = ["TinySetup", "builder_for", "build_generic"]


def build_generic(method: str, workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build a tiny base Llama with its tokenizer for a method that needs nothing else.

    `oracle` has no effect because such a method has no drafter.
    """
    model_dir = build_base_llama(Path(workdir) / "base", seed=seed)
    return TinySetup(
        method=method,
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
    )


def builder_for(method: str) -> Callable[..., TinySetup]:
    """Return the `build` function of `porter.verify.tiny.<method>`, or a generic builder.

    The generic builder makes the base model only and passes it as `--model-path`.
    """
    if not method.isidentifier():
        raise ValueError(f"invalid method name {method!r}: expected a Python identifier such as 'medusa'")

    try:
        module = importlib.import_module(f"porter.verify.tiny.{method}")
    except ModuleNotFoundError as error:
        if error.name != f"porter.verify.tiny.{method}":
            raise
        return lambda workdir, *, oracle=True, seed=0: build_generic(method, workdir, oracle=oracle, seed=seed)

    return module.build

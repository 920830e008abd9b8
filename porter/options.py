"""Conversion options: one frozen object passed from the command line down to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class PathRoles:
    """Runner flags that give specdec_bench's `model_dir` and `draft_model_dir`.

    Each value is an argparse dest such as "base_model_path"; None means "infer it".
    """

    model_dir: str | None = None
    draft_model_dir: str | None = None


@dataclass(frozen=True)
class Options:
    spec_bench_commit: str | None = None        # the checkout's commit, for the generated header
    spec_bench_dirty: bool = False               # the runner differs from that commit
    path_roles: Mapping[str, PathRoles] = field(default_factory=dict)   # keyed by method
    format_with_black: bool = True

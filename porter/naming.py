"""Names of generated files, classes and engines, derived from the runner's file name."""

from __future__ import annotations

import re
from pathlib import PurePath

_RUNNER_NAME = re.compile(r"^inference_(?P<method>[A-Za-z0-9_]+)\.py$")


def method_of(runner_path: PurePath) -> str | None:
    """Return the method name of `inference_<method>.py`, or None for any other file name."""
    match = _RUNNER_NAME.match(runner_path.name)
    return match.group("method") if match else None


def class_name(method: str) -> str:
    """`eagle2` -> `SpecBenchEagle2Model`, `token_recycling` -> `SpecBenchTokenRecyclingModel`."""
    words = [word for word in method.split("_") if word]
    return "SpecBench" + "".join(word[:1].upper() + word[1:] for word in words) + "Model"


def module_name(method: str) -> str:
    return f"specbench_{method}"

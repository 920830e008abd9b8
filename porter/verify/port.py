"""Run a generated model class through specdec_bench's contract: construct, `await run(...)`, `stop()`."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence


@dataclass(frozen=True)
class PortRun:
    chunks: list[list[int]]
    token_times: list[float]
    wall_time: float


def load_generated(path: Path, spec_bench_root: Path) -> types.ModuleType:
    """Import a generated file as a module, with SPEC_BENCH_PATH pointing at the checkout."""
    os.environ["SPEC_BENCH_PATH"] = str(spec_bench_root)
    name = f"specport_generated_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def model_class(module: types.ModuleType) -> type:
    """Return the SpecBench*Model class the generated module defines."""
    classes = [
        value for name, value in vars(module).items()
        if isinstance(value, type) and name.startswith("SpecBench") and value.__module__ == module.__name__
    ]
    if len(classes) != 1:
        raise ValueError(f"{module.__file__} defines {len(classes)} SpecBench*Model classes; expected one")
    return classes[0]


def construct(engine_class: type, model_dir: Path, draft_model_dir: Path | None, device: str, options: dict) -> Any:
    """Construct the engine as specdec_bench's run.py does, plus the method's options."""
    return engine_class(
        str(model_dir),
        max_concurrent_requests=1,
        sampling_kwargs={"temperature": 0},
        draft_model_dir=str(draft_model_dir) if draft_model_dir else None,
        device=device,
        **options,
    )


def run_prompts(engine: Any, prompts: Sequence[list[int]], max_length: int, end_id: int) -> list[PortRun]:
    """`await engine.run(...)` once per prompt, in order, as one request each."""

    async def run_all() -> list[PortRun]:
        runs = []
        for request_id, prompt in enumerate(prompts):
            started = time.perf_counter()
            result = await engine.run(list(prompt), max_length, end_id, request_id=request_id, turn_id=0)
            wall_time = time.perf_counter() - started
            if set(result) != {"output_ids", "output_logits", "token_times"}:
                raise ValueError(f"run() returned the keys {sorted(result)}; expected output_ids, output_logits, token_times")
            runs.append(PortRun([list(chunk) for chunk in result["output_ids"][0]], list(result["token_times"]), wall_time))
        return runs

    return asyncio.run(run_all())

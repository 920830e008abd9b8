"""Fixtures for running original Spec-Bench runners on tiny models.

Tests that need the Spec-Bench checkout read its path from SPEC_BENCH_PATH (default ./Spec-Bench)
and skip when it is missing. Tiny models are built once per session into a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from porter.verify.tiny import builder_for
from porter.verify.tiny.base import EOS_ID, default_prompts, greedy_decode, load_base_model

PROMPT_COUNT = 4
MAX_NEW_TOKENS = 32


def spec_bench_root() -> Path:
    return Path(os.environ.get("SPEC_BENCH_PATH", "Spec-Bench")).resolve()


@pytest.fixture(scope="session")
def spec_bench() -> Path:
    """The Spec-Bench checkout; skips the test when it is missing."""
    root = spec_bench_root()
    if not (root / "evaluation").is_dir():
        pytest.skip(f"Spec-Bench checkout not found at {root}; set SPEC_BENCH_PATH to a clone of Spec-Bench")
    return root


@pytest.fixture(scope="session")
def tiny_setups(tmp_path_factory):
    """Build tiny setups on first use, one per (method, oracle), and keep them for the session."""
    workdir = tmp_path_factory.mktemp("tiny-models")
    built = {}

    def get(method: str, oracle: bool):
        key = (method, oracle)
        if key not in built:
            built[key] = builder_for(method)(workdir / method, oracle=oracle)
        return built[key]

    return get


@pytest.fixture(scope="session")
def original_runs(spec_bench, tiny_setups):
    """Run a method's original forward on the default prompts; results are kept per (method, oracle).

    Returns a list of (prompt ids, OriginalResult) pairs. Skips when the checkout lacks the runner.
    """
    from porter.verify.original import capture_runner, run_forward

    results = {}

    def get(method: str, oracle: bool):
        key = (method, oracle)
        if key in results:
            return results[key]

        runner = spec_bench / "evaluation" / f"inference_{method}.py"
        if not runner.is_file():
            pytest.skip(f"{runner} not found; this Spec-Bench checkout has no {method} runner")

        setup = tiny_setups(method, oracle)
        captured = capture_runner(spec_bench, runner, setup.runner_flags, setup.env)
        runs = [
            (prompt, run_forward(captured, prompt, MAX_NEW_TOKENS, setup.forward_overrides))
            for prompt in default_prompts(PROMPT_COUNT)
        ]
        results[key] = runs
        return runs

    return get


@pytest.fixture(scope="session")
def greedy_reference():
    """Greedy continuation of a prompt by a freshly loaded copy of a base model folder."""
    models = {}

    def get(model_dir: Path, prompt: list[int], max_new_tokens: int) -> list[int]:
        if model_dir not in models:
            models[model_dir] = load_base_model(model_dir)
        return greedy_decode(models[model_dir], prompt, max_new_tokens, eos_id=EOS_ID)

    return get


def through_first_eos(token_ids: list[int]) -> list[int]:
    """Cut a token list after its first EOS (kept), as the harness compares outputs."""
    if EOS_ID in token_ids:
        return token_ids[: token_ids.index(EOS_ID) + 1]
    return list(token_ids)


@pytest.fixture(scope="session")
def assert_lossless(original_runs, tiny_setups, greedy_reference):
    """Assert that a method's original forward reproduces greedy decoding of its base model."""

    def check(method: str, oracle: bool) -> None:
        # The runs come first, because they skip the test when the checkout lacks the runner.
        runs = original_runs(method, oracle)
        model_dir = tiny_setups(method, oracle).model_dir

        for prompt, result in runs:
            produced = through_first_eos(result.output_ids)
            expected = greedy_reference(model_dir, prompt, max(len(produced), MAX_NEW_TOKENS))

            assert produced, f"{method}: forward produced no tokens for prompt {prompt}"
            assert produced == expected[: len(produced)], f"{method}: differs from greedy for prompt {prompt}"
            assert (
                len(produced) >= MAX_NEW_TOKENS or produced[-1] == EOS_ID
            ), f"{method}: stopped after {len(produced)} tokens without EOS for prompt {prompt}"

    return check


@pytest.fixture(scope="session")
def mean_accept_length(original_runs):
    """Mean accept length over all steps of a method's runs on the default prompts."""

    def measure(method: str, oracle: bool) -> float:
        lengths = [length for _, result in original_runs(method, oracle) for length in result.accept_lengths]
        return sum(lengths) / len(lengths)

    return measure


@pytest.fixture(scope="session")
def single_torch_thread():
    """Run torch on one CPU thread for the rest of the session, then restore the thread count.

    The tiny models' matrices are too small to gain from several threads. Measured with the EAGLE-3
    tiny setup on a 2-core machine at load average 4: 4 s with one thread, 37 s with the default two.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

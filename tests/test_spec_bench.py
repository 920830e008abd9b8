"""Convert the real Spec-Bench runners, on both branches. Needs a checkout (SPEC_BENCH_PATH)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import black
import pytest

from porter.batch import collect_jobs, convert_jobs

MAIN_METHODS = [
    "baseline", "eagle", "eagle2", "eagle3", "hydra", "lookahead", "medusa",
    "pld", "recycling", "rest", "samd", "space", "sps",
]
LATEST_TRANSFORMER_METHODS = ["baseline", "eagle", "eagle2", "eagle3", "hydra", "medusa", "sps"]


def convert_checkout(root: Path):
    outcomes = convert_jobs(collect_jobs([], root), {})
    failures = [outcome.error or outcome.internal_error for outcome in outcomes if outcome.conversion is None]
    assert failures == []
    return {outcome.conversion.method: outcome.conversion.code for outcome in outcomes}


@pytest.fixture(scope="module")
def main_outputs(spec_bench_main):
    return convert_checkout(spec_bench_main)


@pytest.fixture(scope="module")
def latest_transformer_outputs(spec_bench_latest_transformer):
    return convert_checkout(spec_bench_latest_transformer)


def test_every_main_runner_converts(main_outputs):
    assert sorted(main_outputs) == MAIN_METHODS


def test_every_latest_transformer_runner_converts(latest_transformer_outputs):
    assert sorted(latest_transformer_outputs) == LATEST_TRANSFORMER_METHODS


@pytest.mark.parametrize("branch", ["main_outputs", "latest_transformer_outputs"])
def test_outputs_compile_and_are_black_clean(branch, request):
    for method, code in request.getfixturevalue(branch).items():
        compile(code, f"specbench_{method}.py", "exec")
        assert black.format_str(code, mode=black.Mode()) == code, f"{method} is not black-clean"


def test_outputs_without_replaced_idioms(main_outputs):
    for method, code in main_outputs.items():
        body = code.split("class SpecBench", 1)[1]
        assert "tokenizer.eos_token_id in" not in body, method
        assert ".cuda()" not in body, method
        assert body.count("device_map=") == body.count('device_map={"": self.device}'), method
        assert "str_to_torch_dtype" not in body, method
        assert "eval(" not in body.replace("model.eval()", "").replace(".eval()", ""), method
        assert "import *" not in code, method


def test_latest_transformer_sps_patches_the_private_method(latest_transformer_outputs, main_outputs):
    assert "GenerationMixin._assisted_decoding = _assisted_decoding" in latest_transformer_outputs["sps"]
    assert "GenerationMixin.assisted_decoding = assisted_decoding" in main_outputs["sps"]


def test_outputs_identical_across_hash_seeds(spec_bench_main, tmp_path):
    outputs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"seed-{seed}"
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "porter", "convert", "--spec-bench", str(spec_bench_main), "--out", str(out), "-q"],
            env=environment, capture_output=True, text=True,
        )
        assert result.returncode == 0, result.stderr
        outputs.append({path.name: path.read_bytes() for path in sorted(out.glob("*.py"))})
    assert len(outputs[0]) == len(MAIN_METHODS)
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("method", MAIN_METHODS)
def test_review_hunks_all_labelled(spec_bench_main, method):
    from typer.testing import CliRunner

    from porter.cli import app

    runner = spec_bench_main / "evaluation" / f"inference_{method}.py"
    result = CliRunner().invoke(app, ["diff", str(runner), "--spec-bench", str(spec_bench_main)])
    assert result.exit_code == 0, result.output
    assert "@@" in result.output
    assert "unlabelled" not in result.output

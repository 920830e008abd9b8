"""`specport verify` on the shipped example, and faults injected into its port that it must catch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples" / "minibench"
RUNNER = EXAMPLE / "evaluation" / "inference_ngram.py"
GENERATED = REPOSITORY / "generated" / "specbench_ngram.py"


def verify(generated: Path, heads: str) -> tuple[int, list[dict]]:
    result = subprocess.run(
        [sys.executable, "-m", "porter", "verify", str(generated), "--runner", str(RUNNER),
         "--spec-bench", str(EXAMPLE), "--heads", heads, "--json"],
        capture_output=True, text=True, timeout=600,
    )
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.returncode, reports


def faulty_port(tmp_path: Path, old: str, new: str) -> Path:
    code = GENERATED.read_text()
    assert old in code, "the fault's target is no longer in the generated example"
    target = tmp_path / GENERATED.name
    target.write_text(code.replace(old, new))
    return target


def test_shipped_example_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "-m", "porter", "check", "--spec-bench", str(EXAMPLE), "--out", str(GENERATED.parent), "-q"],
        capture_output=True, text=True, cwd=REPOSITORY,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shipped_example_verifies():
    code, reports = verify(GENERATED, "both")
    assert code == 0, reports
    assert [report["heads"] for report in reports] == ["oracle", "random"]
    oracle = reports[0]
    assert oracle["port_mean_accept_length"] > 1.5
    assert oracle["stopped_at_end_id"] >= 1, "no prompt reached the end id, so EOS handling went unchecked"


def test_skipped_kv_cache_crop_is_caught(tmp_path):
    port = faulty_port(
        tmp_path,
        "past_key_values = crop_past_key_values(\n                outputs.past_key_values, input_ids.shape[1] - 1\n            )",
        "past_key_values = outputs.past_key_values",
    )
    code, reports = verify(port, "random")
    assert code == 1
    assert not reports[0]["tokens_match_runner"]


def test_dropped_timing_append_is_caught(tmp_path):
    port = faulty_port(tmp_path, "timing.append(synchronized_perf_counter(self.device))", "pass")
    code, reports = verify(port, "oracle")
    assert code == 1
    assert "timestamps for" in reports[0]["error"]


def test_eos_cut_one_token_late_is_caught(tmp_path):
    port = faulty_port(tmp_path, "generated[: generated.index(end_id)]", "generated[: generated.index(end_id) + 1]")
    code, reports = verify(port, "oracle")
    assert code == 1
    assert not reports[0]["tokens_match_runner"]
    assert any("differ from the runner's" in problem for problem in reports[0]["problems"])

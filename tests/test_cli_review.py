"""`specport check` and `specport diff` as a user runs them in CI and in review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from porter.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "specbench"
GOOD = ["assist", "maskfill", "recycle", "treehead"]


@pytest.fixture
def bench(tmp_path, monkeypatch):
    """A copy of the good fixture runners, converted into out/."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPEC_BENCH_PATH", raising=False)
    root = tmp_path / "bench"
    shutil.copytree(FIXTURES, root)
    for name in ("broken_syntax", "notarunner", "unportable"):
        (root / "evaluation" / f"inference_{name}.py").unlink()
    result = CliRunner().invoke(app, ["convert", "--spec-bench", str(root), "--out", "out"])
    assert result.exit_code == 0, result.output
    return root


def check(*arguments: str):
    return CliRunner().invoke(app, ["check", *arguments])


def test_check_passes_when_up_to_date(bench):
    result = check("--spec-bench", str(bench), "--out", "out")
    assert result.exit_code == 0
    assert result.output.strip() == "4 up to date, 0 out of date, 0 failed"


def test_check_fails_after_runner_edit(bench):
    runner = bench / "evaluation" / "inference_treehead.py"
    source = runner.read_text()
    flag = 'parser.add_argument("--max-steps", type=int, default=512)'
    assert flag in source
    runner.write_text(source.replace(flag, flag.replace("512", "256")))

    result = check("--spec-bench", str(bench), "--out", "out")
    assert result.exit_code == 1
    assert "--- out/specbench_treehead.py" in result.output
    assert any(line.startswith("+") and "256" in line for line in result.output.splitlines())
    assert result.output.strip().splitlines()[-1] == "3 up to date, 1 out of date, 0 failed"


def test_check_quiet_lists_files(bench):
    (bench.parent / "out" / "specbench_assist.py").unlink()
    result = check("--spec-bench", str(bench), "--out", "out", "--quiet")
    assert result.exit_code == 1
    assert "would create out/specbench_assist.py" in result.output
    assert "+++" not in result.output


def test_check_json_has_one_object_per_runner(bench):
    (bench.parent / "out" / "specbench_recycle.py").write_text("# edited by hand\n")
    result = check("--spec-bench", str(bench), "--out", "out", "--format", "json")
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert sorted(item["runner"] for item in objects) == [f"evaluation/inference_{name}.py" for name in GOOD]
    statuses = {item["runner"]: item["status"] for item in objects}
    assert statuses["evaluation/inference_recycle.py"] == "changed"
    assert statuses["evaluation/inference_assist.py"] == "unchanged"


def test_check_writes_nothing(bench):
    target = bench.parent / "out" / "specbench_maskfill.py"
    target.write_text("# stale\n")
    check("--spec-bench", str(bench), "--out", "out")
    assert target.read_text() == "# stale\n"


def test_check_reports_an_unportable_runner(bench):
    shutil.copy(FIXTURES / "evaluation" / "inference_unportable.py", bench / "evaluation")
    result = check("--spec-bench", str(bench), "--out", "out")
    assert result.exit_code == 1
    assert "global calls_served" in result.output


def test_diff_labels_every_hunk(bench):
    result = CliRunner().invoke(app, ["diff", str(bench / "evaluation" / "inference_recycle.py")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    hunk_starts = [index for index, line in enumerate(lines) if line.startswith("@@")]
    assert hunk_starts
    for index in hunk_starts:
        assert lines[index + 1].startswith("# "), lines[index]
    assert "unlabelled" not in result.output
    assert "# device: torch.device('cuda:0') -> self.device" in lines


def test_diff_against_another_model_file(bench, tmp_path):
    other = tmp_path / "hand_made.py"
    other.write_text("class SpecBenchTreeheadModel:\n    def run(self):\n        return 1\n")
    result = CliRunner().invoke(
        app, ["diff", str(bench / "evaluation" / "inference_treehead.py"), "--against", str(other)]
    )
    assert result.exit_code == 1
    assert f"--- {other}" in result.output
    assert "-        return 1" in result.output

    generated = (tmp_path / "out" / "specbench_treehead.py")
    same = CliRunner().invoke(
        app, ["diff", str(bench / "evaluation" / "inference_treehead.py"), "--against", str(generated)]
    )
    assert same.exit_code == 0
    assert same.output == ""


def test_diff_against_a_file_without_model_class(bench, tmp_path):
    other = tmp_path / "empty.py"
    other.write_text("x = 1\n")
    result = CliRunner().invoke(
        app, ["diff", str(bench / "evaluation" / "inference_treehead.py"), "--against", str(other)]
    )
    assert result.exit_code == 2
    assert "defines no SpecBench*Model class" in result.output

"""`specport convert` and `specport inspect` as a user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from porter.cli import app

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "specbench"
GOOD = ["treehead", "assist", "recycle", "maskfill"]
BAD = ["broken_syntax", "notarunner", "unportable"]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPEC_BENCH_PATH", raising=False)
    return CliRunner()


def test_convert_batch_with_failures(cli, tmp_path):
    result = cli.invoke(app, ["convert", "--spec-bench", str(FIXTURES), "--out", "out"])
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == sorted(f"specbench_{method}.py" for method in GOOD)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "4 written, 0 unchanged, 3 failed"
    for method in BAD:
        assert f"evaluation/inference_{method}.py:" in result.output


def test_second_convert_changes_nothing(cli, tmp_path):
    runner = str(FIXTURES / "evaluation" / "inference_treehead.py")
    cli.invoke(app, ["convert", runner, "--out", "out"])
    before = (tmp_path / "out" / "specbench_treehead.py").stat().st_mtime_ns
    result = cli.invoke(app, ["convert", runner, "--out", "out"])
    assert result.exit_code == 0
    assert "0 written, 1 unchanged, 0 failed" in result.output
    assert (tmp_path / "out" / "specbench_treehead.py").stat().st_mtime_ns == before


def test_failed_runner_keeps_previous_output(cli, tmp_path):
    root = tmp_path / "bench"
    shutil.copytree(FIXTURES, root)
    runner = root / "evaluation" / "inference_treehead.py"
    cli.invoke(app, ["convert", str(runner), "--out", "out"])
    previous = (tmp_path / "out" / "specbench_treehead.py").read_text()

    runner.write_text(runner.read_text().replace("def treehead_forward(", "def treehead_forward(("))
    result = cli.invoke(app, ["convert", str(runner), "--out", "out"])
    assert result.exit_code == 1
    assert "invalid Python syntax" in result.output
    assert (tmp_path / "out" / "specbench_treehead.py").read_text() == previous
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["specbench_treehead.py"]


def test_missing_checkout_is_a_usage_error(cli):
    result = cli.invoke(app, ["convert", "--spec-bench", "nowhere"])
    assert result.exit_code == 2
    assert "nowhere/evaluation does not exist" in result.output


def test_path_roles_from_pyproject(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specport.runners.treehead]\nmodel-dir = "model_path"\ndraft-model-dir = "base_model"\n'
    )
    result = cli.invoke(app, ["inspect", str(FIXTURES / "evaluation" / "inference_treehead.py")])
    assert result.exit_code == 0, result.output
    assert "model_dir:       --model-path" in result.output
    assert "draft_model_dir: --base-model" in result.output
    assert "by configuration" in result.output


def test_invalid_pyproject_is_a_usage_error(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.specport.runners.treehead]\nmodel_dir = "x"\n')
    result = cli.invoke(app, ["convert", "--spec-bench", str(FIXTURES)])
    assert result.exit_code == 2
    assert "unknown key 'model_dir'" in result.output


def test_inspect_reports_what_was_inferred(cli):
    result = cli.invoke(app, ["inspect", str(FIXTURES / "evaluation" / "inference_treehead.py")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "forward:         treehead_forward" in lines
    assert "model_dir:       --base-model" in lines
    assert "draft_model_dir: --model-path" in lines
    assert any(line.startswith("timing:          inline loop") for line in lines)
    assert any(line.strip().startswith("from model.treehead.utils import") for line in lines)


def test_inspect_bad_runner(cli):
    result = cli.invoke(app, ["inspect", str(FIXTURES / "evaluation" / "inference_unportable.py")])
    assert result.exit_code == 1
    assert "global calls_served" in result.output


def test_convert_check_and_diff_write_nothing(cli, tmp_path):
    runner = str(FIXTURES / "evaluation" / "inference_assist.py")
    result = cli.invoke(app, ["convert", runner, "--out", "out", "--check"])
    assert result.exit_code == 1
    assert "would write out/specbench_assist.py" in result.output
    assert not (tmp_path / "out").exists()

    diff = cli.invoke(app, ["convert", runner, "--out", "out", "--diff"])
    assert diff.exit_code == 1
    assert "+++ out/specbench_assist.py" in diff.output
    assert not (tmp_path / "out").exists()

    cli.invoke(app, ["convert", runner, "--out", "out"])
    assert cli.invoke(app, ["convert", runner, "--out", "out", "--check"]).exit_code == 0

"""The file side of conversion: the checkout's commit, atomic writes and [tool.specport]."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from porter.files import ConfigError, checkout_state, load_config, write_atomically


def git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", "-C", str(folder), *arguments], check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path):
    root = tmp_path / "bench"
    (root / "evaluation").mkdir(parents=True)
    (root / "evaluation" / "inference_x.py").write_text("x = 1\n")
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    return root


def test_checkout_commit_and_clean_tree(checkout):
    state = checkout_state(checkout)
    assert state.commit is not None and len(state.commit) == 40
    assert state.changed_paths == frozenset()


def test_locally_changed_runner_is_reported(checkout):
    (checkout / "evaluation" / "inference_x.py").write_text("x = 2\n")
    assert checkout_state(checkout).changed_paths == {"evaluation/inference_x.py"}


def test_folder_inside_another_repository_has_no_commit(checkout):
    inner = checkout / "examples" / "mini"
    (inner / "evaluation").mkdir(parents=True)
    assert checkout_state(inner).commit is None


def test_folder_outside_git_has_no_commit(tmp_path):
    assert checkout_state(tmp_path).commit is None


def test_write_atomically_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out" / "file.py"
    write_atomically(target, "a\n")
    write_atomically(target, "b\n")
    assert target.read_text() == "b\n"
    assert [path.name for path in target.parent.iterdir()] == ["file.py"]


def test_config_reads_roles_out_and_checkout(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.specport]\nout = "gen"\nspec-bench = "SB"\n'
        '[tool.specport.runners.medusa]\nmodel-dir = "base_model"\ndraft-model-dir = "model_path"\n'
    )
    config = load_config(tmp_path)
    assert config.out == Path("gen")
    assert config.spec_bench == Path("SB")
    assert config.path_roles["medusa"].model_dir == "base_model"
    assert config.path_roles["medusa"].draft_model_dir == "model_path"


def test_config_without_pyproject_is_empty(tmp_path):
    assert load_config(tmp_path).path_roles is None


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.specport\n")
    with pytest.raises(ConfigError, match="pyproject.toml: invalid TOML"):
        load_config(tmp_path)

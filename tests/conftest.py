"""Fixtures that locate the real inputs: a Spec-Bench checkout, both of its branches."""

from __future__ import annotations

import os
import subprocess
import tarfile
import io
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "tests" / "fixtures" / "specbench"
EXAMPLE = REPOSITORY / "examples" / "minibench"
LATEST_TRANSFORMER_REFS = ("origin/latest-transformer", "latest-transformer")


def spec_bench_path() -> Path | None:
    """Return $SPEC_BENCH_PATH, else ./Spec-Bench, if it contains an evaluation/ folder."""
    candidate = Path(os.environ.get("SPEC_BENCH_PATH") or REPOSITORY / "Spec-Bench")
    return candidate if (candidate / "evaluation").is_dir() else None


@pytest.fixture(scope="session")
def spec_bench_main() -> Path:
    path = spec_bench_path()
    if path is None:
        pytest.skip("no Spec-Bench checkout: set SPEC_BENCH_PATH to one (git clone github.com/hemingkx/Spec-Bench)")
    return path


@pytest.fixture(scope="session")
def spec_bench_latest_transformer(tmp_path_factory) -> Path:
    """The latest-transformer branch: $SPEC_BENCH_LT_PATH, else exported from the main checkout's git."""
    explicit = os.environ.get("SPEC_BENCH_LT_PATH")
    if explicit:
        return Path(explicit)
    main = spec_bench_path()
    if main is None:
        pytest.skip("no Spec-Bench checkout: set SPEC_BENCH_PATH (and SPEC_BENCH_LT_PATH for latest-transformer)")
    for ref in LATEST_TRANSFORMER_REFS:
        archive = subprocess.run(
            ["git", "-C", str(main), "archive", "--format=tar", ref, "evaluation", "model"],
            capture_output=True,
        )
        if archive.returncode == 0:
            target = tmp_path_factory.mktemp("spec-bench-latest-transformer")
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(target, filter="data")
            return target
    pytest.skip("the Spec-Bench checkout has no latest-transformer branch; set SPEC_BENCH_LT_PATH")

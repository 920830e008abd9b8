"""File-system side of the converter: finding the checkout, reading sources, writing outputs."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from porter.imports import SourceReader
from porter.options import PathRoles

SPEC_BENCH_ENVIRONMENT_VARIABLE = "SPEC_BENCH_PATH"


def spec_bench_root(explicit: Path | None) -> Path:
    """Choose the Spec-Bench checkout: --spec-bench, else $SPEC_BENCH_PATH, else ./Spec-Bench."""
    if explicit is not None:
        return explicit
    from_environment = os.environ.get(SPEC_BENCH_ENVIRONMENT_VARIABLE)
    return Path(from_environment) if from_environment else Path("Spec-Bench")


def runner_files(root: Path) -> list[Path]:
    """List every evaluation/inference_*.py of a checkout, sorted by name."""
    return sorted((root / "evaluation").glob("inference_*.py"))


def root_of_runner(runner: Path, fallback: Path) -> Path:
    """Find the checkout a runner belongs to: the folder above its evaluation/ folder, else `fallback`."""
    parent = runner.resolve().parent
    if parent.name == "evaluation":
        return parent.parent
    return fallback


def checkout_reader(root: Path) -> SourceReader:
    """Read modules of the checkout by dotted name (`model.medusa.utils`); None when absent."""

    @functools.lru_cache(maxsize=None)
    def read(module: str) -> str | None:
        relative = Path(*module.split("."))
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        return None

    return read


@dataclass(frozen=True)
class CheckoutState:
    commit: str | None
    changed_paths: frozenset[str]     # paths relative to the root that differ from the commit


def checkout_state(root: Path) -> CheckoutState:
    """Read the checkout's commit and its locally changed runners.

    Only a folder at the top of its own git work tree has a commit. A runner tree inside another
    repository, such as this project's example, gets none, because recording the outer
    repository's commit would change every output at every commit.
    """
    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *arguments], capture_output=True, text=True, check=True, timeout=30
        ).stdout

    try:
        top = git("rev-parse", "--show-toplevel").strip()
        if Path(top).resolve() != root.resolve():
            return CheckoutState(None, frozenset())
        commit = git("rev-parse", "HEAD").strip()
        # Porcelain lines are "XY path": two status letters (either may be a space), then the path.
        status = git("status", "--porcelain", "--", "evaluation")
    except (OSError, subprocess.SubprocessError):
        return CheckoutState(None, frozenset())
    changed = frozenset(line[3:].strip() for line in status.splitlines() if len(line) > 3)
    return CheckoutState(commit or None, changed)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class ProjectConfig:
    out: Path | None = None
    spec_bench: Path | None = None
    path_roles: dict[str, PathRoles] | None = None


class ConfigError(ValueError):
    pass


def load_config(folder: Path) -> ProjectConfig:
    """Read `[tool.specport]` from folder/pyproject.toml; an empty config when there is none.

        [tool.specport]
        out = "generated"
        spec-bench = "Spec-Bench"
        [tool.specport.runners.medusa]
        model-dir = "base_model"          # argparse dest of the flag that gives model_dir
        draft-model-dir = "model_path"
    """
    path = folder / "pyproject.toml"
    if not path.is_file():
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    section = data.get("tool", {}).get("specport", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.specport] must be a table")
    roles: dict[str, PathRoles] = {}
    for method, entry in section.get("runners", {}).items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: [tool.specport.runners.{method}] must be a table")
        unknown = set(entry) - {"model-dir", "draft-model-dir"}
        if unknown:
            raise ConfigError(
                f"{path}: unknown key {sorted(unknown)[0]!r} in [tool.specport.runners.{method}]; "
                "expected model-dir or draft-model-dir"
            )
        roles[method] = PathRoles(entry.get("model-dir"), entry.get("draft-model-dir"))
    out = section.get("out")
    spec_bench = section.get("spec-bench")
    return ProjectConfig(
        out=Path(out) if out else None,
        spec_bench=Path(spec_bench) if spec_bench else None,
        path_roles=roles,
    )

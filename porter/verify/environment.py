"""Packages `specport verify` needs, and a check of transformers against the checkout's pin."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

INSTALL_HINT = (
    "install them with: pip install torch==2.13.0 (the CPU build), then pip install 'specport[verify]'"
)


def missing_packages() -> list[str]:
    """List the packages verification imports that are not installed."""
    missing = []
    for package in ("torch", "transformers", "accelerate"):
        try:
            importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            missing.append(package)
    return missing


def pinned_transformers(spec_bench_root: Path) -> str | None:
    """The transformers version the checkout's requirements.txt pins with ==, if any."""
    requirements = spec_bench_root / "requirements.txt"
    if not requirements.is_file():
        return None
    match = re.search(r"^\s*transformers\s*==\s*([^\s;#]+)", requirements.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def version_warning(spec_bench_root: Path) -> str | None:
    """Return a warning when the installed transformers differs from the checkout's pin, else None."""
    pinned = pinned_transformers(spec_bench_root)
    if pinned is None:
        return None
    installed = importlib.metadata.version("transformers")
    if installed == pinned:
        return None
    return (
        f"warning: {spec_bench_root / 'requirements.txt'} pins transformers=={pinned}, but {installed} is "
        "installed; runners that rely on private transformers helpers may fail or decode differently"
    )

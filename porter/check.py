"""Compare regenerated models with the files in the output folder, for `specport check`."""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from porter.batch import Outcome


class Status(enum.Enum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"       # the file exists and differs from what the runner gives now
    MISSING = "missing"       # no generated file for the runner
    ERROR = "error"           # the runner could not be ported (or specport failed)


@dataclass(frozen=True)
class CheckResult:
    runner: str
    output: Path | None
    status: Status
    diff: str = ""
    message: str = ""

    def as_json(self) -> dict:
        return {
            "runner": self.runner,
            "output": str(self.output) if self.output else None,
            "status": self.status.value,
            "diff": self.diff,
            "message": self.message,
        }


def check_outcomes(outcomes: Sequence[Outcome], folder: Path) -> list[CheckResult]:
    results = []
    for outcome in outcomes:
        runner = outcome.job.display_path
        if outcome.conversion is None:
            message = outcome.error.render() if outcome.error else (outcome.internal_error or "")
            results.append(CheckResult(runner, None, Status.ERROR, message=message))
            continue
        target = folder / outcome.output_name
        expected = outcome.conversion.code
        if not target.is_file():
            diff = "".join(difflib.unified_diff([], expected.splitlines(keepends=True), "/dev/null", str(target)))
            results.append(CheckResult(runner, target, Status.MISSING, diff=diff))
            continue
        current = target.read_text(encoding="utf-8")
        if current == expected:
            results.append(CheckResult(runner, target, Status.UNCHANGED))
            continue
        diff = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True), expected.splitlines(keepends=True), str(target), f"{target} (from {runner})"
            )
        )
        results.append(CheckResult(runner, target, Status.CHANGED, diff=diff))
    return results

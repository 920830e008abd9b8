"""Findings: what the converter reports about a runner, each tied to a file, line and construct."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    # A note is ported anyway and is listed in the generated class's docstring; an error stops the
    # conversion of that runner.
    NOTE = "note"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    path: str
    line: int | None
    construct: str
    message: str
    suggestion: str = ""

    def render(self) -> str:
        """Format the finding as `path:line: severity: message (construct). suggestion`."""
        location = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{location}: {self.severity.value}: {self.message}"
        if self.construct:
            text += f" [{self.construct}]"
        if self.suggestion:
            text += f". {self.suggestion}"
        return text


class PortError(Exception):
    """A runner that cannot be ported; carries the finding that says where and why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.render())
        self.finding = finding

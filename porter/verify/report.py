"""The verification table: one row per method and head variant."""

from __future__ import annotations

from typing import Sequence

COLUMNS = (
    ("method", 10),
    ("heads", 6),
    ("device", 6),
    ("=runner", 7),
    ("=greedy", 7),
    ("=accept", 7),
    ("times", 5),
    ("accept len", 10),
    ("runner s", 8),
    ("port s", 8),
    ("result", 6),
)


def _mark(value: bool) -> str:
    return "yes" if value else "NO"


def row(report: dict) -> list[str]:
    if report["error"]:
        return [report["method"], report["heads"], report["device"]] + ["-"] * 7 + ["ERROR"]
    passed = not report["problems"]
    return [
        report["method"],
        report["heads"],
        report["device"],
        _mark(report["tokens_match_runner"]),
        _mark(report["tokens_match_greedy"]),
        _mark(report["chunks_match_accept_lengths"]),
        _mark(report["token_times_valid"]),
        f"{report['port_mean_accept_length']:.2f}",
        f"{report['runner_seconds']:.3f}",
        f"{report['port_seconds']:.3f}",
        "pass" if passed else "FAIL",
    ]


def table(reports: Sequence[dict]) -> str:
    """Format the reports as a plain-text table that is also valid Markdown."""
    header = "| " + " | ".join(name for name, _ in COLUMNS) + " |"
    rule = "|" + "|".join("-" * (len(name) + 2) for name, _ in COLUMNS) + "|"
    lines = [header, rule]
    for report in reports:
        lines.append("| " + " | ".join(row(report)) + " |")
    return "\n".join(lines) + "\n"


LEGEND = (
    "=runner: tokens equal the runner's forward up to the end id; =greedy: tokens equal greedy "
    "decoding of the base model; =accept: chunk lengths equal the runner's accept lengths; times: "
    "one token_time per chunk plus the start, never decreasing; accept len: the port's mean tokens "
    "per step; runner s / port s: decoding wall time over all prompts."
)

"""`specport check` (is every generated model up to date?) and `specport diff` (what did the port change?)."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from porter.check import Status, check_outcomes
from porter.commands.convert import (
    EXIT_INTERNAL,
    DraftDirFlagOption,
    ModelDirFlagOption,
    OutOption,
    RunnersArgument,
    SpecBenchOption,
    load_project_config,
    report_failures,
    run_conversions,
)
from porter.review import diff_hunks, first_model_class, forward_review, render_hunks


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"


CHECK_COMMAND = dict(
    name="check",
    help="Regenerate models in memory and compare them with the files in the output folder, without "
    "writing anything. Exit codes, as black's: 0 every file is up to date, 1 a file would change, is "
    "missing, or its runner cannot be ported, 123 internal error (2 for an invalid command line).",
)


def check_command(
    runners: RunnersArgument = None,
    out: OutOption = None,
    spec_bench: SpecBenchOption = None,
    model_dir_flag: ModelDirFlagOption = None,
    draft_model_dir_flag: DraftDirFlagOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="List out-of-date files without their diffs.")] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="text: diffs and a summary line; json: one JSON object per runner per line."),
    ] = OutputFormat.TEXT,
) -> None:
    """Fail when a generated model no longer matches its runner."""
    outcomes = run_conversions(runners, spec_bench, model_dir_flag, draft_model_dir_flag)
    folder = out or load_project_config().out or Path("generated")
    results = check_outcomes(outcomes, folder)

    if output_format is OutputFormat.JSON:
        for result in results:
            typer.echo(json.dumps(result.as_json(), sort_keys=True))
    else:
        for result in results:
            if result.status is Status.UNCHANGED:
                continue
            if result.status is Status.ERROR:
                typer.echo(result.message, err=True)
            elif quiet:
                typer.echo(f"would {'create' if result.status is Status.MISSING else 'change'} {result.output}")
            else:
                typer.echo(result.diff, nl=False)
        stale = sum(result.status in (Status.CHANGED, Status.MISSING) for result in results)
        failed = sum(result.status is Status.ERROR for result in results)
        typer.echo(f"{len(results) - stale - failed} up to date, {stale} out of date, {failed} failed")

    if any(outcome.internal_error for outcome in outcomes):
        if output_format is OutputFormat.JSON:
            report_failures(outcomes)
        raise typer.Exit(code=EXIT_INTERNAL)
    raise typer.Exit(code=0 if all(result.status is Status.UNCHANGED for result in results) else 1)


DIFF_COMMAND = dict(
    name="diff",
    help="Review what the port changed. Without --against: the runner's forward function against the "
    "generated _forward method, both formatted by black, each hunk labelled with the rewrite that "
    "produced it. With --against FILE: the generated class against the model class in FILE (such as "
    "specdec_bench's hand-written specbench_medusa.py). Exit codes: 0 shown (with --against: the classes "
    "are identical), 1 the runner cannot be ported (with --against: or the classes differ), 2 invalid input.",
)


def diff_command(
    runner: Annotated[Path, typer.Argument(help="Runner file (evaluation/inference_<method>.py).")],
    against: Annotated[
        Optional[Path],
        typer.Option("--against", help="Another model file to compare the generated class with.", show_default=False),
    ] = None,
    spec_bench: SpecBenchOption = None,
    model_dir_flag: ModelDirFlagOption = None,
    draft_model_dir_flag: DraftDirFlagOption = None,
) -> None:
    """Show the port's changes to the forward, or its difference from another model file."""
    outcomes = run_conversions([runner], spec_bench, model_dir_flag, draft_model_dir_flag)
    code = report_failures(outcomes)
    conversion = outcomes[0].conversion
    if conversion is None:
        raise typer.Exit(code=code)

    if against is None:
        path = outcomes[0].job.display_path
        hunks = forward_review(conversion.runner.forward, conversion.forward.function, conversion.changes, path)
        typer.echo(render_hunks(hunks, f"{path}:{conversion.runner.forward_name}", f"{conversion.module_name}.py:_forward"), nl=False)
        raise typer.Exit(code=0)

    try:
        theirs = first_model_class(against.read_text(encoding="utf-8"), str(against))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        typer.echo(
            f"error: cannot read a model class from {against}: {error}. Pass a file that defines a "
            "SpecBench*Model class, such as one written by specport convert.",
            err=True,
        )
        raise typer.Exit(code=2) from None
    ours = first_model_class(conversion.code, conversion.module_name)
    hunks = diff_hunks(theirs, ours, str(against), f"{conversion.module_name}.py")
    typer.echo(render_hunks(hunks, str(against), f"{conversion.module_name}.py").replace(
        "# (unlabelled: no recorded rewrite explains this hunk)\n", ""
    ) if hunks else "", nl=False)
    raise typer.Exit(code=1 if hunks else 0)

"""`specport convert` and `specport inspect`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from porter.batch import Outcome, collect_jobs, convert_jobs
from porter.files import ConfigError, ProjectConfig, load_config, spec_bench_root, write_atomically
from porter.options import PathRoles

# Exit codes, as black uses them: 0 success, 1 a runner could not be ported, 123 a bug in specport.
EXIT_OK = 0
EXIT_UNPORTABLE = 1
EXIT_INTERNAL = 123

RunnersArgument = Annotated[
    Optional[list[Path]],
    typer.Argument(
        help="Runner files (evaluation/inference_<method>.py). Default: every runner of the Spec-Bench checkout.",
        show_default=False,
    ),
]
SpecBenchOption = Annotated[
    Optional[Path],
    typer.Option(
        "--spec-bench",
        help="Spec-Bench checkout root, for finding runners and resolving star imports. "
        "Default: [tool.specport] spec-bench, else $SPEC_BENCH_PATH, else ./Spec-Bench.",
        show_default=False,
    ),
]
OutOption = Annotated[
    Optional[Path],
    typer.Option("--out", help="Folder for the generated files. Default: [tool.specport] out, else ./generated.", show_default=False),
]
ModelDirFlagOption = Annotated[
    Optional[str],
    typer.Option(
        "--model-dir-flag",
        help="argparse dest of the runner flag that gives specdec_bench's model_dir (e.g. base_model_path). "
        "Overrides inference and pyproject.toml for every runner converted. Default: inferred.",
        show_default=False,
    ),
]
DraftDirFlagOption = Annotated[
    Optional[str],
    typer.Option(
        "--draft-model-dir-flag",
        help="argparse dest of the runner flag that gives specdec_bench's draft_model_dir. Default: inferred.",
        show_default=False,
    ),
]


def load_project_config() -> ProjectConfig:
    try:
        return load_config(Path.cwd())
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


def run_conversions(
    runners: list[Path] | None,
    spec_bench: Path | None,
    model_dir_flag: str | None,
    draft_model_dir_flag: str | None,
) -> list[Outcome]:
    config = load_project_config()
    root = spec_bench_root(spec_bench or config.spec_bench)
    if not runners and not (root / "evaluation").is_dir():
        typer.echo(
            f"error: no runners given and {root / 'evaluation'} does not exist. Pass runner files, "
            "--spec-bench ROOT, or set SPEC_BENCH_PATH to a Spec-Bench checkout.",
            err=True,
        )
        raise typer.Exit(code=2)
    roles = dict(config.path_roles or {})
    jobs = collect_jobs(runners or [], root)
    if model_dir_flag or draft_model_dir_flag:
        for job in jobs:
            method = job.runner.stem.removeprefix("inference_")
            current = roles.get(method, PathRoles())
            roles[method] = PathRoles(model_dir_flag or current.model_dir, draft_model_dir_flag or current.draft_model_dir)
    return convert_jobs(jobs, roles)


def report_failures(outcomes: list[Outcome]) -> int:
    """Print each failure; return the exit code the failures call for."""
    code = EXIT_OK
    for outcome in outcomes:
        if outcome.error is not None:
            typer.echo(outcome.error.render(), err=True)
            code = max(code, EXIT_UNPORTABLE)
        elif outcome.internal_error is not None:
            typer.echo(
                f"{outcome.job.display_path}: internal error in specport (please report it with this traceback):\n"
                f"{outcome.internal_error}",
                err=True,
            )
            code = EXIT_INTERNAL
    return code


COMMAND = dict(
    name="convert",
    help="Convert Spec-Bench runners into specdec_bench model classes, one file specbench_<method>.py each. "
    "A runner that cannot be ported gets an error naming file, line and construct, and nothing is written "
    "for it; the others are still converted. Exit codes: 0 all converted (with --check or --diff: nothing "
    "would change), 1 some runner could not be ported (or a file would change), 2 invalid command line or "
    "configuration, 123 internal error.",
)


def convert_command(
    runners: RunnersArgument = None,
    out: OutOption = None,
    spec_bench: SpecBenchOption = None,
    model_dir_flag: ModelDirFlagOption = None,
    draft_model_dir_flag: DraftDirFlagOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the summary line.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a file would change (as `specport check`).")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff per file that would change.")] = False,
) -> None:
    """Convert runners into model classes."""
    outcomes = run_conversions(runners, spec_bench, model_dir_flag, draft_model_dir_flag)
    folder = out or load_project_config().out or Path("generated")
    if check or diff:
        report_without_writing(outcomes, folder, show_diff=diff)

    written = unchanged = 0
    for outcome in outcomes:
        if outcome.conversion is None:
            continue
        target = folder / outcome.output_name
        if target.is_file() and target.read_text(encoding="utf-8") == outcome.conversion.code:
            unchanged += 1
            status = "unchanged"
        else:
            write_atomically(target, outcome.conversion.code)
            written += 1
            status = "wrote"
        if not quiet:
            typer.echo(f"{status} {target} ({outcome.conversion.class_name}, from {outcome.job.display_path})")

    code = report_failures(outcomes)
    failed = len(outcomes) - written - unchanged
    typer.echo(f"{written} written, {unchanged} unchanged, {failed} failed")
    raise typer.Exit(code=code)


def report_without_writing(outcomes: list[Outcome], folder: Path, *, show_diff: bool) -> None:
    """Print what convert would change, as black's --check and --diff do, then exit."""
    from porter.check import Status, check_outcomes

    results = check_outcomes(outcomes, folder)
    for result in results:
        if result.status in (Status.CHANGED, Status.MISSING):
            typer.echo(result.diff if show_diff else f"would write {result.output}", nl=not show_diff)
    code = report_failures(outcomes)
    stale = sum(result.status in (Status.CHANGED, Status.MISSING) for result in results)
    typer.echo(f"{stale} would be written, {len(results) - stale} unchanged")
    if code == EXIT_OK and stale:
        code = EXIT_UNPORTABLE
    raise typer.Exit(code=code)


INSPECT_COMMAND = dict(
    name="inspect",
    help="Print what specport infers from a runner: the forward function, path roles, constructor options, "
    "how steps are timed, imports and porting notes. Writes nothing. Exit codes as for convert.",
)


def inspect_command(
    runner: Annotated[Path, typer.Argument(help="Runner file (evaluation/inference_<method>.py).")],
    spec_bench: SpecBenchOption = None,
    model_dir_flag: ModelDirFlagOption = None,
    draft_model_dir_flag: DraftDirFlagOption = None,
) -> None:
    """Show what the converter infers from one runner."""
    outcomes = run_conversions([runner], spec_bench, model_dir_flag, draft_model_dir_flag)
    for outcome in outcomes:
        if outcome.conversion is not None:
            typer.echo(describe(outcome), nl=False)
    raise typer.Exit(code=report_failures(outcomes))


def describe(outcome: Outcome) -> str:
    conversion = outcome.conversion
    constructor = conversion.constructor
    forward = conversion.forward
    roles = constructor.roles
    lines = [
        f"runner:          {outcome.job.display_path}",
        f"forward:         {conversion.runner.forward_name}",
        f"class:           {conversion.class_name} in {conversion.module_name}.py",
        f"model_dir:       {constructor.model_flag}",
        f"draft_model_dir: {constructor.draft.flag if constructor.draft else '(none)'}",
        f"path roles:      {roles.reason or 'set by configuration'}",
    ]
    if forward.hook is None:
        lines.append(f"timing:          inline loop, one timestamp per {forward.accept_name}.append")
    else:
        lines.append(f"timing:          {forward.hook.kind.value} hook on {forward.hook.implementation}")
    lines.append("options:")
    for parameter in constructor.keyword_parameters:
        default = "required" if parameter.default is None else f"default {parameter.default}"
        lines.append(f"  {parameter.name}: {default} (from {parameter.origin})")
    for parameter in constructor.sampling:
        lines.append(f"  {parameter.name}: sampling_kwargs, default {parameter.default}")
    lines.append("state on the class: " + ", ".join(name for name, _ in constructor.attributes))
    if forward.cached_attributes:
        lines.append("cached on the model by the forward: " + ", ".join(forward.cached_attributes))
    lines.append("imports:")
    lines += [f"  {line}" for line in conversion.import_lines]
    if conversion.notes:
        lines.append("notes:")
        lines += [f"  {note.render()}" for note in conversion.notes]
    return "\n".join(lines) + "\n"

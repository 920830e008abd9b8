"""`specport register`: copy generated models into a specdec_bench checkout and list them as engines."""

from pathlib import Path
from typing import Annotated

import typer

from porter import register as registration


COMMAND = dict(
    name="register",
    help="Copy generated model classes into specdec_bench and register them as --engine SPECBENCH_<METHOD>. "
    "Adds the import and the __all__ name to specdec_bench/models/__init__.py and the entry to the "
    "engines_available dict of run.py, leaving entries that are already present alone. "
    "Exit codes: 0 done, 1 with --check when a file would change, 2 invalid input (nothing is written).",
)


def register_command(
    specdec_bench: Annotated[
        Path,
        typer.Option(
            "--specdec-bench",
            help="specdec_bench checkout to edit: its examples/specdec_bench folder, "
            "or the Model-Optimizer repository root that contains it.",
        ),
    ],
    generated: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Generated model files (specbench_<method>.py) to copy and register. "
            "Default: every specbench_*.py in ./generated.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing, and exit 1 when a file would change or 0 when none would."),
    ] = False,
) -> None:
    """Register generated model classes in a specdec_bench checkout."""
    files = generated or registration.default_generated_files(Path("generated"))
    try:
        result = registration.register(specdec_bench, files, write=not check)
    except registration.InvalidInputError as error:
        for problem in error.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(code=2) from None

    changed_label = "would change" if check else "changed"
    changed = [update for update in result.updates if update.changed]
    for update in result.updates:
        status = changed_label if update.changed else "unchanged"
        typer.echo(f"{status:<12} {update.path.relative_to(result.checkout)}")

    unchanged_count = len(result.updates) - len(changed)
    typer.echo(f"{len(changed)} {changed_label}, {unchanged_count} unchanged in {result.checkout}")
    if check and changed:
        raise typer.Exit(code=1)

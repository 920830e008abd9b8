"""The `specport` command line: files, stdout and exit codes live here only."""

import typer

from porter import __version__
from porter.commands import chat_template, convert, register, review, verify

app = typer.Typer(
    help="Port Spec-Bench inference runners to specdec_bench model classes.",
    no_args_is_help=True,
    add_completion=False,
    # Help texts name [tool.specport] and similar; rich markup would swallow the brackets.
    rich_markup_mode=None,
)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"specport {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=show_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Port Spec-Bench inference runners to specdec_bench model classes."""

app.command(**convert.COMMAND)(convert.convert_command)
app.command(**convert.INSPECT_COMMAND)(convert.inspect_command)
app.command(**register.COMMAND)(register.register_command)
app.command(**chat_template.COMMAND)(chat_template.chat_template_command)
app.command(**review.CHECK_COMMAND)(review.check_command)
app.command(**review.DIFF_COMMAND)(review.diff_command)
app.command(**verify.COMMAND)(verify.verify_command)

"""The `specport` command line: files, stdout and exit codes live here only."""

import typer

from porter.commands import chat_template, convert, register, review, verify

app = typer.Typer(
    help="Port Spec-Bench inference runners to specdec_bench model classes.",
    no_args_is_help=True,
    add_completion=False,
)

app.command(**convert.COMMAND)(convert.convert_command)
app.command(**convert.INSPECT_COMMAND)(convert.inspect_command)
app.command(**register.COMMAND)(register.register_command)
app.command(**chat_template.COMMAND)(chat_template.chat_template_command)
app.command(**review.CHECK_COMMAND)(review.check_command)
app.command(**review.DIFF_COMMAND)(review.diff_command)
app.command(**verify.COMMAND)(verify.verify_command)

"""`python -m porter` runs the `specport` command line."""

from porter.cli import app

app(prog_name="specport")

"""One module per `specport` command; each exposes its function and a COMMAND dict for typer."""

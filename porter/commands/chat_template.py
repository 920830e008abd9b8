"""`specport chat-template`: vicuna chat template and token parity with Spec-Bench's prompts."""

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from porter import chat_template as vicuna_chat


def _fail_chat_template(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


COMMAND = dict(
    name="chat-template",
    short_help="Check a chat template's prompt token ids against Spec-Bench's vicuna prompts.",
    help="Check that specdec_bench's prompt tokens equal Spec-Bench's. Spec-Bench builds prompts with "
    "fastchat's vicuna conversation and BOS, and specdec_bench builds them with apply_chat_template and "
    "add_special_tokens=False. The check runs one- and three-turn conversations, with and without a system "
    "message, using the chat_template of tokenizer_config.json, or specport's vicuna template when the file "
    "has none. Needs fschat and transformers. "
    "Exit codes: 0 all token ids equal, 1 some differ, 2 invalid input.",
)


def chat_template_command(
    tokenizer_dir: Annotated[
        Path,
        typer.Argument(help="Tokenizer folder that contains tokenizer_config.json, as AutoTokenizer loads it."),
    ],
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Set chat_template in tokenizer_config.json to specport's vicuna template before the check, "
            "keeping the other keys and the file's formatting. Default: off, nothing is written.",
        ),
    ] = False,
) -> None:
    """Report token parity of a chat template against Spec-Bench's vicuna prompts."""
    config_path = tokenizer_dir / "tokenizer_config.json"
    if not tokenizer_dir.is_dir():
        _fail_chat_template(f"tokenizer folder not found: {tokenizer_dir}. Pass the folder of a saved tokenizer.")
    if not config_path.is_file():
        _fail_chat_template(
            f"{config_path} not found. Save the tokenizer there with tokenizer.save_pretrained(folder) first."
        )

    try:
        config_text = config_path.read_text(encoding="utf-8")
        vicuna_chat.parse_top_level_members(config_text)
        current_template = vicuna_chat.read_chat_template(config_text)
    except (OSError, ValueError) as error:
        _fail_chat_template(f"{config_path} is not a valid tokenizer config ({error}). Fix the JSON and rerun.")
    if current_template is not None and not isinstance(current_template, str):
        _fail_chat_template(f"chat_template in {config_path} is not a string. Rerun with --write to replace it.")

    try:
        import fastchat.model  # noqa: F401
        from transformers import AutoTokenizer
    except ImportError as error:
        _fail_chat_template(
            f"{error}. The check needs fastchat and transformers: pip install 'specport[chat,verify]' "
            "(fschat 0.2.31, transformers 4.x)."
        )

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    except (OSError, ValueError) as error:
        _fail_chat_template(
            f"loading the tokenizer from {tokenizer_dir} failed: {str(error).rstrip('.')}. "
            "Pass a folder written by tokenizer.save_pretrained (tokenizer.json or tokenizer.model)."
        )

    if write:
        changed = vicuna_chat.write_chat_template(config_path, vicuna_chat.VICUNA_CHAT_TEMPLATE)
        typer.echo(f"{'wrote' if changed else 'unchanged'} chat_template in {config_path}")
        template, source = vicuna_chat.VICUNA_CHAT_TEMPLATE, f"{config_path} (specport vicuna template)"
    elif current_template is not None:
        template, source = current_template, f"{config_path}"
    else:
        template, source = vicuna_chat.VICUNA_CHAT_TEMPLATE, f"specport vicuna template ({config_path} has none)"

    reports = vicuna_chat.check_parity(tokenizer, vicuna_chat.BUILTIN_CONVERSATIONS, template)
    typer.echo(vicuna_chat.format_report(reports, source), nl=False)
    if not all(report.matches for report in reports):
        raise typer.Exit(code=1)

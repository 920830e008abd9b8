"""Render a port plan through the Jinja template and format the result with black."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Sequence

import black
import jinja2
import libcst as cst

TEMPLATE_NAME = "model.py.jinja"


def templates_folder() -> Path:
    """The templates shipped in the wheel (porter/templates), else the source checkout's templates/."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_folder())),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def indented_code(statements: Sequence[cst.BaseStatement], depth: int) -> str:
    """Source of `statements` indented `depth` levels, with multi-line strings left untouched.

    libcst indents each line of a block itself and copies string tokens verbatim, so nesting the
    statements in throwaway blocks and dropping their header lines indents them safely.
    """
    if not statements:
        return " " * 4 * depth + "pass\n"
    node: cst.BaseCompoundStatement | None = None
    body: Sequence[cst.BaseStatement] = statements
    for _ in range(depth):
        node = cst.If(test=cst.Name("True"), body=cst.IndentedBlock(body=list(body)))
        body = [node]
    code = cst.Module(body=list(body)).code
    lines = code.splitlines(keepends=True)
    return "".join(lines[depth:])


def render(context: dict[str, Any], *, format_with_black: bool = True) -> str:
    """Fill the model template and format the result; raise ValueError if black cannot parse it."""
    text = _environment().get_template(TEMPLATE_NAME).render(**context)
    if not format_with_black:
        return text
    try:
        return black.format_str(text, mode=black.Mode())
    except black.InvalidInput as error:
        raise ValueError(f"the generated code is not valid Python: {error}") from error

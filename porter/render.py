"""Render a port plan through the Jinja templates and format the result with black.

Black runs only on the parts that come from the runner: imports, helper definitions, `__init__`,
`_forward` and `stop`. Each is formatted on its own, with the line length reduced by the
indentation it gets in the class, and then indented into the module template, which is written
black-clean.
Formatting a whole generated file would make black re-read the template's two hundred lines
for every runner; this gives the same text at a third of the cost. A part holding a multi-line
string that is not a docstring cannot be indented as text without changing the string, so then
the whole file is formatted instead.
"""

from __future__ import annotations

import functools
import io
import tokenize
from pathlib import Path
from typing import Any, Sequence

import black
import jinja2
import libcst as cst

MODULE_TEMPLATE = "model.py.jinja"
INIT_TEMPLATE = "init.py.jinja"
STOP_TEMPLATE = "stop.py.jinja"
LINE_LENGTH = black.DEFAULT_LINE_LENGTH
INDENT = "    "


def templates_folder() -> Path:
    """Locate the templates: porter/templates in the wheel, else templates/ of a source checkout."""
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
        return INDENT * depth + "pass\n"
    body: Sequence[cst.BaseStatement] = statements
    for _ in range(depth):
        body = [cst.If(test=cst.Name("True"), body=cst.IndentedBlock(body=list(body)))]
    lines = cst.Module(body=list(body)).code.splitlines(keepends=True)
    return "".join(lines[depth:])


def _has_multiline_string(code: str) -> bool:
    """Does `code` hold a string literal over several lines that is not a docstring?"""
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.STRING and token.start[0] != token.end[0]:
            if previous not in (tokenize.INDENT, tokenize.NEWLINE, None):
                return True
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.type
    return False


def _format(code: str, depth: int) -> str:
    mode = black.Mode(line_length=LINE_LENGTH - len(INDENT) * depth)
    try:
        return black.format_str(code, mode=mode)
    except black.InvalidInput as error:
        raise ValueError(f"the generated code is not valid Python: {error}") from error


def _indent(code: str, depth: int) -> str:
    prefix = INDENT * depth
    return "".join(prefix + line if line.strip() else line for line in code.splitlines(keepends=True)).rstrip("\n")


class _WholeFileNeeded(Exception):
    pass


def _piece(code: str, depth: int, format_with_black: bool) -> str:
    if not code.strip():
        return ""
    if depth and _has_multiline_string(code):
        raise _WholeFileNeeded
    return _indent(_format(code, depth) if format_with_black else code, depth)


def render(context: dict[str, Any], *, format_with_black: bool = True) -> str:
    """Fill the templates and format the result; raise ValueError if the result is not Python."""
    environment = _environment()
    sources = {
        "imports": ("\n".join(context["import_lines"]) + "\n", 1),
        "helpers": ("\n\n\n".join(context["helper_definitions"]) + "\n", 0),
        "init_method": (environment.get_template(INIT_TEMPLATE).render(**context), 1),
        "forward_method": (context["forward_code"], 1),
        "stop_method": (environment.get_template(STOP_TEMPLATE).render(**context), 1),
    }
    module = environment.get_template(MODULE_TEMPLATE)
    try:
        pieces = {name: _piece(code, depth, format_with_black) for name, (code, depth) in sources.items()}
    except _WholeFileNeeded:
        pieces = {name: _indent(code, depth) if code.strip() else "" for name, (code, depth) in sources.items()}
        text = module.render(**context, **pieces)
        return _format(text, 0) if format_with_black else text
    return module.render(**context, **pieces)

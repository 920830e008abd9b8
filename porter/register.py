"""Register generated model classes in a specdec_bench checkout.

Each edit is a libcst transform over source text, so every byte outside the added entry stays as it was:

    models/__init__.py  + from .specbench_sps import SpecBenchSpsModel    and "SpecBenchSpsModel" in __all__
    run.py              + "SPECBENCH_SPS": models.SpecBenchSpsModel,      in the engines_available dict

`register` applies the edits to a checkout. It validates every input first and writes nothing when one is
invalid. Then it copies the generated files into specdec_bench/models/ and replaces the two edited files
atomically. An entry that is already present is left alone, so a second run changes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

MODELS_INIT = Path("specdec_bench") / "models" / "__init__.py"
RUN_SCRIPT = Path("run.py")
ENGINES_DICT_NAME = "engines_available"
MODEL_CLASS_PATTERN = re.compile(r"SpecBench\w*Model")
GENERATED_FILE_PATTERN = re.compile(r"specbench_\w+")
GENERATED_FILE_GLOB = "specbench_*.py"


class InvalidInputError(ValueError):
    """Invalid input that `register` rejects before it writes anything, with one message per problem in `problems`."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- pure edits over source text -------------------------------------------------------------------------


def find_model_class(source: str) -> str:
    """Return the name of the one top-level `SpecBench<Method>Model` class defined in a generated model file."""
    module = cst.parse_module(source)
    names = [
        statement.name.value
        for statement in module.body
        if isinstance(statement, cst.ClassDef) and MODEL_CLASS_PATTERN.fullmatch(statement.name.value)
    ]

    if not names:
        raise InvalidInputError(
            ["no top-level class named SpecBench<Method>Model found. Pass a model file that specport generated."]
        )
    if len(names) > 1:
        raise InvalidInputError(
            [f"several model classes ({', '.join(names)}) found, but a registered file must define exactly one."]
        )
    return names[0]


def engine_key(module_name: str) -> str:
    """Return the `--engine` choice for a generated module: specbench_sps -> SPECBENCH_SPS."""
    return module_name.upper()


def add_model_import(source: str, module_name: str, class_name: str) -> str:
    """Insert `from .<module_name> import <class_name>` among the relative imports of models/__init__.py.

    The new line goes before the first relative import whose module sorts after it (case-insensitive, as
    isort orders them), or after the last one. Source that already has this import is returned unchanged.
    """
    module = cst.parse_module(source)
    imports = _relative_imports(module)

    for _, imported_module, imported_names in imports:
        if class_name not in imported_names:
            continue
        if imported_module == module_name:
            return source
        raise InvalidInputError(
            [
                f"{class_name} is already imported from .{imported_module}. "
                f"Remove that import, or rename the class in {module_name}.py."
            ]
        )

    new_line = cst.parse_statement(f"from .{module_name} import {class_name}\n")
    body = list(module.body)
    position = _import_position(body, imports, module_name)

    # The blank lines and comments above the import that moves down now head the new line instead.
    if position in {index for index, _, _ in imports}:
        following = body[position]
        new_line = new_line.with_changes(leading_lines=following.leading_lines)
        body[position] = following.with_changes(leading_lines=[])
    body.insert(position, new_line)
    return module.with_changes(body=body).code


def add_to_all(source: str, class_name: str) -> str:
    """Insert the class name into the `__all__` list of models/__init__.py, before the first name sorting after it.

    Source without `__all__`, or whose `__all__` already names the class, is returned unchanged, because the
    import alone makes `models.<class_name>` available.
    """
    module = cst.parse_module(source)
    names = _assigned_value(module, "__all__")
    if names is None:
        return source
    if not isinstance(names, (cst.List, cst.Tuple)):
        raise InvalidInputError(
            [f"__all__ is not a list or tuple literal, so {class_name!r} cannot be added. Make __all__ a list literal."]
        )

    strings = [element.value for element in names.elements if isinstance(element.value, cst.SimpleString)]
    existing = [string.evaluated_value for string in strings]
    if class_name in existing:
        return source

    position = len(names.elements)
    for index, element in enumerate(names.elements):
        if isinstance(element.value, cst.SimpleString) and element.value.evaluated_value > class_name:
            position = index
            break

    literal = _string_literal(class_name, strings[0] if strings else None)
    updated = _insert_element(names, position, cst.Element(value=literal))
    return module.deep_replace(names, updated).code


def add_engine(source: str, key: str, class_name: str) -> str:
    """Append `"<key>": models.<class_name>,` to the engines_available dict of run.py.

    Source whose dict already maps the key to that class is returned unchanged.
    """
    module = cst.parse_module(source)
    engines = _engines_dict(module)

    entries = [element for element in engines.elements if isinstance(element, cst.DictElement)]
    for entry in entries:
        if not (isinstance(entry.key, cst.SimpleString) and entry.key.evaluated_value == key):
            continue
        if m.matches(entry.value, m.Attribute(attr=m.Name(class_name))):
            return source
        raise InvalidInputError(
            [
                f"{ENGINES_DICT_NAME} already maps {key!r} to {cst.Module([]).code_for_node(entry.value)}. "
                "Remove that entry, or rename the generated file to register it under another engine name."
            ]
        )

    keys = [entry.key for entry in entries if isinstance(entry.key, cst.SimpleString)]
    template = entries[-1] if entries else None
    new_entry = cst.DictElement(
        key=_string_literal(key, keys[0] if keys else None),
        value=cst.Attribute(value=cst.Name(_models_module_name(entries)), attr=cst.Name(class_name)),
        whitespace_before_colon=template.whitespace_before_colon if template else cst.SimpleWhitespace(""),
        whitespace_after_colon=template.whitespace_after_colon if template else cst.SimpleWhitespace(" "),
    )
    updated = _insert_element(engines, len(engines.elements), new_entry)
    return module.deep_replace(engines, updated).code


def engine_keys(source: str) -> list[str]:
    """Return the string keys of the engines_available dict in run.py, or raise InvalidInputError when it is missing."""
    engines = _engines_dict(cst.parse_module(source))
    return [
        element.key.evaluated_value
        for element in engines.elements
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString)
    ]


def _engines_dict(module: cst.Module) -> cst.Dict:
    engines = _assigned_value(module, ENGINES_DICT_NAME)
    if not isinstance(engines, cst.Dict):
        raise InvalidInputError(
            [
                f"no module-level `{ENGINES_DICT_NAME} = {{...}}` dict literal found. "
                "Pass the examples/specdec_bench folder, whose run.py selects engines from that dict."
            ]
        )
    return engines


def _relative_imports(module: cst.Module) -> list[tuple[int, str, set[str]]]:
    """List the module-level `from .x import ...` lines as (body index, module name, names bound)."""
    imports = []
    for index, statement in enumerate(module.body):
        if not m.matches(statement, m.SimpleStatementLine(body=[m.ImportFrom(relative=[m.Dot()])])):
            continue
        node = statement.body[0]
        if node.module is None or isinstance(node.names, cst.ImportStar):
            continue
        bound = {alias.evaluated_alias or alias.evaluated_name for alias in node.names}
        imports.append((index, get_full_name_for_node(node.module), bound))
    return imports


def _import_position(body: list[cst.BaseStatement], imports: list[tuple[int, str, set[str]]], module_name: str) -> int:
    if imports:
        for index, imported_module, _ in imports:
            if imported_module.lower() > module_name.lower():
                return index
        return imports[-1][0] + 1

    # No relative import yet: go after the last module-level import, or after the docstring.
    position = 0
    for index, statement in enumerate(body):
        if m.matches(statement, m.SimpleStatementLine(body=[m.Import() | m.ImportFrom()])):
            position = index + 1
        elif index == 0 and m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])):
            position = 1
    return position


def _assigned_value(module: cst.Module, name: str) -> cst.BaseExpression | None:
    """Return the value of the last module-level `name = ...` (or `name: T = ...`) assignment."""
    value = None
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name(name))])):
                value = small.value
            elif m.matches(small, m.AnnAssign(target=m.Name(name))) and small.value is not None:
                value = small.value
    return value


def _models_module_name(entries: list[cst.DictElement]) -> str:
    """Return the name run.py uses for the specdec_bench.models package, read from an existing entry."""
    for entry in entries:
        if m.matches(entry.value, m.Attribute(value=m.Name())):
            return entry.value.value.value
    return "models"


def _string_literal(text: str, like: cst.SimpleString | None) -> cst.SimpleString:
    quote = like.quote if like is not None and like.prefix == "" and len(like.quote) == 1 else '"'
    return cst.SimpleString(f"{quote}{text}{quote}")


# --- layout-preserving insertion into a list, tuple or dict literal ------------------------------------


def _insert_element(container, index: int, element):
    """Insert an element into a List, Tuple or Dict literal, reusing the layout of its existing separators."""
    elements = list(container.elements)
    opening, closing = _bracket_whitespace(container)
    separator = _separator(elements, opening)

    if index < len(elements):
        elements.insert(index, element.with_changes(comma=separator))
        return container.with_changes(elements=elements)
    if not elements:
        return container.with_changes(elements=[element])

    # Appending: the old last element takes a separator, and the new one takes the old trailing comma (or
    # none). A comment that ended the old last line moves into that separator, so it stays on its line.
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
        separator.whitespace_after, cst.ParenthesizedWhitespace
    ):
        separator = separator.with_changes(
            whitespace_after=separator.whitespace_after.with_changes(first_line=closing.first_line)
        )
        closing = closing.with_changes(first_line=cst.TrailingWhitespace())

    trailing_comma = elements[-1].comma
    elements[-1] = elements[-1].with_changes(comma=separator)
    elements.append(element.with_changes(comma=trailing_comma))
    return _with_closing_whitespace(container.with_changes(elements=elements), closing)


def _bracket_whitespace(container):
    """Return (whitespace after the opening bracket, whitespace before the closing bracket)."""
    if isinstance(container, cst.List):
        return container.lbracket.whitespace_after, container.rbracket.whitespace_before
    if isinstance(container, cst.Dict):
        return container.lbrace.whitespace_after, container.rbrace.whitespace_before
    if container.lpar:
        return container.lpar[0].whitespace_after, container.rpar[-1].whitespace_before
    return cst.SimpleWhitespace(""), cst.SimpleWhitespace("")


def _with_closing_whitespace(container, whitespace):
    if isinstance(container, cst.List):
        return container.with_changes(rbracket=container.rbracket.with_changes(whitespace_before=whitespace))
    if isinstance(container, cst.Dict):
        return container.with_changes(rbrace=container.rbrace.with_changes(whitespace_before=whitespace))
    if container.rpar:
        rpar = [*container.rpar[:-1], container.rpar[-1].with_changes(whitespace_before=whitespace)]
        return container.with_changes(rpar=rpar)
    return container


def _separator(elements, opening) -> cst.Comma:
    """Return the comma, with its line break and indent, that separates two elements of this literal."""
    if len(elements) >= 2:
        comma = elements[0].comma
        return comma.with_changes(whitespace_after=_without_comment(comma.whitespace_after))
    if isinstance(opening, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_without_comment(opening))
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _without_comment(whitespace):
    """Drop the comment and blank lines from a line break, so a copied separator does not copy a comment."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return whitespace


# --- applying the edits to a checkout ----------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedModel:
    """A generated model file and what it registers."""

    path: Path
    module_name: str
    class_name: str
    content: bytes

    @property
    def engine_key(self) -> str:
        return engine_key(self.module_name)


@dataclass(frozen=True)
class FileUpdate:
    """Content of one checkout file before and after registration, with `before` None for a new file."""

    path: Path
    before: bytes | None
    after: bytes
    mode: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Registration:
    """The specdec_bench folder that was found and the update planned for each file in it."""

    checkout: Path
    updates: list[FileUpdate]


def find_checkout(path: Path) -> Path:
    """Return the specdec_bench folder at `path`, or at `path`/examples/specdec_bench for a Model-Optimizer root."""
    for candidate in (path, path / "examples" / "specdec_bench"):
        if (candidate / MODELS_INIT).is_file() and (candidate / RUN_SCRIPT).is_file():
            return candidate

    missing = [str(path / relative) for relative in (MODELS_INIT, RUN_SCRIPT) if not (path / relative).is_file()]
    raise InvalidInputError(
        [
            f"{path} is not a specdec_bench checkout, because {' and '.join(missing)} not found "
            f"(also looked in {path / 'examples' / 'specdec_bench'}). Pass the examples/specdec_bench folder "
            "of a Model-Optimizer checkout, or the repository root."
        ]
    )


def default_generated_files(folder: Path) -> list[Path]:
    """Return every generated model file in `folder`, sorted by name."""
    return sorted(folder.glob(GENERATED_FILE_GLOB))


def read_generated_model(path: Path) -> GeneratedModel:
    """Read a generated model file and find the model class it defines."""
    if not path.is_file():
        raise InvalidInputError([f"{path}: file not found. Pass the path of a generated specbench_<method>.py."])
    if path.suffix != ".py" or not (GENERATED_FILE_PATTERN.fullmatch(path.stem) and path.stem.isidentifier()):
        raise InvalidInputError(
            [
                f"{path}: invalid file name. Rename it to specbench_<method>.py, because the file name "
                "becomes the module name and the engine name SPECBENCH_<METHOD>."
            ]
        )

    content = path.read_bytes()
    try:
        class_name = find_model_class(content.decode("utf-8"))
    except InvalidInputError as error:
        raise InvalidInputError([f"{path}: {problem}" for problem in error.problems]) from None
    except (UnicodeDecodeError, cst.ParserSyntaxError) as error:
        raise InvalidInputError([f"{path}: not valid UTF-8 Python source: {error}"]) from None
    return GeneratedModel(path=path, module_name=path.stem, class_name=class_name, content=content)


def plan_registration(specdec_bench: Path, generated: list[Path]) -> Registration:
    """Compute every file update without writing, or raise one InvalidInputError that lists all invalid inputs."""
    problems: list[str] = []

    checkout = None
    try:
        checkout = find_checkout(specdec_bench)
    except InvalidInputError as error:
        problems += error.problems

    if not generated:
        problems.append(
            "no generated model files to register. Pass their paths, "
            f"or run from the folder that contains generated/{GENERATED_FILE_GLOB}."
        )
    models = []
    for path in dict.fromkeys(generated):
        try:
            models.append(read_generated_model(path))
        except InvalidInputError as error:
            problems += error.problems
    problems += _duplicate_problems(models)
    models.sort(key=lambda model: model.module_name)

    updates = []
    if checkout is not None:
        try:
            updates = _plan_updates(checkout, models)
        except InvalidInputError as error:
            problems += error.problems

    if problems:
        raise InvalidInputError(problems)
    return Registration(checkout=checkout, updates=updates)


def write_updates(updates: list[FileUpdate]) -> None:
    """Write each changed file atomically, in the order given."""
    for update in updates:
        if update.changed:
            _write_atomically(update.path, update.after, update.mode)


def register(specdec_bench: Path, generated: list[Path], write: bool = True) -> Registration:
    """Copy generated model files into a specdec_bench checkout and register them in models/__init__.py and run.py.

    With `write=False` nothing is written, and the updates in the result show what would change.
    """
    registration = plan_registration(specdec_bench, generated)
    if write:
        write_updates(registration.updates)
    return registration


def _duplicate_problems(models: list[GeneratedModel]) -> list[str]:
    problems = []
    seen_modules: dict[str, Path] = {}
    seen_classes: dict[str, Path] = {}
    for model in models:
        if model.module_name in seen_modules:
            problems.append(
                f"{model.path}: same file name as {seen_modules[model.module_name]}. Pass only one of them."
            )
        elif model.class_name in seen_classes:
            problems.append(
                f"{model.path}: defines {model.class_name}, as {seen_classes[model.class_name]} does. "
                "Pass only one of them."
            )
        seen_modules.setdefault(model.module_name, model.path)
        seen_classes.setdefault(model.class_name, model.path)
    return problems


def _plan_updates(checkout: Path, models: list[GeneratedModel]) -> list[FileUpdate]:
    init_path = checkout / MODELS_INIT
    run_path = checkout / RUN_SCRIPT
    problems: list[str] = []

    init_source = _read_source(init_path, problems)
    run_source = _read_source(run_path, problems)
    if run_source is not None and _apply(run_path, problems, engine_keys, run_source) is None:
        run_source = None

    new_init, new_run = init_source, run_source
    for model in models:
        if new_init is not None:
            new_init = _apply(init_path, problems, add_model_import, new_init, model.module_name, model.class_name)
        if new_init is not None:
            new_init = _apply(init_path, problems, add_to_all, new_init, model.class_name)
        if new_run is not None:
            new_run = _apply(run_path, problems, add_engine, new_run, model.engine_key, model.class_name)
    if problems:
        raise InvalidInputError(problems)

    # Copies come first and run.py last: an interrupted run never leaves run.py naming a missing class.
    updates = []
    for model in models:
        destination = init_path.parent / model.path.name
        before = destination.read_bytes() if destination.is_file() else None
        mode = destination.stat().st_mode if before is not None else model.path.stat().st_mode
        updates.append(FileUpdate(destination, before, model.content, mode & 0o777))
    updates.append(_edit_update(init_path, init_source, new_init))
    updates.append(_edit_update(run_path, run_source, new_run))
    return updates


def _read_source(path: Path, problems: list[str]) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"{path}: not valid UTF-8: {error}")
        return None


def _apply(path: Path, problems: list[str], edit, source: str, *arguments: str):
    """Call one pure function on a file's source, or record its problem under the file path and return None."""
    try:
        return edit(source, *arguments)
    except InvalidInputError as error:
        problems += [f"{path}: {problem}" for problem in error.problems]
    except cst.ParserSyntaxError as error:
        problems.append(f"{path}: not valid Python source: {error}")
    return None


def _edit_update(path: Path, before: str, after: str) -> FileUpdate:
    return FileUpdate(path, before.encode("utf-8"), after.encode("utf-8"), path.stat().st_mode & 0o777)


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    """Write to a temporary file in the same folder, then rename it over `path`."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file with mode 0600, so set the mode of the file it replaces.
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Record and replay the global patches that a runner's `__main__` applies to transformers.

Several runners patch library classes before loading: sps replaces
`GenerationMixin.assisted_decoding`, and lookahead (through lade's `augment_all`) replaces
`GenerationMixin.greedy_search` and adds methods to the Llama classes. Spec-Bench runs one runner
per process, but verification captures several runners in one process. lade's patch is not
idempotent (a second `augment_all` makes `greedy_search` call itself), and the ports may apply the
same patches. So the patches are recorded while the runner's `__main__` runs, undone right after,
and applied again only around calls of that runner's forward.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

# Packages whose module globals and classes are watched for patches.
WATCHED_PACKAGES = ("transformers",)

# Modules that Spec-Bench runners patch (sps: generation; lade: generation and Llama). They are
# imported before the snapshot, because transformers imports them lazily and a module first
# imported by the runner itself has no unpatched state to compare with.
PATCHED_MODULES = ("transformers.generation.utils", "transformers.models.llama.modeling_llama")

_ABSENT = object()

# Only attributes that hold code count as patches. Caches and handlers that libraries set while
# they run (such as the transformers logging handler) are data, so they stay as they are.
_CODE_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    classmethod,
    staticmethod,
    property,
    type,
    functools.partial,
)


def _is_code(value: Any) -> bool:
    return isinstance(value, _CODE_TYPES)


def _watched_modules() -> list[types.ModuleType]:
    modules = []
    for name, module in list(sys.modules.items()):
        if module is None or not isinstance(module, types.ModuleType):
            continue
        if any(name == package or name.startswith(package + ".") for package in WATCHED_PACKAGES):
            modules.append(module)
    return modules


def _classes_defined_in(module: types.ModuleType) -> list[type]:
    module_name = getattr(module, "__name__", None)
    namespace = getattr(module, "__dict__", {})
    return [value for value in list(namespace.values()) if isinstance(value, type) and value.__module__ == module_name]


@dataclass
class Snapshot:
    """Shallow copies of the watched module globals and class namespaces, keyed by owner id."""

    modules: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)


def take_snapshot() -> Snapshot:
    """Copy the namespaces of every loaded transformers module and of the classes defined there.

    The modules in `PATCHED_MODULES` are imported first.
    """
    for name in PATCHED_MODULES:
        importlib.import_module(name)

    snapshot = Snapshot()
    for module in _watched_modules():
        snapshot.modules[id(module)] = (module, dict(vars(module)))
        for cls in _classes_defined_in(module):
            snapshot.classes[id(cls)] = (cls, dict(vars(cls)))
    return snapshot


@dataclass(frozen=True)
class Patch:
    """One attribute a runner set: `owner.name` was `original` and became `patched`.

    `_ABSENT` as `original` means the runner added the attribute.
    """

    owner: Any
    name: str
    original: Any
    patched: Any


def _changed_class_attributes(cls: type, before: dict) -> list[Patch]:
    patches = []
    for name, value in list(vars(cls).items()):
        original = before.get(name, _ABSENT)
        if original is not value and (_is_code(value) or _is_code(original)):
            patches.append(Patch(cls, name, original, value))
    return patches


def _changed_module_globals(module: types.ModuleType, before: dict) -> list[Patch]:
    # Added module globals are not patches: lazy modules such as `transformers` cache every
    # attribute on first access.
    patches = []
    for name, original in before.items():
        value = vars(module).get(name, _ABSENT)
        if value is not _ABSENT and value is not original and (_is_code(value) or _is_code(original)):
            patches.append(Patch(module, name, original, value))
    return patches


def patches_since(snapshot: Snapshot) -> list[Patch]:
    """Return the attributes of watched modules and classes that changed since `snapshot`.

    NOTE: a transformers module first imported after the snapshot (other than `PATCHED_MODULES`)
    has no "before" state, so a patch applied to it is not seen.
    """
    patches = []
    for module, before in snapshot.modules.values():
        patches.extend(_changed_module_globals(module, before))
    for cls, before in snapshot.classes.values():
        patches.extend(_changed_class_attributes(cls, before))
    return patches


def _set(owner: Any, name: str, value: Any) -> None:
    if value is _ABSENT:
        if name in vars(owner):
            delattr(owner, name)
    else:
        setattr(owner, name, value)


def undo(patches: list[Patch]) -> None:
    """Put back the values the patched attributes had when the snapshot was taken."""
    for patch in reversed(patches):
        _set(patch.owner, patch.name, patch.original)


@contextmanager
def applied(patches: list[Patch]) -> Iterator[None]:
    """Apply `patches` inside the `with` block, then restore whatever the attributes held before."""
    saved = [(patch.owner, patch.name, vars(patch.owner).get(patch.name, _ABSENT)) for patch in patches]
    for patch in patches:
        _set(patch.owner, patch.name, patch.patched)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            _set(owner, name, value)

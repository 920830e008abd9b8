"""Run the CUDA-only idioms of original Spec-Bench runners on a machine without CUDA.

The original runners are verified as they are, without editing their files, so their CUDA idioms
have to resolve to the CPU. This module covers these idioms:

* `tensor.cuda()` and `module.cuda()` return the tensor or module unchanged (it stays on the CPU).
  These two methods are patched on `torch.Tensor` and `torch.nn.Module` while `cuda_on_cpu()` is
  active, for every caller, because a method cannot be patched for one module only. On a machine
  without CUDA the original methods raise, so no working call changes behaviour.
* In runner code only: `torch.device("cuda...")` and `torch.device(<int>)` return the CPU device, a
  `device="cuda..."` argument of any `torch.*` function becomes `"cpu"`, and `torch.cuda.synchronize()`
  and `torch.cuda.empty_cache()` do nothing.
* In runner code only: a `device_map="cuda..."` or `device="cuda..."` argument of `from_pretrained`
  on a class that the runner imported by name becomes `"cpu"`.

"Runner code" means the runner file itself, executed with the globals from `runner_globals()`.
Those globals carry their own `__builtins__` whose `__import__` hands the runner a view of `torch`
(also where a star import re-exports `torch`) and views of the modules it imports names from.
Library modules that the runner imports keep the real `torch`, so their own CUDA idioms are not
covered. The views remap devices only while `cuda_on_cpu()` is active and CUDA is unavailable;
otherwise they behave exactly like the objects they wrap.

Not covered: `tensor.to("cuda")`, `module.to("cuda")`, CUDA streams and events, and
`torch.cuda.set_device`.
"""

from __future__ import annotations

import builtins
import types
from contextlib import contextmanager
from typing import Any, Iterator

import torch

_active_depth = 0


def _remapping() -> bool:
    """Tell whether CUDA devices should resolve to the CPU right now."""
    return _active_depth > 0 and not torch.cuda.is_available()


def _is_cuda_device(value: Any) -> bool:
    """Tell whether `value` names a CUDA device: a "cuda..." string, a CUDA torch.device or an ordinal."""
    if isinstance(value, str):
        return value.startswith("cuda")
    if isinstance(value, torch.device):
        return value.type == "cuda"
    return isinstance(value, int) and not isinstance(value, bool)


def _map_device_kwargs(kwargs: dict, names: tuple[str, ...]) -> dict:
    """Return `kwargs` with every CUDA device among the keyword arguments `names` replaced by "cpu"."""
    if not _remapping():
        return kwargs

    mapped = dict(kwargs)
    for name in names:
        value = mapped.get(name)
        if value is not None and not isinstance(value, dict) and _is_cuda_device(value):
            mapped[name] = "cpu"

    return mapped


class _DeviceMeta(type):
    """Metaclass that makes `_Device(...)` build a real torch.device and `isinstance` test against it."""

    def __call__(cls, *args: Any, **kwargs: Any) -> torch.device:
        if _remapping() and args and _is_cuda_device(args[0]):
            return torch.device("cpu")
        return torch.device(*args, **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, torch.device)


class _Device(metaclass=_DeviceMeta):
    """Stand-in for `torch.device` inside runner code."""


def _with_cpu_device(function: Any) -> Any:
    """Wrap a torch function so that a CUDA `device=` argument resolves to the CPU while remapping."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **_map_device_kwargs(kwargs, ("device",)))

    call.__name__ = getattr(function, "__name__", "function")
    call.__doc__ = getattr(function, "__doc__", None)
    call.__wrapped__ = function
    return call


def _no_op(*args: Any, **kwargs: Any) -> None:
    return None


class _CudaNamespaceView(types.ModuleType):
    """View of `torch.cuda` in runner code: `synchronize` and `empty_cache` do nothing while remapping."""

    def __init__(self) -> None:
        super().__init__("torch.cuda")

    def __getattr__(self, name: str) -> Any:
        if name in ("synchronize", "empty_cache") and _remapping():
            return _no_op
        return getattr(torch.cuda, name)


class _TorchView(types.ModuleType):
    """View of the `torch` module in runner code that resolves CUDA devices to the CPU while remapping."""

    def __init__(self) -> None:
        super().__init__("torch")
        self.__dict__["_cuda_view"] = _CudaNamespaceView()

    def __getattr__(self, name: str) -> Any:
        if name == "device":
            return _Device
        if name == "cuda":
            return self.__dict__["_cuda_view"]

        value = getattr(torch, name)
        if isinstance(value, (types.BuiltinFunctionType, types.FunctionType)):
            return _with_cpu_device(value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(torch, name, value)


class _LoaderView:
    """View of a model, config or tokenizer class whose `from_pretrained` maps CUDA devices to the CPU.

    Every other attribute read, write and call goes to the class itself.
    """

    def __init__(self, loader_class: type) -> None:
        object.__setattr__(self, "_loader_class", loader_class)

    def __getattr__(self, name: str) -> Any:
        loader_class = object.__getattribute__(self, "_loader_class")
        value = getattr(loader_class, name)
        if name != "from_pretrained":
            return value

        def from_pretrained(*args: Any, **kwargs: Any) -> Any:
            return value(*args, **_map_device_kwargs(kwargs, ("device_map", "device")))

        return from_pretrained

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_loader_class"), name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_loader_class")(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<cuda_shim view of {object.__getattribute__(self, '_loader_class')!r}>"


_TORCH_VIEW = _TorchView()


def _view_of(value: Any) -> Any:
    """Return the object runner code should see in place of `value`."""
    if value is torch:
        return _TORCH_VIEW
    if isinstance(value, type) and hasattr(value, "from_pretrained"):
        return _LoaderView(value)
    return value


class _ModuleView:
    """View of a module that runner code imports names from, star imports included.

    A star import reads `__all__` and then each name through this view, so a re-exported `torch`
    also arrives as the torch view.
    """

    def __init__(self, module: types.ModuleType) -> None:
        object.__setattr__(self, "_module", module)

    @property
    def __all__(self) -> list[str]:
        module = object.__getattribute__(self, "_module")
        public = getattr(module, "__all__", None)
        if public is not None:
            return list(public)
        return [name for name in vars(module) if not name.startswith("_")]

    def __getattr__(self, name: str) -> Any:
        return _view_of(getattr(object.__getattribute__(self, "_module"), name))


def _runner_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = builtins.__import__(name, globals, locals, fromlist, level)

    if level == 0 and name.split(".")[0] == "torch" and not fromlist:
        return _TORCH_VIEW
    if module is torch:
        return _TORCH_VIEW
    if fromlist:
        return _ModuleView(module)
    return module


def runner_globals() -> dict:
    """Return initial globals for executing a runner file, with the import hook described above."""
    runner_builtins = dict(vars(builtins))
    runner_builtins["__import__"] = _runner_import
    return {"__builtins__": runner_builtins}


def _tensor_cuda(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return self


def _module_cuda(self: torch.nn.Module, *args: Any, **kwargs: Any) -> torch.nn.Module:
    return self


@contextmanager
def cuda_on_cpu() -> Iterator[None]:
    """Let the CUDA idioms listed in the module docstring run on the CPU inside the `with` block.

    On a machine with CUDA this changes nothing. Nested use is allowed, and the outermost exit
    restores `torch.Tensor.cuda` and `torch.nn.Module.cuda`.
    """
    global _active_depth

    patch = _active_depth == 0 and not torch.cuda.is_available()
    if patch:
        original_tensor_cuda = torch.Tensor.cuda
        original_module_cuda = torch.nn.Module.cuda
        torch.Tensor.cuda = _tensor_cuda
        torch.nn.Module.cuda = _module_cuda

    _active_depth += 1
    try:
        yield
    finally:
        _active_depth -= 1
        if patch:
            torch.Tensor.cuda = original_tensor_cuda
            torch.nn.Module.cuda = original_module_cuda

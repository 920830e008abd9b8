"""Run an original Spec-Bench runner and its forward function the way Spec-Bench's harness does.

`capture_runner` executes the runner file as `__main__` with a stand-in `evaluation.eval` module.
The stand-in's `run_eval` records the model, tokenizer, forward function and extra kwargs that the
runner passes, then stops the script before any question file is read. `run_forward` then calls
the forward function as `evaluation/eval.py` (Spec-Bench `main`) calls it for one prompt.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
import types
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from porter.runner import RUN_EVAL_PARAMETERS
from porter.verify.cuda_shim import cuda_on_cpu, runner_globals
from porter.verify.runner_patches import Patch, applied, patches_since, take_snapshot, undo

# Top-level packages of a Spec-Bench checkout that runners import from.
SPEC_BENCH_PACKAGES = ("evaluation", "model")


@dataclass
class CapturedRunner:
    """The arguments a runner's `__main__` passed to `run_eval`, and the state its forward needs.

    `namespace` is the runner's module globals. `env`, `spec_bench_root` and `global_patches`
    (what the runner's `__main__` patched in transformers) are applied again around each forward
    call, because some forwards read the environment (lookahead reads `USE_LADE`), import lazily,
    or rely on the patches.
    """

    forward: Callable
    model: Any
    tokenizer: Any
    forward_kwargs: dict
    namespace: dict
    env: dict = field(default_factory=dict)
    spec_bench_root: Path | None = None
    run_eval_kwargs: dict = field(default_factory=dict)
    global_patches: list[Patch] = field(default_factory=list)


@dataclass
class OriginalResult:
    """One forward call of an original runner.

    `output_ids` are the token ids after the prompt exactly as the forward returned them, so an
    EOS and anything after it stay. `wall_time` is in seconds.
    """

    output_ids: list[int]
    accept_lengths: list[int]
    new_token: int
    steps: int
    wall_time: float


class _RunEvalCalled(BaseException):
    """Raised by the stand-in `run_eval` to stop the runner script once its arguments are recorded.

    It derives from BaseException so that a runner's `except Exception` cannot swallow it.
    """

    def __init__(self, arguments: dict) -> None:
        super().__init__("run_eval called")
        self.arguments = arguments


def _reorg_answer_file(answer_file: str) -> None:
    return None


def _stand_in_eval_module() -> types.ModuleType:
    """Build a module that replaces `evaluation.eval` while a runner's `__main__` runs."""
    module = types.ModuleType("evaluation.eval")
    module.__doc__ = "Stand-in for Spec-Bench's evaluation.eval that records what a runner passes to run_eval."

    def run_eval(*args: Any, **kwargs: Any) -> None:
        if args:
            raise TypeError(
                "the runner passed positional arguments to run_eval; specport's stand-in "
                "only records keyword arguments, as every Spec-Bench main runner passes them"
            )
        raise _RunEvalCalled(kwargs)

    module.run_eval = run_eval
    module.reorg_answer_file = _reorg_answer_file
    return module


def _is_under(path_text: str | None, root: Path) -> bool:
    if not path_text:
        return False
    try:
        Path(path_text).resolve().relative_to(root)
    except ValueError:
        return False
    return True


def _module_is_under(module: types.ModuleType, root: Path) -> bool:
    """Tell whether a module (or namespace package) was loaded from files under `root`."""
    module_file = getattr(module, "__file__", None)
    if module_file:
        return _is_under(module_file, root)

    package_paths = list(getattr(module, "__path__", None) or [])
    return bool(package_paths) and all(_is_under(path, root) for path in package_paths)


def _forget_other_checkouts(root: Path) -> None:
    """Drop cached `evaluation` and `model` modules that came from another Spec-Bench checkout.

    Both branches of Spec-Bench use the same package names, so a runner from `main` would
    otherwise import the `latest-transformer` copy (or the reverse) from `sys.modules`.
    """
    for name in list(sys.modules):
        top_level = name.split(".")[0]
        if top_level not in SPEC_BENCH_PACKAGES or name == "evaluation.eval":
            continue

        module = sys.modules[name]
        if module is not None and not _module_is_under(module, root):
            del sys.modules[name]


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update({name: str(value) for name, value in env.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _inside_checkout(root: Path) -> Iterator[None]:
    """Put the Spec-Bench root first on `sys.path` and make it the working directory."""
    saved_path = list(sys.path)
    saved_cwd = os.getcwd()
    sys.path.insert(0, str(root))
    os.chdir(root)
    try:
        yield
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)


@contextmanager
def _stand_in_modules(replacements: Mapping[str, types.ModuleType]) -> Iterator[None]:
    saved = {name: sys.modules.get(name) for name in replacements}
    sys.modules.update(replacements)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextmanager
def _argv(arguments: list[str]) -> Iterator[None]:
    saved = list(sys.argv)
    sys.argv[:] = arguments
    try:
        yield
    finally:
        sys.argv[:] = saved


def _resolve_runner(spec_bench_root: Path, runner: Path) -> Path:
    runner = Path(runner)
    candidates = [runner] if runner.is_absolute() else [spec_bench_root / runner, Path.cwd() / runner]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()

    tried = ", ".join(str(candidate) for candidate in candidates)
    raise FileNotFoundError(f"runner file not found: tried {tried}; pass a path such as evaluation/inference_medusa.py")


def _execute_runner(runner: Path, arguments: list[str]) -> dict:
    """Run the runner as `__main__` and return the keyword arguments it passed to `run_eval`."""
    try:
        runpy.run_path(str(runner), init_globals=runner_globals(), run_name="__main__")
    except _RunEvalCalled as called:
        return called.arguments
    except SystemExit as error:
        raise RuntimeError(
            f"runner {runner.name} exited with status {error.code} before calling run_eval "
            f"(argv {arguments}); check its required flags"
        ) from error

    raise RuntimeError(
        f"runner {runner.name} finished without calling run_eval (argv {arguments}); "
        "only runners written for Spec-Bench's evaluation harness can be captured"
    )


def capture_runner(
    spec_bench_root: Path,
    runner: Path,
    flags: Sequence[str],
    env: Mapping[str, str],
) -> CapturedRunner:
    """Run a runner's `__main__` with `flags` and return what it passed to `run_eval`.

    The Spec-Bench root is first on `sys.path` and is the working directory during the run, and
    `env` is added to the environment. `sys.argv`, `sys.path`, the working directory, the
    environment and the replaced `sys.modules` entries are restored afterwards. Modules the runner
    imported stay loaded. Patches the runner applies to transformers (sps replaces
    `GenerationMixin.assisted_decoding`, lookahead `GenerationMixin.greedy_search`) are undone and
    kept in `global_patches`, so that runners and ports captured later in the same process start
    from unpatched classes.
    """
    root = Path(spec_bench_root).resolve()
    runner_path = _resolve_runner(root, Path(runner))
    arguments = [str(runner_path), *flags]
    _forget_other_checkouts(root)

    with (
        _environment(env),
        _inside_checkout(root),
        _argv(arguments),
        _stand_in_modules({"evaluation.eval": _stand_in_eval_module()}),
        cuda_on_cpu(),
    ):
        snapshot = take_snapshot()
        try:
            recorded = _execute_runner(runner_path, arguments)
        finally:
            global_patches = patches_since(snapshot)
            undo(global_patches)

    missing = [name for name in ("model", "tokenizer", "forward_func") if name not in recorded]
    if missing:
        raise RuntimeError(f"runner {runner_path.name} called run_eval without {', '.join(missing)}")

    forward = recorded["forward_func"]
    forward_kwargs = {name: value for name, value in recorded.items() if name not in RUN_EVAL_PARAMETERS}
    run_eval_kwargs = {name: value for name, value in recorded.items() if name in RUN_EVAL_PARAMETERS}

    return CapturedRunner(
        forward=forward,
        model=recorded["model"],
        tokenizer=recorded["tokenizer"],
        forward_kwargs=forward_kwargs,
        namespace=getattr(forward, "__globals__", {}),
        env=dict(env),
        spec_bench_root=root,
        run_eval_kwargs=run_eval_kwargs,
        global_patches=global_patches,
    )


def model_device(model: Any):
    """Return the device of a runner's model: its `device` attribute, else that of its first parameter."""
    import torch

    device = getattr(model, "device", None)
    if isinstance(device, (torch.device, str)):
        return torch.device(device)

    if isinstance(model, torch.nn.Module):
        for parameter in model.parameters():
            return parameter.device

    return torch.device("cpu")


def build_inputs(prompt_ids: Sequence[int], device: Any):
    """Build the BatchEncoding that `tokenizer([prompt], return_tensors="pt").to(device)` would return."""
    import torch
    from transformers import BatchEncoding

    input_ids = torch.tensor([list(prompt_ids)], dtype=torch.long)
    encoding = BatchEncoding({"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)})
    return encoding.to(device)


def _token_list(row: Any) -> list[int]:
    if hasattr(row, "tolist"):
        row = row.tolist()
    return [int(token) for token in row]


def _accept_length_list(accept_lengths: Any) -> list[int]:
    if hasattr(accept_lengths, "tolist"):
        accept_lengths = accept_lengths.tolist()
    return [int(length) for length in accept_lengths]


def run_forward(
    captured: CapturedRunner,
    prompt_ids: list[int],
    max_new_tokens: int,
    overrides: Mapping = {},
) -> OriginalResult:
    """Call the captured forward once on `prompt_ids` the way Spec-Bench's `get_model_answers` does.

    That means `model.eval()`, `torch.inference_mode()`, `torch.manual_seed(0)` (the seed of the
    first choice), and the call `forward(inputs, model, tokenizer, max_new_tokens, **kwargs)` with
    the recorded kwargs updated by `overrides`. `prompt_ids` must already start with BOS, as the
    tokenizer output does. The harness's three warm-up calls are not made. So state that a forward
    keeps across calls (medusa's buffers and KV cache on the model, recycling's `adj_matrix`) is
    fresh on the first call after capture, where the harness would have warmed it up.
    """
    import torch

    model = captured.model
    if hasattr(model, "eval"):
        model.eval()

    kwargs = {**captured.forward_kwargs, **overrides}
    root = captured.spec_bench_root

    with _environment(captured.env), applied(captured.global_patches), cuda_on_cpu(), torch.inference_mode():
        inputs = build_inputs(prompt_ids, model_device(model))
        torch.manual_seed(0)

        with _inside_checkout(root) if root is not None else nullcontext():
            started = time.perf_counter()
            returned = captured.forward(inputs, model, captured.tokenizer, max_new_tokens, **kwargs)
            wall_time = time.perf_counter() - started

    if not isinstance(returned, tuple) or len(returned) != 4:
        raise RuntimeError(
            f"forward {getattr(captured.forward, '__name__', captured.forward)!r} returned "
            f"{type(returned).__name__}, expected (output_ids, new_token, step, accept_length_list); "
            "for lookahead, set USE_LADE=1 in the runner env"
        )

    output_ids, new_token, steps, accept_lengths = returned
    prompt_length = len(prompt_ids)
    return OriginalResult(
        output_ids=_token_list(output_ids[0])[prompt_length:],
        accept_lengths=_accept_length_list(accept_lengths),
        new_token=int(new_token),
        steps=int(steps),
        wall_time=wall_time,
    )

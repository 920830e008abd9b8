"""Verify one generated model against its runner, in a process of its own.

Runners patch transformers for the whole process (sps replaces assisted decoding, lookahead the
greedy search) and load method packages under the shared name `model`, so `specport verify` runs
each method in a fresh interpreter: `python -m porter.verify.worker ...` prints one JSON object.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from porter.verify.compare import check_prompt


@dataclass
class VerifyOptions:
    device: str = "cpu"
    tokens: int = 32
    prompts: int = 4
    oracle: bool = True
    end_after: int = 20          # declare the greedy token at this position of prompt 0 the EOS; 0 keeps EOS
    seed: int = 0
    model_dir: Path | None = None
    draft_model_dir: Path | None = None


@dataclass
class MethodReport:
    method: str
    heads: str
    device: str
    tokens_match_runner: bool = False
    tokens_match_greedy: bool = False
    chunks_match_accept_lengths: bool = False
    token_times_valid: bool = False
    port_mean_accept_length: float = 0.0
    runner_mean_accept_length: float = 0.0
    runner_seconds: float = 0.0
    port_seconds: float = 0.0
    tokens: int = 0
    stopped_at_end_id: int = 0       # prompts whose output ended at the end id
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.problems


def _setup(method: str, options: VerifyOptions, workdir: Path, runner: Path, root: Path):
    from porter.verify.tiny import builder_for
    from porter.verify.tiny.base import COMMON_FLAGS, TinySetup

    if options.model_dir is None:
        return builder_for(method)(workdir, oracle=options.oracle, seed=options.seed)

    # Real weights: the runner gets its path flags, as the converter identified them.
    from porter.convert import convert_source
    from porter.files import checkout_reader

    conversion = convert_source(runner.read_text(), runner.name, read_source=checkout_reader(root))
    flags = [conversion.constructor.model_flag, str(options.model_dir)]
    if conversion.constructor.draft is not None and options.draft_model_dir is not None:
        flags += [conversion.constructor.draft.flag, str(options.draft_model_dir)]
    return TinySetup(method, options.model_dir, options.draft_model_dir, tuple(flags) + COMMON_FLAGS)


def _flag_values(flags: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for index, flag in enumerate(flags):
        if flag.startswith("--") and index + 1 < len(flags) and not flags[index + 1].startswith("--"):
            values[flag[2:].replace("-", "_")] = flags[index + 1]
    return values


def engine_options(engine_class: type, setup) -> dict:
    """Constructor options for the port from the runner's flags, its overrides and extra kwargs."""
    parameters = inspect.signature(engine_class.__init__).parameters
    options = {}
    for dest, text in _flag_values(setup.runner_flags).items():
        parameter = parameters.get(dest)
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY or dest in ("draft_model_dir", "device"):
            continue
        annotation = parameter.annotation
        if annotation in (int, float):
            options[dest] = annotation(text)
        elif annotation is bool:
            options[dest] = text.lower() in ("1", "true", "yes")
        else:
            options[dest] = text
    options.update(setup.port_kwargs)
    options.update(setup.forward_overrides)
    return options


def verify_method(generated: Path, runner: Path, root: Path, options: VerifyOptions) -> MethodReport:
    import torch

    from porter.verify.end_id import declare_end_id
    from porter.verify.original import capture_runner, run_forward
    from porter.verify.port import construct, load_generated, model_class, run_prompts
    from porter.verify.tiny.base import EOS_ID, default_prompts, greedy_decode, load_base_model

    method = generated.stem.removeprefix("specbench_")
    report = MethodReport(method, "oracle" if options.oracle else "random", options.device)
    torch.set_num_threads(1)   # the same reduction order on both sides, so ties break alike
    prompts = default_prompts(options.prompts, seed=options.seed)

    with tempfile.TemporaryDirectory(prefix=f"specport-verify-{method}-") as folder:
        setup = _setup(method, options, Path(folder), runner, root)

        # Greedy decoding of the base model is the second oracle; it also picks the end id.
        # Loaded on the device under test, so that greedy decoding uses the same arithmetic as both runs.
        base = load_base_model(setup.model_dir).to(options.device)
        overshoot = options.tokens + 64
        end_id = EOS_ID
        if options.end_after:
            end_id = greedy_decode(base, prompts[0], options.end_after, eos_id=None)[-1]
            declare_end_id(setup.model_dir, end_id)
        greedy = [greedy_decode(base, prompt, overshoot, eos_id=end_id) for prompt in prompts]
        del base

        captured = capture_runner(root, runner, setup.runner_flags, setup.env)
        originals = [run_forward(captured, prompt, options.tokens, setup.forward_overrides) for prompt in prompts]
        del captured

        # The port reads the same environment as the runner (lookahead's USE_LADE, for one).
        os.environ.update(setup.env)
        module = load_generated(generated, root)
        engine_class = model_class(module)
        engine = construct(engine_class, setup.model_dir, setup.draft_model_dir, options.device, engine_options(engine_class, setup))
        try:
            runs = run_prompts(engine, prompts, options.tokens, end_id)
        finally:
            engine.stop()

    checks = [
        check_prompt(index, run.chunks, run.token_times, original.output_ids, original.accept_lengths, greedy[index], end_id)
        for index, (run, original) in enumerate(zip(runs, originals))
    ]
    problems = [f"prompt {check.prompt_index}: {problem}" for check in checks for problem in check.problems]
    report.problems = problems
    report.tokens_match_runner = not any("runner's at position" in problem for problem in problems)
    report.tokens_match_greedy = not any("greedy decoding" in problem for problem in problems)
    report.chunks_match_accept_lengths = not any("chunk lengths" in problem for problem in problems)
    report.token_times_valid = not any("token_times" in problem or "empty" in problem for problem in problems)
    report.tokens = sum(check.tokens for check in checks)
    steps = sum(check.steps for check in checks)
    report.port_mean_accept_length = report.tokens / steps if steps else 0.0
    accepted = sum(sum(original.accept_lengths) for original in originals)
    runner_steps = sum(len(original.accept_lengths) for original in originals)
    report.runner_mean_accept_length = accepted / runner_steps if runner_steps else 0.0
    report.runner_seconds = sum(original.wall_time for original in originals)
    report.port_seconds = sum(run.wall_time for run in runs)
    report.stopped_at_end_id = sum(end_id in original.output_ids for original in originals)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify one generated model; prints a JSON report.")
    parser.add_argument("--generated", type=Path, required=True)
    parser.add_argument("--runner", type=Path, required=True)
    parser.add_argument("--spec-bench", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--heads", choices=("oracle", "random"), default="oracle")
    parser.add_argument("--end-after", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-dir", type=Path)
    parser.add_argument("--draft-model-dir", type=Path)
    parser.add_argument("--report", type=Path, required=True, help="File to write the JSON report to.")
    arguments = parser.parse_args(argv)
    options = VerifyOptions(
        device=arguments.device,
        tokens=arguments.tokens,
        prompts=arguments.prompts,
        oracle=arguments.heads == "oracle",
        end_after=arguments.end_after,
        seed=arguments.seed,
        model_dir=arguments.model_dir,
        draft_model_dir=arguments.draft_model_dir,
    )
    method = arguments.generated.stem.removeprefix("specbench_")
    try:
        report = verify_method(arguments.generated.resolve(), arguments.runner.resolve(), arguments.spec_bench.resolve(), options)
    except Exception:  # noqa: BLE001 - reported to the parent as this method's error
        report = MethodReport(method, arguments.heads, arguments.device, error=traceback.format_exc())
    # The runner prints to stdout, so the report goes to a file of its own.
    arguments.report.write_text(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

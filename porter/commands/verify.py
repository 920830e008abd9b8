"""`specport verify`: run generated models and their runners on tiny models and compare them."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from porter.files import spec_bench_root
from porter.verify.environment import INSTALL_HINT, missing_packages, version_warning
from porter.verify.report import LEGEND, table


class Heads(str, enum.Enum):
    ORACLE = "oracle"
    RANDOM = "random"
    BOTH = "both"


class Device(str, enum.Enum):
    CPU = "cpu"
    CUDA = "cuda"


COMMAND = dict(
    name="verify",
    help="Check that generated models produce exactly what their runners produce. For each model it "
    "builds tiny random models in the layout the method loads (or uses --model-dir), runs the runner's "
    "forward the way Spec-Bench's harness does and the generated class through specdec_bench's "
    "contract, and compares tokens (with each other and with greedy decoding), chunk lengths with "
    "accept lengths, and token_times. Each model is checked in a process of its own. Needs torch and "
    "transformers. Exit codes: 0 all match, 1 a mismatch or error, 2 invalid input.",
)


def verify_command(
    generated: Annotated[list[Path], typer.Argument(help="Generated model files (specbench_<method>.py).")],
    runner: Annotated[
        Optional[Path],
        typer.Option("--runner", help="The runner the model came from, when verifying one file. "
                     "Default: <checkout>/evaluation/inference_<method>.py.", show_default=False),
    ] = None,
    spec_bench: Annotated[
        Optional[Path],
        typer.Option("--spec-bench", help="Spec-Bench checkout root (the runners import its model/ package). "
                     "Default: $SPEC_BENCH_PATH, else ./Spec-Bench.", show_default=False),
    ] = None,
    device: Annotated[Device, typer.Option("--device", help="Device for both runs.")] = Device.CPU,
    tokens: Annotated[int, typer.Option("--tokens", min=1, help="New tokens per prompt (max_new_tokens).")] = 32,
    prompts: Annotated[int, typer.Option("--prompts", min=1, help="Prompts per model.")] = 4,
    heads: Annotated[
        Heads,
        typer.Option("--heads", help="oracle: drafters built to agree with the base model, so several "
                     "tokens are accepted a step; random: random drafters, so rejections happen; both."),
    ] = Heads.BOTH,
    end_after: Annotated[
        int,
        typer.Option("--end-after", min=0, help="Declare the base model's greedy token at this position of "
                     "the first prompt its EOS, so that end-of-sequence handling runs; 0 keeps the "
                     "tokenizer's EOS."),
    ] = 20,
    model_dir: Annotated[
        Optional[Path], typer.Option("--model-dir", help="Real target weights instead of tiny ones.", show_default=False)
    ] = None,
    draft_model_dir: Annotated[
        Optional[Path], typer.Option("--draft-model-dir", help="Real draft weights, with --model-dir.", show_default=False)
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON report per line instead of the table.")] = False,
) -> None:
    """Verify generated models against their runners."""
    missing = missing_packages()
    if missing:
        typer.echo(f"error: specport verify needs {', '.join(missing)}; {INSTALL_HINT}", err=True)
        raise typer.Exit(code=2)
    root = spec_bench_root(spec_bench)
    if runner is not None and len(generated) != 1:
        typer.echo("error: --runner names the runner of one generated file; pass a single file", err=True)
        raise typer.Exit(code=2)
    jobs = []
    for path in generated:
        if not path.stem.startswith("specbench_") and runner is None:
            typer.echo(
                f"error: {path} is not named like a generated model (specbench_<method>.py), so its runner "
                "is unknown. Pass a file written by specport convert, or name the runner with --runner.",
                err=True,
            )
            raise typer.Exit(code=2)
        method = path.stem.removeprefix("specbench_")
        source = runner or root / "evaluation" / f"inference_{method}.py"
        if not path.is_file():
            typer.echo(f"error: generated file not found: {path}", err=True)
            raise typer.Exit(code=2)
        if not source.is_file():
            typer.echo(f"error: runner not found: {source}. Pass --runner or --spec-bench.", err=True)
            raise typer.Exit(code=2)
        jobs.append((path, source))
    warning = version_warning(root)
    if warning:
        typer.echo(warning, err=True)

    variants = ["oracle", "random"] if heads is Heads.BOTH else [heads.value]
    reports = []
    for path, source in jobs:
        for variant in variants:
            reports.append(_run_worker(path, source, root, device.value, tokens, prompts, variant, end_after, model_dir, draft_model_dir))
            if not json_output:
                typer.echo(f"verified {path.name} ({variant} heads): {'pass' if _passed(reports[-1]) else 'FAIL'}", err=True)

    if json_output:
        for report in reports:
            typer.echo(json.dumps(report, sort_keys=True))
    else:
        typer.echo(table(reports), nl=False)
        typer.echo(LEGEND)
        for report in reports:
            for problem in report["problems"][:5]:
                typer.echo(f"{report['method']} ({report['heads']}): {problem}")
            if report["error"]:
                typer.echo(f"{report['method']} ({report['heads']}): error:\n{report['error']}")
    raise typer.Exit(code=0 if all(_passed(report) for report in reports) else 1)


def _passed(report: dict) -> bool:
    return report["error"] is None and not report["problems"]


def _run_worker(generated, runner, root, device, tokens, prompts, heads, end_after, model_dir, draft_model_dir) -> dict:
    with tempfile.TemporaryDirectory(prefix="specport-verify-") as folder:
        report_path = Path(folder) / "report.json"
        command = [
            sys.executable, "-m", "porter.verify.worker",
            "--generated", str(generated), "--runner", str(runner), "--spec-bench", str(root),
            "--device", device, "--tokens", str(tokens), "--prompts", str(prompts), "--heads", heads,
            "--end-after", str(end_after), "--report", str(report_path),
        ]
        if model_dir is not None:
            command += ["--model-dir", str(model_dir)]
        if draft_model_dir is not None:
            command += ["--draft-model-dir", str(draft_model_dir)]
        completed = subprocess.run(command, capture_output=True, text=True)
        if not report_path.is_file():
            return {
                "method": generated.stem.removeprefix("specbench_"), "heads": heads, "device": device,
                "problems": [], "error": f"the verification process exited with {completed.returncode}:\n{completed.stderr[-4000:]}",
            }
        return json.loads(report_path.read_text())

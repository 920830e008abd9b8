"""Generated classes run through the specdec_bench contract and match their runner's forward.

The runners under tests/fakebench use fake models whose next token after t is (t + 1) % 50, so
the expected tokens are known without running the original: after the prompt's last token p,
they are p + 1, p + 2, ... up to the EOS token 2, which run() leaves out.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import types
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from porter.convert import convert_source  # noqa: E402
from porter.files import checkout_reader  # noqa: E402

FAKEBENCH = Path(__file__).parent / "fakebench"
EOS = 2


def expected_tokens(prompt: list[int]) -> list[int]:
    tokens = []
    token = prompt[-1]
    while True:
        token = (token + 1) % 50
        if token == EOS:
            return tokens
        tokens.append(token)


@pytest.fixture
def isolated_imports(monkeypatch):
    """Let the fake tree's `model` and `evaluation` packages load, then forget them."""
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] in ("model", "evaluation")}
    for name in saved:
        del sys.modules[name]
    monkeypatch.setenv("SPEC_BENCH_PATH", str(FAKEBENCH))
    monkeypatch.syspath_prepend(str(FAKEBENCH))
    fastchat_utils = types.ModuleType("fastchat.utils")
    fastchat_utils.str_to_torch_dtype = lambda name: getattr(torch, name) if name else None
    monkeypatch.setitem(sys.modules, "fastchat", types.ModuleType("fastchat"))
    monkeypatch.setitem(sys.modules, "fastchat.utils", fastchat_utils)
    yield
    for name in [name for name in sys.modules if name.split(".")[0] in ("model", "evaluation")]:
        del sys.modules[name]
    sys.modules.update(saved)


def load(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def port(method: str, tmp_path: Path, edit=lambda code: code) -> types.ModuleType:
    runner = FAKEBENCH / "evaluation" / f"inference_{method}.py"
    code = convert_source(runner.read_text(), f"evaluation/{runner.name}", read_source=checkout_reader(FAKEBENCH)).code
    target = tmp_path / f"specbench_{method}.py"
    target.write_text(edit(code))
    return load(target, f"generated_{method}_{id(tmp_path)}")


def run_port(module, class_name: str, prompt: list[int], max_length: int = 200, **options):
    engine = getattr(module, class_name)("unused", 1, {"temperature": 0.0}, device="cpu", **options)
    try:
        return asyncio.run(engine.run(prompt, max_length, EOS, request_id=0, turn_id=0))
    finally:
        engine.stop()


def check_contract(result: dict, prompt: list[int]) -> list[list[int]]:
    chunks = result["output_ids"][0]
    times = result["token_times"]
    assert result["output_logits"] is None
    assert all(chunks), "a decoding step without tokens was returned"
    assert len(times) == len(chunks) + 1
    assert all(later >= earlier for earlier, later in zip(times, times[1:]))
    assert [token for chunk in chunks for token in chunk] == expected_tokens(prompt)
    return chunks


@pytest.mark.parametrize(("prompt", "stride"), [([1, 5, 6], 3), ([1, 40], 4), ([1, 47], 1), ([1, 0, 1], 5)])
def test_inline_loop_port(tmp_path, isolated_imports, prompt, stride):
    module = port("stride", tmp_path)
    chunks = check_contract(run_port(module, "SpecBenchStrideModel", prompt, stride=stride, dtype="float32"), prompt)
    total = len(expected_tokens(prompt))
    assert [len(chunk) for chunk in chunks] == [stride] * (total // stride) + ([total % stride] if total % stride else [])


def test_inline_loop_port_matches_the_runner(tmp_path, isolated_imports):
    runner = load(FAKEBENCH / "evaluation" / "inference_stride.py", "fake_runner_stride")
    prompt = [1, 30, 31]
    model = runner.FakeModel()
    inputs = types.SimpleNamespace(input_ids=torch.tensor([prompt]), attention_mask=torch.ones(1, 3))
    output_ids, _, _, accept_lengths = runner.stride_forward(inputs, model, runner.FakeTokenizer(), 200, stride=3)
    original = output_ids[0, len(prompt):].tolist()
    original = original[: original.index(EOS)]

    result = run_port(port("stride", tmp_path), "SpecBenchStrideModel", prompt, stride=3, dtype="float32")
    assert [token for chunk in result["output_ids"][0] for token in chunk] == original
    assert [len(chunk) for chunk in result["output_ids"][0]][:-1] == accept_lengths[: len(result["output_ids"][0]) - 1]


def test_streamer_port(tmp_path, isolated_imports):
    prompt = [1, 20]
    chunks = check_contract(run_port(port("streamed", tmp_path), "SpecBenchStreamedModel", prompt), prompt)
    assert all(len(chunk) == 1 for chunk in chunks)


def test_forward_hook_port(tmp_path, isolated_imports):
    prompt = [1, 10]
    chunks = check_contract(run_port(port("blocks", tmp_path), "SpecBenchBlocksModel", prompt, block=4), prompt)
    assert [len(chunk) for chunk in chunks[:-1]] == [4] * (len(chunks) - 1)


def test_port_stops_at_max_length(tmp_path, isolated_imports):
    prompt = [1, 5]
    result = run_port(port("stride", tmp_path), "SpecBenchStrideModel", prompt, max_length=7, stride=3, dtype="float32")
    tokens = [token for chunk in result["output_ids"][0] for token in chunk]
    # The runner stops once new_token > max_new_tokens, so it overshoots by up to one step.
    assert tokens == expected_tokens(prompt)[:9]


def test_dropped_timing_append_is_caught(tmp_path, isolated_imports):
    def drop_step_timestamp(code: str) -> str:
        return code.replace("timing.append(synchronized_perf_counter(self.device))", "pass")

    module = port("stride", tmp_path, edit=drop_step_timestamp)
    with pytest.raises(RuntimeError, match="timestamps for"):
        run_port(module, "SpecBenchStrideModel", [1, 5], stride=3, dtype="float32")


def test_unknown_engine_argument_is_rejected(tmp_path, isolated_imports):
    module = port("stride", tmp_path)
    with pytest.raises(TypeError, match="strde"):
        module.SpecBenchStrideModel("unused", 1, {}, device="cpu", strde=3)


def test_concurrency_above_one_is_rejected(tmp_path, isolated_imports):
    module = port("stride", tmp_path)
    with pytest.raises(ValueError, match="--concurrency 1"):
        module.SpecBenchStrideModel("unused", 4, {}, device="cpu")


def test_specdec_bench_arguments_are_accepted(tmp_path, isolated_imports):
    module = port("stride", tmp_path)
    engine = module.SpecBenchStrideModel(
        "unused", 1, {}, device="cpu", speculative_algorithm="NONE", draft_model_dir=None,
        speculative_num_steps=3, speculative_num_draft_tokens=None, tensor_parallel_size=1,
        moe_expert_parallel_size=1, trust_remote_code=False, tokenizer_path="unused",
    )
    engine.stop()
    assert not hasattr(engine, "model")

"""`capture_runner` and `run_forward` on a small fake Spec-Bench checkout written by the test."""

import os
import sys
import textwrap

import pytest
import torch
import transformers

from porter.verify.original import capture_runner, run_forward

RUNNER = textwrap.dedent("""
    import argparse
    import os

    import torch
    from transformers import GenerationMixin

    from evaluation.eval import run_eval, reorg_answer_file

    SEEN = []


    class FakeModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))


    def fake_forward(inputs, model, tokenizer, max_new_tokens, step_size=1):
        input_ids = inputs.input_ids.cuda()
        marker = torch.tensor([7], device=torch.device("cuda:0"))
        SEEN.append({
            "inference_mode": torch.is_inference_mode_enabled(),
            "training": model.training,
            "keys": sorted(inputs.keys()),
            "attention_mask": inputs.attention_mask.tolist(),
            "step_size": step_size,
            "patched": hasattr(GenerationMixin, "_specport_test_patch"),
            "env": os.environ.get("FAKE_RUNNER_ENV"),
            "marker_device": marker.device.type,
        })
        new_tokens = torch.arange(max_new_tokens) + 10
        output_ids = torch.cat([input_ids[0], new_tokens])[None]
        return output_ids, max_new_tokens, max_new_tokens // step_size, [step_size] * (max_new_tokens // step_size)


    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--model-id", required=True)
        parser.add_argument("--step-size", type=int, default=1)
        args = parser.parse_args()

        CWD = os.getcwd()
        ENV = os.environ.get("FAKE_RUNNER_ENV")
        GenerationMixin._specport_test_patch = lambda self: "patched"

        model = FakeModel()
        model.train()
        MODE = __BEHAVIOUR__
        if MODE != "skip run_eval":
            run_eval(
                model=model,
                tokenizer="tokenizer",
                forward_func=fake_forward,
                model_id=args.model_id,
                question_file="data/mt_bench/question.jsonl",
                question_begin=None,
                question_end=None,
                answer_file=None,
                max_new_tokens=1024,
                num_choices=1,
                num_gpus_per_model=1,
                num_gpus_total=1,
                step_size=args.step_size,
            )
            raise RuntimeError("run_eval did not stop the runner")
    """)


def write_checkout(root, behaviour="call run_eval"):
    (root / "evaluation").mkdir(parents=True)
    (root / "evaluation" / "__init__.py").write_text("")
    (root / "evaluation" / "eval.py").write_text("raise ImportError('the real evaluation.eval must not be imported')\n")
    runner = root / "evaluation" / "inference_fake.py"
    runner.write_text(RUNNER.replace("__BEHAVIOUR__", repr(behaviour)))
    return runner


@pytest.fixture
def checkout(tmp_path):
    root = tmp_path / "Spec-Bench"
    write_checkout(root)
    return root


@pytest.fixture
def captured(checkout, monkeypatch):
    monkeypatch.delenv("FAKE_RUNNER_ENV", raising=False)
    return capture_runner(
        checkout,
        "evaluation/inference_fake.py",
        ["--model-id", "fake", "--step-size", "2"],
        {"FAKE_RUNNER_ENV": "set"},
    )


def test_capture_records_run_eval_arguments(captured):
    assert captured.forward.__name__ == "fake_forward"
    assert type(captured.model).__name__ == "FakeModel"
    assert captured.tokenizer == "tokenizer"
    assert captured.forward_kwargs == {"step_size": 2}


def test_capture_runs_inside_checkout(captured, checkout):
    assert captured.namespace["CWD"] == str(checkout.resolve())
    assert captured.namespace["ENV"] == "set"
    assert captured.namespace["MODE"] == "call run_eval"


def test_capture_restores_process_state(checkout, monkeypatch):
    monkeypatch.delenv("FAKE_RUNNER_ENV", raising=False)
    argv = list(sys.argv)
    path = list(sys.path)
    cwd = os.getcwd()
    eval_module = sys.modules.get("evaluation.eval")

    capture_runner(checkout, "evaluation/inference_fake.py", ["--model-id", "fake"], {"FAKE_RUNNER_ENV": "set"})

    assert sys.argv == argv
    assert sys.path == path
    assert os.getcwd() == cwd
    assert "FAKE_RUNNER_ENV" not in os.environ
    assert sys.modules.get("evaluation.eval") is eval_module


def test_capture_undoes_runner_patches(captured):
    assert not hasattr(transformers.GenerationMixin, "_specport_test_patch")
    assert [patch.name for patch in captured.global_patches] == ["_specport_test_patch"]


def test_run_forward_calls_like_harness(captured):
    result = run_forward(captured, [1, 5, 6], 4)
    seen = captured.namespace["SEEN"][-1]

    assert seen["inference_mode"] is True
    assert seen["training"] is False
    assert seen["keys"] == ["attention_mask", "input_ids"]
    assert seen["attention_mask"] == [[1, 1, 1]]
    assert seen["step_size"] == 2
    assert seen["patched"] is True
    assert seen["env"] == "set"
    assert result.output_ids == [10, 11, 12, 13]
    assert result.accept_lengths == [2, 2]
    assert (result.new_token, result.steps) == (4, 2)


def test_run_forward_restores_after_call(captured, monkeypatch):
    monkeypatch.delenv("FAKE_RUNNER_ENV", raising=False)

    run_forward(captured, [1, 5], 2)

    assert not hasattr(transformers.GenerationMixin, "_specport_test_patch")
    assert "FAKE_RUNNER_ENV" not in os.environ


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA idioms run natively where CUDA is available")
def test_run_forward_cuda_idioms_on_cpu(captured):
    run_forward(captured, [1, 5], 2)

    assert captured.namespace["SEEN"][-1]["marker_device"] == "cpu"


def test_run_forward_overrides_kwargs(captured):
    run_forward(captured, [1, 5], 4, {"step_size": 4})

    assert captured.namespace["SEEN"][-1]["step_size"] == 4


def test_capture_missing_flag_reports_exit(checkout, capsys):
    with pytest.raises(RuntimeError, match="exited with status 2"):
        capture_runner(checkout, "evaluation/inference_fake.py", [], {})


def test_capture_without_run_eval_reports(tmp_path):
    root = tmp_path / "Spec-Bench"
    write_checkout(root, behaviour="skip run_eval")

    with pytest.raises(RuntimeError, match="without calling run_eval"):
        capture_runner(root, "evaluation/inference_fake.py", ["--model-id", "fake"], {})


def test_capture_missing_runner_file(checkout):
    with pytest.raises(FileNotFoundError, match="runner file not found"):
        capture_runner(checkout, "evaluation/inference_none.py", [], {})

"""Inputs the converter cannot port: one finding with file, line and construct, and no output."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from porter.convert import convert_source
from porter.findings import PortError

FIXTURES = Path(__file__).parent / "fixtures" / "specbench"


def no_modules(module: str):
    return None


def error_of(source: str, path: str = "evaluation/inference_x.py"):
    with pytest.raises(PortError) as raised:
        convert_source(textwrap.dedent(source), path, read_source=no_modules)
    return raised.value.finding


def fixture_error(name: str):
    path = FIXTURES / "evaluation" / f"inference_{name}.py"
    with pytest.raises(PortError) as raised:
        convert_source(path.read_text(), f"evaluation/{path.name}", read_source=no_modules)
    return raised.value.finding


def test_syntax_error_names_its_line():
    finding = fixture_error("broken_syntax")
    assert finding.line == 15
    assert finding.construct == "syntax"
    assert finding.path == "evaluation/inference_broken_syntax.py"


def test_file_without_run_eval_is_not_a_runner():
    finding = fixture_error("notarunner")
    assert "not a Spec-Bench runner" in finding.message
    assert finding.suggestion
    assert finding.line == line_of(FIXTURES / "evaluation" / "inference_notarunner.py", "if __name__")


@pytest.mark.parametrize("header", ["", '"""Docstring."""\n', "# comment\n\n"], ids=["bare", "docstring", "comment"])
def test_line_numbers_count_from_the_file_start(header):
    source = header + textwrap.dedent(runner("def f(inputs, model, tokenizer, max_new_tokens, **kw):\n    return 1, 2, 3, []\n"))
    finding = error_of(source)
    assert finding.line == line_of(source, "def f(")


def line_of(path_or_source, text: str) -> int:
    source = path_or_source.read_text() if isinstance(path_or_source, Path) else path_or_source
    return next(number for number, line in enumerate(source.splitlines(), start=1) if text in line)


def test_global_in_forward_is_unportable():
    finding = fixture_error("unportable")
    assert finding.construct == "global calls_served"
    assert finding.line == line_of(FIXTURES / "evaluation" / "inference_unportable.py", "global calls_served")


RUNNER = '''
import argparse
from evaluation.eval import run_eval
from transformers import AutoModelForCausalLM


{forward}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=str)
    args = parser.parse_args()
    model = AutoModelForCausalLM.from_pretrained(args.model_path, device_map="auto")
    run_eval(model=model, tokenizer=None, forward_func={name}, model_id="x", question_file=None,
             question_begin=None, question_end=None, answer_file=None, max_new_tokens=8,
             num_choices=1, num_gpus_per_model=1, num_gpus_total=1{extra})
'''


def runner(forward: str, name: str = "f", extra: str = "") -> str:
    return RUNNER.format(forward=textwrap.dedent(forward).strip(), name=name, extra=extra)


@pytest.mark.parametrize(
    ("forward", "extra", "construct", "words"),
    [
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens, **kw):\n    return 1, 2, 3, []\n",
            "", "def f(..., *args/**kwargs)", "**kwargs", id="kwargs",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    yield 1\n",
            "", "yield", "generator", id="generator",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    a = model.g(inputs)\n    return 1, 2, 3, a\n",
            "", "inputs (used as a whole)", "other than through input_ids", id="inputs-as-a-whole",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    out = model.generate(inputs.input_ids)\n    return out\n",
            "", "return ...", "must return", id="return-shape",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    a = []\n    return 1, 2, 3, a\n",
            "", "a.append(...)", "cannot find the decoding steps", id="no-decoding-step",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    timing = []\n    a = model.g(inputs.input_ids)\n    return 1, 2, 3, a\n",
            "", "timing", "already uses the name", id="reserved-name",
        ),
        pytest.param(
            "def f(inputs, model, tokenizer, max_new_tokens):\n    a = model.g(inputs.input_ids)\n    return 1, 2, 3, a\n",
            ", stride=3", "run_eval(..., stride=...)", "does not take", id="unknown-forward-argument",
        ),
    ],
)
def test_unportable_forward(forward, extra, construct, words):
    finding = error_of(runner(forward, extra=extra))
    assert finding.construct == construct
    assert words in finding.message
    assert finding.line is not None
    assert finding.suggestion


def test_forward_func_must_be_defined_in_the_runner():
    source = runner("def f(inputs, model, tokenizer, max_new_tokens):\n    pass\n", name="g")
    finding = error_of(source)
    assert "is not defined" in finding.message


def test_eval_of_an_expression_is_unportable():
    source = runner(
        "def f(inputs, model, tokenizer, max_new_tokens, tree=None):\n    a = model.g(inputs.input_ids)\n    return 1, 2, 3, a\n",
        extra=", tree=eval('[[0]]')",
    )
    finding = error_of(source)
    assert "eval()" in finding.message


def test_ambiguous_model_path_asks_for_configuration():
    source = runner("def f(inputs, model, tokenizer, max_new_tokens):\n    a = model.g(inputs.input_ids)\n    return 1, 2, 3, a\n")
    source = source.replace(
        'parser.add_argument("--model-path", type=str)',
        'parser.add_argument("--first-path", type=str)\n    parser.add_argument("--second-path", type=str)',
    ).replace("from_pretrained(args.model_path,", "from_pretrained(args.first_path, args.second_path,")
    finding = error_of(source)
    assert "model-dir" in finding.suggestion


def test_no_main_block():
    finding = error_of("def f():\n    pass\n")
    assert "no __main__ block" in finding.message

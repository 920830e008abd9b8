"""How a runner's __main__ and flags become the generated __init__."""

from __future__ import annotations

import inspect
import textwrap
import types

import pytest

from porter.convert import convert_source

RUNNER = '''
import argparse
import os
from evaluation.eval import run_eval
from transformers import AutoModelForCausalLM
from model.tree.utils import *


def f(inputs, model, tokenizer, max_new_tokens, top_p=0.0, choices=None, width=4):
    accepted = model.decode(inputs.input_ids, top_p, choices, width)
    return 1, 2, 3, accepted


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-path", type=str, required=True)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--top-p", type=float, default=0.0)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--store", type=str, required=True)
    parser.add_argument("--choices", type=str, default="tree_a")
    parser.add_argument("--unused-flag", type=int, default=3)
    parser.add_argument("--answer-file", type=str)
    args = parser.parse_args()

    args.choices = eval(args.choices)
    if args.temperature == 0:
        args.top_p = 0
    print(f"Output to {args.answer_file}")
    if int(os.environ.get("USE_TREE", 0)):
        print("tree on")
    model = AutoModelForCausalLM.from_pretrained(args.model_path, top_k=args.top_k, revision=args.store, device_map="auto")

    run_eval(model=model, tokenizer=None, forward_func=f, model_id="x", question_file=None,
             question_begin=None, question_end=None, answer_file=args.answer_file, max_new_tokens=8,
             num_choices=1, num_gpus_per_model=1, num_gpus_total=1,
             top_p=args.top_p, choices=args.choices)
'''

MODULES = {"model.tree.utils": "tree_a = [[0]]\ntree_b = [[1]]\n"}


@pytest.fixture(scope="module")
def conversion():
    return convert_source(textwrap.dedent(RUNNER), "evaluation/inference_tree.py", read_source=MODULES.get)


@pytest.fixture(scope="module")
def signature(conversion):
    module = types.ModuleType("generated_tree")
    exec(compile(conversion.code, "generated_tree.py", "exec", dont_inherit=True), module.__dict__)
    return inspect.signature(module.SpecBenchTreeModel.__init__).parameters


def test_loading_top_k_is_engine_argument(signature):
    assert signature["top_k"].default == 10
    assert signature["top_k"].annotation is int


def test_sampling_flags_read_sampling_kwargs(conversion, signature):
    assert "top_p" not in signature
    assert "temperature" not in signature
    assert 'top_p = sampling_kwargs.get("top_p", 0.0)' in conversion.code
    assert 'temperature = sampling_kwargs.get("temperature", 0.0)' in conversion.code


def test_required_flag_has_no_default(signature):
    assert signature["store"].default is inspect.Parameter.empty


def test_unused_flags_are_left_out(signature):
    assert "unused_flag" not in signature
    assert "answer_file" not in signature


def test_forward_default_becomes_typed_argument(signature):
    assert signature["width"].default == 4
    assert signature["width"].annotation is int


def test_eval_of_a_flag_becomes_a_lookup(conversion):
    assert 'choices = named_object(choices, ("model.tree.utils",))' in conversion.code
    assert "eval(choices" not in conversion.code
    assert "eval(args" not in conversion.code


def test_conditional_flag_assignment_is_kept(conversion):
    assert "if temperature == 0:\n            top_p = 0" in conversion.code


def test_prints_go_and_setup_blocks_stay(conversion):
    assert "print(" not in conversion.code
    assert 'if int(os.environ.get("USE_TREE", 0)):\n            pass' not in conversion.code


def test_environment_read_in_kept_code_is_noted():
    source = textwrap.dedent(RUNNER).replace(
        'model = AutoModelForCausalLM.from_pretrained(args.model_path, top_k=args.top_k, revision=args.store, device_map="auto")',
        'model = AutoModelForCausalLM.from_pretrained(args.model_path, top_k=int(os.environ.get("TOP", 1)), device_map="auto")',
    )
    conversion = convert_source(source, "evaluation/inference_tree.py", read_source=MODULES.get)
    assert any("environment variable TOP" in note.message for note in conversion.notes)


def test_device_map_is_the_ports_device(conversion):
    assert 'device_map={"": self.device}' in conversion.code

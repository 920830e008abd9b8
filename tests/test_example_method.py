"""Checks of the shipped example method, prompt lookup decoding in examples/minibench.

The forward function must produce exactly the tokens of plain greedy decoding (it is lossless), must
accept more than one token a step where the text repeats, and the runner's `__main__` must write
answers end to end. Everything runs on a CPU with a tiny random Llama built in a temporary folder.
"""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

EXAMPLE_ROOT = Path(__file__).resolve().parents[1] / "examples" / "minibench"
EXAMPLE_PACKAGES = ("evaluation", "model")

VOCAB_SIZE = 1000
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]

PROMPTS = [
    "",
    "Hello there.",
    "What is 12 times 7?",
    "x",
    "the cat sat on the mat. " * 4,
]
REPETITIVE_PROMPT = PROMPTS[-1]
MAX_NEW_TOKENS = 64


def build_tokenizer(folder):
    """Save a character-level fast tokenizer that gives every id of the tiny vocabulary a character."""
    printable = [chr(code) for code in range(32, 127)] + ["\n"]
    extended = [chr(0x100 + offset) for offset in range(VOCAB_SIZE - len(SPECIAL_TOKENS) - len(printable))]
    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS + printable + extended)}

    # BPE without merges splits the text into single characters.
    backend = tokenizers.Tokenizer(tokenizers.models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    backend.post_processor = tokenizers.processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", BOS_ID)]
    )
    backend.decoder = tokenizers.decoders.Fuse()

    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.save_pretrained(folder)


def build_model(folder, seed=0):
    config = transformers.LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=2048,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
    )
    torch.manual_seed(seed)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)


@contextmanager
def example_on_path():
    """Import from examples/minibench, then restore the `evaluation` and `model` modules seen before.

    Spec-Bench checkouts use the same top-level package names, so other tests may have cached theirs.
    """
    saved_path = list(sys.path)
    saved_modules = {
        name: module for name, module in sys.modules.items() if name.split(".")[0] in EXAMPLE_PACKAGES
    }
    for name in saved_modules:
        del sys.modules[name]
    sys.path.insert(0, str(EXAMPLE_ROOT))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [name for name in sys.modules if name.split(".")[0] in EXAMPLE_PACKAGES]:
            del sys.modules[name]
        sys.modules.update(saved_modules)


@pytest.fixture(scope="module")
def example():
    with example_on_path():
        import evaluation.inference_ngram as runner
        import model.ngram.utils as utils

        yield runner, utils


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_llama")
    build_tokenizer(folder)
    build_model(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir, torch_dtype=torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model_dir)
    model.eval()
    return model, tokenizer


def greedy_tokens(model, inputs, max_new_tokens):
    output = model.generate(**inputs, do_sample=False, max_new_tokens=max_new_tokens, pad_token_id=PAD_ID)
    return output[0, inputs.input_ids.shape[1] :].tolist()


def cut_after_eos(tokens):
    """Keep tokens up to and including the first EOS, because generate() stops there."""
    if EOS_ID in tokens:
        return tokens[: tokens.index(EOS_ID) + 1]
    return tokens


def run_forward(runner, model, tokenizer, prompt, **kwargs):
    inputs = tokenizer([prompt], return_tensors="pt")
    with torch.inference_mode():
        output_ids, new_token, steps, accept_lengths = runner.ngram_forward(
            inputs, model, tokenizer, MAX_NEW_TOKENS, **kwargs
        )
    return inputs, output_ids, new_token, steps, accept_lengths


def make_cache_tensors(num_layers, length):
    """Return per-layer (key, value) pairs whose entries encode layer, key/value and position."""
    pairs = []
    for layer in range(num_layers):
        positions = torch.arange(length, dtype=torch.float32).view(1, 1, length, 1).expand(1, 2, length, 3)
        pairs.append((positions + 1000 * layer, positions + 1000 * layer + 500))
    return pairs


# find_candidate_tokens: (sequence, ngram size, draft count, expected draft)
CANDIDATE_CASES = [
    pytest.param([5, 6, 7, 8, 5, 6], 2, 3, [7, 8, 5], id="single-earlier-match"),
    pytest.param([1, 2, 9, 1, 2, 8, 3, 1, 2], 2, 2, [8, 3], id="most-recent-match-wins"),
    pytest.param([4, 4, 4], 1, 5, [4], id="draft-cut-at-sequence-end"),
    pytest.param([1, 2, 3, 4, 5], 2, 4, [], id="no-earlier-match"),
    pytest.param([3], 1, 4, [], id="sequence-shorter-than-ngram"),
    pytest.param([7, 8, 7, 8], 3, 4, [], id="ngram-seen-only-at-end"),
    pytest.param([5, 6, 7, 5, 6], 2, 0, [], id="zero-draft-tokens"),
]


@pytest.mark.parametrize("sequence, ngram_size, num_draft, expected", CANDIDATE_CASES)
def test_candidate_tokens_cases(example, sequence, ngram_size, num_draft, expected):
    _, utils = example

    draft = utils.find_candidate_tokens(torch.tensor([sequence]), ngram_size, num_draft)

    assert draft.tolist() == expected


def test_crop_legacy_tuple_cache(example):
    _, utils = example
    cache = tuple(make_cache_tensors(num_layers=2, length=6))

    cropped = utils.crop_past_key_values(cache, 4)

    assert len(cropped) == 2
    for layer, (key, value) in enumerate(cropped):
        assert key.shape == (1, 2, 4, 3)
        assert key[0, 0, :, 0].tolist() == [1000 * layer + position for position in range(4)]
        assert value[0, 1, :, 2].tolist() == [1000 * layer + 500 + position for position in range(4)]


def test_crop_dynamic_cache(example):
    _, utils = example
    cache = transformers.DynamicCache()
    for layer, (key, value) in enumerate(make_cache_tensors(num_layers=2, length=6)):
        cache.update(key, value, layer)

    cropped = utils.crop_past_key_values(cache, 3)

    assert cropped.get_seq_length() == 3
    for layer in range(2):
        assert cropped[layer][0][0, 0, :, 0].tolist() == [1000 * layer + position for position in range(3)]
        assert cropped[layer][1][0, 0, :, 0].tolist() == [
            1000 * layer + 500 + position for position in range(3)
        ]


@pytest.mark.parametrize(
    "prompt", PROMPTS, ids=["bos-only", "greeting", "question", "one-char", "repetitive"]
)
def test_forward_matches_greedy(example, tiny_model, prompt):
    runner, _ = example
    model, tokenizer = tiny_model

    inputs, output_ids, new_token, _, _ = run_forward(
        runner, model, tokenizer, prompt, ngram_size=2, num_draft=8
    )
    prompt_len = inputs.input_ids.shape[1]
    generated = output_ids[0, prompt_len:].tolist()
    expected = greedy_tokens(model, inputs, max_new_tokens=len(generated))

    assert output_ids[0, :prompt_len].tolist() == inputs.input_ids[0].tolist()
    assert cut_after_eos(generated) == expected
    assert new_token == len(generated)


@pytest.mark.parametrize("ngram_size, num_draft", [(1, 4), (3, 8), (2, 1)])
def test_forward_matches_greedy_options(example, tiny_model, ngram_size, num_draft):
    runner, _ = example
    model, tokenizer = tiny_model

    inputs, output_ids, _, _, accept_lengths = run_forward(
        runner, model, tokenizer, REPETITIVE_PROMPT, ngram_size=ngram_size, num_draft=num_draft
    )
    generated = output_ids[0, inputs.input_ids.shape[1] :].tolist()
    expected = greedy_tokens(model, inputs, max_new_tokens=len(generated))

    assert cut_after_eos(generated) == expected
    assert max(accept_lengths) <= num_draft + 1


def test_forward_step_bookkeeping(example, tiny_model):
    runner, _ = example
    model, tokenizer = tiny_model

    inputs, output_ids, new_token, steps, accept_lengths = run_forward(
        runner, model, tokenizer, REPETITIVE_PROMPT, ngram_size=2, num_draft=8
    )

    assert steps == len(accept_lengths)
    assert sum(accept_lengths) == new_token
    assert output_ids.shape[1] == inputs.input_ids.shape[1] + new_token
    assert new_token > MAX_NEW_TOKENS or EOS_ID in output_ids[0].tolist()


def test_forward_stops_at_max_steps(example, tiny_model):
    runner, _ = example
    model, tokenizer = tiny_model

    _, _, new_token, steps, accept_lengths = run_forward(
        runner, model, tokenizer, "Hello there.", ngram_size=2, num_draft=8, max_steps=3
    )

    assert steps == 3
    assert len(accept_lengths) == 3
    assert new_token >= 3


def test_repetitive_prompt_accepts_several(example, tiny_model):
    runner, _ = example
    model, tokenizer = tiny_model

    _, _, _, _, accept_lengths = run_forward(
        runner, model, tokenizer, REPETITIVE_PROMPT, ngram_size=2, num_draft=8
    )
    mean_accept_length = sum(accept_lengths) / len(accept_lengths)

    assert mean_accept_length > 1.5, f"accept lengths per step: {accept_lengths}"


def test_runner_main_writes_answers(tiny_model_dir, tmp_path):
    answer_file = tmp_path / "answers" / "tiny-ngram.jsonl"
    command = [
        sys.executable,
        "-m",
        "evaluation.inference_ngram",
        "--model-path",
        str(tiny_model_dir),
        "--model-id",
        "tiny-ngram",
        "--bench-name",
        "mini_bench",
        "--answer-file",
        str(answer_file),
        "--max-new-tokens",
        "16",
        "--dtype",
        "float32",
        "--ngram-size",
        "2",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("PYTHONPATH", None)

    result = subprocess.run(command, cwd=EXAMPLE_ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    question_lines = (EXAMPLE_ROOT / "data" / "mini_bench" / "question.jsonl").read_text().splitlines()
    questions = [json.loads(line) for line in question_lines if line.strip()]
    answers = [json.loads(line) for line in answer_file.read_text().splitlines()]
    assert [answer["question_id"] for answer in answers] == sorted(q["question_id"] for q in questions)
    for question, answer in zip(sorted(questions, key=lambda q: q["question_id"]), answers):
        assert answer["model_id"] == "tiny-ngram"
        assert answer["category"] == question["category"]
        choice = answer["choices"][0]
        assert len(choice["turns"]) == len(question["turns"])
        assert len(choice["new_tokens"]) == len(question["turns"])
        assert sum(choice["accept_lengths"]) == sum(choice["new_tokens"])
        assert all(new_token > 0 for new_token in choice["new_tokens"])

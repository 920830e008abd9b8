"""Tiny tokenizer, base model, prompts and builder lookup, checked against their stated contract."""

import json

import pytest
import torch
from transformers import AutoTokenizer, LlamaForCausalLM

from porter.verify.tiny import builder_for
from porter.verify.tiny.base import (
    build_base_llama,
    build_tokenizer,
    continue_phrase,
    default_prompts,
    greedy_decode,
)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    return build_base_llama(tmp_path_factory.mktemp("base") / "model", seed=0)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return AutoTokenizer.from_pretrained(build_tokenizer(tmp_path_factory.mktemp("tokenizer")))


def test_tokenizer_special_ids(tokenizer):
    assert tokenizer.pad_token_id == 0
    assert tokenizer.bos_token_id == 1
    assert tokenizer.eos_token_id == 2
    assert tokenizer.unk_token_id not in (0, 1, 2)


def test_tokenizer_adds_bos_one_token_per_character(tokenizer):
    encoded = tokenizer(["ab c"], return_tensors="pt")

    assert set(encoded.keys()) == {"input_ids", "attention_mask"}
    assert encoded.input_ids.shape == (1, 5)
    assert encoded.input_ids[0, 0].item() == 1
    assert encoded.attention_mask.tolist() == [[1, 1, 1, 1, 1]]


def test_tokenizer_decodes_without_spaces(tokenizer):
    ids = tokenizer("Hello, world")["input_ids"]

    assert tokenizer.decode(ids, skip_special_tokens=True) == "Hello, world"


def test_tokenizer_unknown_text_not_pad(tokenizer):
    ids = tokenizer("\u4e00")["input_ids"]

    assert ids[1:] == [tokenizer.unk_token_id]
    assert tokenizer.pad_token_id not in ids


def test_tokenizer_ids_inside_vocab(tokenizer):
    assert len(tokenizer) == 1000


def test_base_llama_config(base_dir):
    config = json.loads((base_dir / "config.json").read_text())

    assert config["vocab_size"] == 1000
    assert config["hidden_size"] == 64
    assert config["num_attention_heads"] == 4
    assert config["intermediate_size"] == 128
    assert config["num_hidden_layers"] == 2
    assert config["max_position_embeddings"] == 2048
    assert (config["bos_token_id"], config["eos_token_id"], config["pad_token_id"]) == (1, 2, 0)
    assert config["torch_dtype"] == "float32"


def test_base_llama_folder_has_tokenizer(base_dir):
    assert AutoTokenizer.from_pretrained(base_dir).eos_token_id == 2


def test_base_llama_same_seed_same_weights(base_dir, tmp_path):
    again = LlamaForCausalLM.from_pretrained(build_base_llama(tmp_path / "again", seed=0)).state_dict()
    first = LlamaForCausalLM.from_pretrained(base_dir).state_dict()

    assert first.keys() == again.keys()
    for name in first:
        assert torch.equal(first[name], again[name]), name


def test_base_llama_other_seed_other_weights(base_dir, tmp_path):
    other = LlamaForCausalLM.from_pretrained(build_base_llama(tmp_path / "other", seed=1)).state_dict()
    first = LlamaForCausalLM.from_pretrained(base_dir).state_dict()

    assert not torch.equal(first["lm_head.weight"], other["lm_head.weight"])


def test_base_llama_sharded_loads_same_weights(base_dir, tmp_path):
    sharded_dir = build_base_llama(tmp_path / "sharded", sharded=True, seed=0)
    index_files = list(sharded_dir.glob("*.index.json"))

    assert len(index_files) == 1
    weight_map = json.loads(index_files[0].read_text())["weight_map"]
    assert len(set(weight_map.values())) > 1
    assert "model.embed_tokens.weight" in weight_map

    sharded = LlamaForCausalLM.from_pretrained(sharded_dir).state_dict()
    single = LlamaForCausalLM.from_pretrained(base_dir).state_dict()
    for name in single:
        assert torch.equal(sharded[name], single[name]), name


def test_base_llama_deeper(tmp_path):
    config = json.loads((build_base_llama(tmp_path / "deep", layers=8) / "config.json").read_text())

    assert config["num_hidden_layers"] == 8


def test_default_prompts_shape():
    prompts = default_prompts(6, seed=3)

    assert len(prompts) == 6
    for prompt in prompts:
        assert prompt[0] == 1
        assert all(4 <= token < 1000 for token in prompt[1:])


def test_default_prompts_repeat_a_phrase():
    for prompt in default_prompts(6, seed=3):
        body = prompt[1:]
        period = next(length for length in range(1, len(body)) if body[length:] == body[:-length])
        assert len(body) >= 3 * period


def test_default_prompts_deterministic():
    assert default_prompts(4, seed=5) == default_prompts(4, seed=5)
    assert default_prompts(4, seed=5) != default_prompts(4, seed=6)
    assert default_prompts(8, seed=5)[:4] == default_prompts(4, seed=5)


def test_continue_phrase_keeps_period():
    prompt = [1, 10, 11, 12, 10, 11, 12, 10]

    assert continue_phrase(prompt, 5) == [11, 12, 10, 11, 12]


def test_greedy_decode_matches_generate(base_dir):
    model = LlamaForCausalLM.from_pretrained(base_dir).eval()
    prompt = default_prompts(1)[0]

    with torch.no_grad():
        generated = model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=16)

    assert greedy_decode(model, prompt, 16, eos_id=None) == generated[0, len(prompt) :].tolist()


def test_greedy_decode_stops_after_eos(base_dir):
    model = LlamaForCausalLM.from_pretrained(base_dir).eval()
    prompt = default_prompts(1)[0]
    first_token = greedy_decode(model, prompt, 1)[0]

    assert greedy_decode(model, prompt, 16, eos_id=first_token) == [first_token]


def test_builder_for_unknown_method_is_generic(tmp_path):
    setup = builder_for("no_such_method")(tmp_path)

    assert setup.method == "no_such_method"
    assert setup.draft_model_dir is None
    assert (setup.model_dir / "config.json").is_file()
    assert setup.runner_flags[:2] == ("--model-path", str(setup.model_dir))
    assert "--dtype" in setup.runner_flags
    assert setup.runner_flags[setup.runner_flags.index("--dtype") + 1] == "float32"
    assert setup.runner_flags[setup.runner_flags.index("--model-id") + 1] == "tiny"


def test_builder_for_known_method_uses_module():
    from porter.verify.tiny import medusa

    assert builder_for("medusa") is medusa.build


def test_builder_for_rejects_invalid_name():
    with pytest.raises(ValueError, match="invalid method name"):
        builder_for("../medusa")


def test_tokenizer_slow_request_loads_fast(tmp_path):
    folder = build_tokenizer(tmp_path / "tokenizer")
    tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=False)

    assert tokenizer("ab")["input_ids"] == [1, 69, 70]

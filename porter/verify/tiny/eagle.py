"""Tiny EAGLE-1 draft heads for `specport verify`, and the greedy continuations that oracle drafters share.

An EAGLE-1 head folder contains `config.json` (the base config with one layer and `"bias": true`) and
`pytorch_model.bin`, the state dict of the one-layer draft model (`embed_tokens`, `layers.0.*`, `fc`).
EAGLE-2 reads the same layout, so its builder reuses `build_eagle_head`.

A head that passes the base feature through (`fc = [0 | I]`) predicts the token the base model has
just produced, so its drafts are right only where the base model repeats a token. On the default
prompts the tiny base model (seed 0) falls into cycles of two to four different tokens instead, and
such a head accepted 1.06 tokens a step over 4 prompts x 32 tokens.

The oracle head is a bigram lookup instead. It reads only the token embedding (`fc = [I | 0]`, with
`o_proj` and `down_proj` zero), and the embedding row of each token points at the `lm_head` row of
the token that follows it in the base model's greedy continuations of the default prompts. The draft
then proposes those continuations at every depth of the tree.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from porter.verify.tiny.base import (
    COMMON_FLAGS,
    TinySetup,
    build_base_llama,
    default_prompts,
    greedy_decode,
    load_base_model,
    write_json,
)

HEAD_FILE = "pytorch_model.bin"

# Standard deviation of the random weights, the Llama `initializer_range`.
INIT_STD = 0.02

# The successor table covers more prompts and tokens than one check uses (4 prompts x 32 new tokens),
# because a tree draft looks several tokens past the last one that is kept.
ORACLE_PROMPT_COUNT = 8
ORACLE_NEW_TOKENS = 64

# Logit of the successor token under an oracle row, in nats. The other logits stay far below it, so
# the drafted token has a probability close to 1 and heads the tree.
ORACLE_LOGIT = 30.0


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build a tiny base model and an EAGLE-1 head, and return the runner flags that load both."""
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)
    head_dir = build_eagle_head(workdir / head_folder_name(oracle), model_dir, oracle=oracle, seed=seed)

    return TinySetup(
        method="eagle",
        model_dir=model_dir,
        draft_model_dir=head_dir,
        runner_flags=eagle_runner_flags(model_dir, head_dir),
    )


def head_folder_name(oracle: bool) -> str:
    """Return the folder name of an oracle or a random head, so that both can sit in one workdir."""
    return "eagle-head-oracle" if oracle else "eagle-head-random"


def eagle_runner_flags(model_dir: Path, head_dir: Path) -> tuple[str, ...]:
    """Return the argv that the EAGLE runners (all three versions) take for a tiny float32 run."""
    return ("--base-model-path", str(model_dir), "--ea-model-path", str(head_dir), *COMMON_FLAGS)


def build_eagle_head(folder: Path, model_dir: Path, *, oracle: bool, seed: int) -> Path:
    """Save an EAGLE-1/EAGLE-2 head for the base model in `model_dir` into `folder` and return it."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    base_config = read_config(model_dir)
    write_json(folder / "config.json", dict(base_config, num_hidden_layers=1, bias=True))

    base_model = load_base_model(model_dir)
    state_dict = random_head_state_dict(base_config, seed=seed)
    state_dict["embed_tokens.weight"] = base_model.model.embed_tokens.weight.detach().clone()

    if oracle:
        successors = successor_table(greedy_continuations(base_model, seed=seed))
        make_oracle_head(state_dict, base_model.lm_head.weight.detach(), successors)

    torch.save(state_dict, folder / HEAD_FILE)
    return folder


def random_head_state_dict(config: dict, *, seed: int) -> dict:
    """Return random weights for every key that the one-layer EAGLE-1/EAGLE-2 draft model loads strictly.

    Layer 0 of the draft model has no `input_layernorm`, because EAGLE's decoder layer creates one only for
    layers after the first.
    """
    import torch

    hidden = config["hidden_size"]
    intermediate = config["intermediate_size"]
    generator = torch.Generator().manual_seed(seed + 1)

    def normal(*shape: int):
        return torch.randn(*shape, generator=generator) * INIT_STD

    layer = "layers.0."
    return {
        "embed_tokens.weight": normal(config["vocab_size"], hidden),
        layer + "self_attn.q_proj.weight": normal(hidden, hidden),
        layer + "self_attn.k_proj.weight": normal(hidden, hidden),
        layer + "self_attn.v_proj.weight": normal(hidden, hidden),
        layer + "self_attn.o_proj.weight": normal(hidden, hidden),
        layer + "mlp.gate_proj.weight": normal(intermediate, hidden),
        layer + "mlp.up_proj.weight": normal(intermediate, hidden),
        layer + "mlp.down_proj.weight": normal(hidden, intermediate),
        layer + "post_attention_layernorm.weight": torch.ones(hidden),
        "fc.weight": normal(hidden, 2 * hidden),
        "fc.bias": torch.zeros(hidden),
    }


def make_oracle_head(state_dict: dict, lm_head, successors: dict[int, int]) -> None:
    """Turn the head weights in `state_dict` into a bigram lookup over `successors`, in place.

    `fc` reads `cat(token_embedding, feature)`, so `[I | 0]` keeps the token embedding, and zero
    `o_proj` and `down_proj` make both residual branches of the decoder layer add nothing. The head
    output is then the embedding row itself, which the base `lm_head` scores.
    """
    import torch

    hidden = lm_head.shape[1]
    fc = torch.zeros(hidden, 2 * hidden)
    fc[:, :hidden] = torch.eye(hidden)
    state_dict["fc.weight"] = fc
    state_dict["fc.bias"] = torch.zeros(hidden)
    state_dict["layers.0.self_attn.o_proj.weight"].zero_()
    state_dict["layers.0.mlp.down_proj.weight"].zero_()

    embeddings = state_dict["embed_tokens.weight"]
    for token, successor in successors.items():
        embeddings[token] = pointing_row(lm_head[successor])


def pointing_row(target_row):
    """Return the vector whose dot product with `target_row` is `ORACLE_LOGIT`, along `target_row`.

    Rows of a random `lm_head` are nearly orthogonal in 64 dimensions, so every other row scores
    well below the target. `make_oracle_head` does not check this, and a failed draft would only
    lower the accept length.
    """
    return target_row * (ORACLE_LOGIT / target_row.dot(target_row))


def greedy_continuations(base_model, *, seed: int) -> list[tuple[list[int], list[int]]]:
    """Return `(prompt, greedy continuation)` for the first `ORACLE_PROMPT_COUNT` default prompts.

    The prompts are `default_prompts(ORACLE_PROMPT_COUNT, seed=seed)`, whose first ones are the
    prompts that a check with the same seed uses. A continuation ends at the first EOS (kept) or
    after `ORACLE_NEW_TOKENS` tokens.
    """
    prompts = default_prompts(ORACLE_PROMPT_COUNT, seed=seed)
    return [(prompt, greedy_decode(base_model, prompt, ORACLE_NEW_TOKENS)) for prompt in prompts]


def successor_table(continuations: list[tuple[list[int], list[int]]]) -> dict[int, int]:
    """Return, for each token of the continuations, the token that follows it most often.

    Each continuation counts from the last prompt token on, because that token is followed by the
    first generated one. The bigrams inside the prompt are left out, because they would compete
    with those of the continuation. Ties go to the successor seen first.
    """
    counts: dict[int, Counter] = {}
    for prompt, continuation in continuations:
        sequence = prompt[-1:] + continuation
        for token, successor in zip(sequence, sequence[1:]):
            counts.setdefault(token, Counter())[successor] += 1

    return {token: counter.most_common(1)[0][0] for token, counter in counts.items()}


def read_config(model_dir: Path) -> dict:
    """Return the `config.json` of a saved model as a dict."""
    return json.loads((Path(model_dir) / "config.json").read_text())

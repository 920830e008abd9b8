"""Tiny setup for Spec-Bench's EAGLE-3 runner: an 8-layer sharded base model and an EAGLE-3 head.

The EAGLE-3 draft model reads its token embedding from the base model through
`model.safetensors.index.json`, so the base model is saved sharded. It takes the hidden states that
enter base layers 2, L/2 and L-3 (2, 4 and 5 of 8, which must be three different layers), joined in
that order, and maps them to one feature with `fc`. Its head folder contains `config.json` (with
`draft_vocab_size`) and `pytorch_model.bin`. With `draft_vocab_size` equal to the base vocabulary the
loader deletes the `d2t`/`t2d` buffers, so the state dict has neither, nor `embed_tokens`.

An EAGLE-3 head cannot pass the base model's final feature through, as an EAGLE-1 head can with
`fc = [0 | I]`, because the taps stop at layer L-3 and no linear `fc` rebuilds the final feature
from them. The oracle head is the same bigram lookup as the EAGLE-1 oracle instead, and its decoder
layer lets the drafted token's embedding replace the feature it gets:

* `fc` is zero, so a draft that starts from base features starts from the zero vector.
* One attention head with `q = ALPHA * [I | I]` and `k = [I | I]` over `cat(norm(embedding),
  norm(feature))` scores a position against itself far above every position with other inputs,
  because RoPE leaves `q . k` at distance 0 unrotated and another position matches only if both
  halves match. The value projection is `[I | -I]` and the output projection `I`.
* The residual adds the feature back, so the layer returns `feature + norm(embedding) -
  norm(feature)`. A feature that is itself a normalized embedding (the output of the previous
  depth) cancels, and so does the zero feature, which leaves `norm(embedding)`.
* `down_proj` is zero, so the MLP adds nothing, and the draft `lm_head` row of each successor token
  is the sum of the normalized embeddings of the tokens it follows.
"""

from __future__ import annotations

import json
from pathlib import Path

from porter.verify.tiny.base import TinySetup, build_base_llama, load_base_model, write_json
from porter.verify.tiny.eagle import (
    HEAD_FILE,
    INIT_STD,
    ORACLE_LOGIT,
    eagle_runner_flags,
    greedy_continuations,
    head_folder_name,
    successor_table,
)

BASE_LAYERS = 8

# One head spans the whole hidden size, so the self-match score compares all 64 dimensions of both the
# embedding and the feature.
DRAFT_HEADS = 1

# Scale of the oracle queries. Attention scores are divided by sqrt(64) = 8, so a position scores
# itself about 8 * ALPHA above any position with other inputs and takes nearly all the weight.
ALPHA = 10.0


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the sharded 8-layer base model and an EAGLE-3 head, and return the runner flags."""
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", layers=BASE_LAYERS, sharded=True, seed=seed)
    head_dir = build_eagle3_head(workdir / head_folder_name(oracle), model_dir, oracle=oracle, seed=seed)

    return TinySetup(
        method="eagle3",
        model_dir=model_dir,
        draft_model_dir=head_dir,
        runner_flags=eagle_runner_flags(model_dir, head_dir),
    )


def build_eagle3_head(folder: Path, model_dir: Path, *, oracle: bool, seed: int) -> Path:
    """Save an EAGLE-3 head for the base model in `model_dir` into `folder` and return it."""
    import torch

    base_config = json.loads((Path(model_dir) / "config.json").read_text())
    head_config = dict(
        base_config,
        num_hidden_layers=1,
        num_attention_heads=DRAFT_HEADS,
        num_key_value_heads=DRAFT_HEADS,
        draft_vocab_size=base_config["vocab_size"],
    )
    write_json(Path(folder) / "config.json", head_config)

    state_dict = random_head_state_dict(head_config, seed=seed)
    if oracle:
        base_model = load_base_model(model_dir)
        embeddings = base_model.model.embed_tokens.weight.detach()
        successors = successor_table(greedy_continuations(base_model, seed=seed))
        make_oracle_head(state_dict, rms_normalize(embeddings, head_config["rms_norm_eps"]), successors)

    torch.save(state_dict, Path(folder) / HEAD_FILE)
    return Path(folder)


def random_head_state_dict(config: dict, *, seed: int) -> dict:
    """Return random weights for the EAGLE-3 draft model, without `embed_tokens`, `d2t` and `t2d`.

    The attention projections read `cat(embedding, feature)`, twice the hidden size, and `fc` reads
    the three base taps.
    """
    import torch

    hidden = config["hidden_size"]
    intermediate = config["intermediate_size"]
    generator = torch.Generator().manual_seed(seed + 1)

    def normal(*shape: int):
        return torch.randn(*shape, generator=generator) * INIT_STD

    layer = "midlayer."
    return {
        "lm_head.weight": normal(config["draft_vocab_size"], hidden),
        "fc.weight": normal(hidden, 3 * hidden),
        "norm.weight": torch.ones(hidden),
        layer + "hidden_norm.weight": torch.ones(hidden),
        layer + "input_layernorm.weight": torch.ones(hidden),
        layer + "post_attention_layernorm.weight": torch.ones(hidden),
        layer + "self_attn.q_proj.weight": normal(hidden, 2 * hidden),
        layer + "self_attn.k_proj.weight": normal(hidden, 2 * hidden),
        layer + "self_attn.v_proj.weight": normal(hidden, 2 * hidden),
        layer + "self_attn.o_proj.weight": normal(hidden, hidden),
        layer + "mlp.gate_proj.weight": normal(intermediate, hidden),
        layer + "mlp.up_proj.weight": normal(intermediate, hidden),
        layer + "mlp.down_proj.weight": normal(hidden, intermediate),
    }


def make_oracle_head(state_dict: dict, normalized_embeddings, successors: dict[int, int]) -> None:
    """Turn the head weights in `state_dict` into the bigram lookup described in the module docstring."""
    import torch

    hidden = normalized_embeddings.shape[1]
    identity = torch.eye(hidden)
    layer = "midlayer."

    state_dict["fc.weight"] = torch.zeros(hidden, 3 * hidden)
    state_dict[layer + "self_attn.q_proj.weight"] = ALPHA * torch.cat([identity, identity], dim=1)
    state_dict[layer + "self_attn.k_proj.weight"] = torch.cat([identity, identity], dim=1)
    state_dict[layer + "self_attn.v_proj.weight"] = torch.cat([identity, -identity], dim=1)
    state_dict[layer + "self_attn.o_proj.weight"] = identity.clone()
    state_dict[layer + "mlp.down_proj.weight"].zero_()

    lm_head = torch.zeros_like(state_dict["lm_head.weight"])
    for token, successor in successors.items():
        lm_head[successor] += normalized_embeddings[token] * (ORACLE_LOGIT / hidden)
    state_dict["lm_head.weight"] = lm_head


def rms_normalize(rows, eps: float):
    """Return `rows` scaled to unit root mean square, as an RMSNorm with unit weight does."""
    import torch

    return rows * torch.rsqrt(rows.pow(2).mean(dim=-1, keepdim=True) + eps)

"""Tiny setup for Spec-Bench's Hydra runner: a base model and a folder of Hydra heads.

The heads folder contains `config.json` and `hydra_lm_head.pt`. The heads are the "prefix-mlp"
architecture with grounded heads: a 1-layer Llama (the prefix layer) runs over the base model's
final hidden states, and head i reads the prefix layer's output for the last accepted token
together with the input embeddings of the i + 1 draft tokens before the one it predicts. Its first
ResBlock maps that concatenation back to the hidden size, further ResBlocks keep the size, and a
Linear with bias produces the logits. The state dict leaves out `input_embed_fn.*`, which Hydra
takes from the base model's embedding at load time.

Oracle heads are fitted to the base model's greedy continuations of the test prompts. Each first
ResBlock's `linear` is 0 (so the block is its `res_connection`), the later ResBlocks are the
identity, and the `res_connection` and output Linear are fitted together with cross-entropy. The
prefix layer stays random, so its KV cache shapes every draft.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import (
    COMMON_FLAGS,
    HIDDEN_SIZE,
    VOCAB_SIZE,
    TinySetup,
    build_base_llama,
    load_base_model,
    tiny_llama_config,
    write_json,
)
from porter.verify.tiny.fitting import fit_classifier, greedy_trajectories

# mc_sim_7b_63, the runner's default tree, is 4 deep, so it needs 4 heads.
NUM_HEADS = 4
NUM_LAYERS = 4
HEAD_ARCHITECTURE = "prefix-mlp"
RANDOM_HEAD_STD = 0.02
PREFIX_SEED_OFFSET = 2


def hydra_config(base_model_dir: Path) -> dict:
    """Return the `config.json` content of the tiny Hydra heads."""
    return {
        "hydra_num_heads": NUM_HEADS,
        "hydra_num_layers": NUM_LAYERS,
        "hydra_head_arch": HEAD_ARCHITECTURE,
        "grounded_heads": True,
        "hidden_state_offset": 0,
        "base_model_name_or_path": str(base_model_dir),
    }


def random_prefix_layer(*, seed: int):
    """Return the random 1-layer Llama used as the prefix layer, as a transformers LlamaModel."""
    import torch
    from transformers import LlamaModel

    torch.manual_seed(seed)
    return LlamaModel(tiny_llama_config(layers=1)).eval()


def prefix_outputs(prefix_layer, hidden_states):
    """Run the prefix layer causally over a sequence of base hidden states, as Hydra's KV cache does."""
    import torch

    with torch.inference_mode():
        return prefix_layer(inputs_embeds=hidden_states[None]).last_hidden_state[0].clone()


def head_training_data(trajectories, prefix_states, embedding, head: int):
    """Return (features, target token ids) for grounded head `head`.

    At a last accepted position n the features are the prefix output at n followed by the
    embeddings of tokens n + 1 ... n + 1 + head, and the target is token n + 2 + head.
    """
    import torch

    features = []
    targets = []
    for trajectory, prefix in zip(trajectories, prefix_states):
        token_ids = trajectory.token_ids
        for position in range(trajectory.prompt_length - 1, len(token_ids) - 2 - head):
            draft_tokens = token_ids[position + 1 : position + 2 + head]
            features.append(torch.cat([prefix[position], *embedding[draft_tokens]]))
            targets.append(token_ids[position + 2 + head])

    return torch.stack(features), torch.tensor(targets)


def _first_block_input_size(head: int) -> int:
    return HIDDEN_SIZE * (head + 2)


def _later_block_indices() -> range:
    # Each head is Sequential(Dropout, ResBlock, Dropout, ResBlock, ...), so ResBlocks sit at odd indices.
    return range(3, 2 * NUM_LAYERS, 2)


def _zero_later_blocks(state: dict, head: int) -> None:
    import torch

    for index in _later_block_indices():
        state[f"hydra_mlp.{head}.{index}.linear.weight"] = torch.zeros(HIDDEN_SIZE, HIDDEN_SIZE)
        state[f"hydra_mlp.{head}.{index}.linear.bias"] = torch.zeros(HIDDEN_SIZE)


def _prefix_state(prefix_layer) -> dict:
    return {f"prefix_embeding_layer.{name}": tensor.clone() for name, tensor in prefix_layer.state_dict().items()}


def fitted_head_state_dict(base_model, *, seed: int) -> dict:
    """Return a `hydra_lm_head.pt` state dict whose heads are fitted to the base model's greedy tokens."""
    import torch

    prefix_layer = random_prefix_layer(seed=seed + PREFIX_SEED_OFFSET)
    trajectories = greedy_trajectories(base_model, seed=seed)
    prefix_states = [prefix_outputs(prefix_layer, trajectory.hidden_states) for trajectory in trajectories]
    embedding = base_model.model.embed_tokens.weight.detach()
    lm_head_weight = base_model.lm_head.weight.detach()

    state = _prefix_state(prefix_layer)
    for head in range(NUM_HEADS):
        features, targets = head_training_data(trajectories, prefix_states, embedding, head)
        fitted = fit_classifier(
            features, targets, output_weight=lm_head_weight, projection=True, output_bias=True, seed=seed + head
        )
        state[f"hydra_mlp.{head}.1.linear.weight"] = torch.zeros(HIDDEN_SIZE, _first_block_input_size(head))
        state[f"hydra_mlp.{head}.1.linear.bias"] = torch.zeros(HIDDEN_SIZE)
        state[f"hydra_mlp.{head}.1.res_connection.weight"] = fitted["projection.weight"]
        state[f"hydra_mlp.{head}.1.res_connection.bias"] = fitted["projection.bias"]
        _zero_later_blocks(state, head)
        state[f"hydra_lm_head.{head}.1.weight"] = fitted["output.weight"]
        state[f"hydra_lm_head.{head}.1.bias"] = fitted["output.bias"]

    return state


def random_head_state_dict(*, seed: int) -> dict:
    """Return a `hydra_lm_head.pt` state dict with normally distributed head weights."""
    import torch

    generator = torch.Generator().manual_seed(seed)

    def normal(*shape: int):
        return torch.randn(*shape, generator=generator) * RANDOM_HEAD_STD

    state = _prefix_state(random_prefix_layer(seed=seed + PREFIX_SEED_OFFSET))
    for head in range(NUM_HEADS):
        input_size = _first_block_input_size(head)
        state[f"hydra_mlp.{head}.1.linear.weight"] = normal(HIDDEN_SIZE, input_size)
        state[f"hydra_mlp.{head}.1.linear.bias"] = torch.zeros(HIDDEN_SIZE)
        state[f"hydra_mlp.{head}.1.res_connection.weight"] = normal(HIDDEN_SIZE, input_size)
        state[f"hydra_mlp.{head}.1.res_connection.bias"] = torch.zeros(HIDDEN_SIZE)
        for index in _later_block_indices():
            state[f"hydra_mlp.{head}.{index}.linear.weight"] = normal(HIDDEN_SIZE, HIDDEN_SIZE)
            state[f"hydra_mlp.{head}.{index}.linear.bias"] = torch.zeros(HIDDEN_SIZE)
        state[f"hydra_lm_head.{head}.1.weight"] = normal(VOCAB_SIZE, HIDDEN_SIZE)
        state[f"hydra_lm_head.{head}.1.bias"] = torch.zeros(VOCAB_SIZE)

    return state


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model and Hydra heads for `inference_hydra.py`.

    The runner's `--model-path` is the heads folder. `--base-model` is passed explicitly because
    its default (a Hugging Face model id) overrides the heads config.
    """
    import torch

    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)
    heads_dir = workdir / ("hydra-oracle" if oracle else "hydra-random")

    write_json(heads_dir / "config.json", hydra_config(model_dir))
    if oracle:
        state = fitted_head_state_dict(load_base_model(model_dir), seed=seed)
    else:
        state = random_head_state_dict(seed=seed + 1)
    torch.save(state, heads_dir / "hydra_lm_head.pt")

    return TinySetup(
        method="hydra",
        model_dir=model_dir,
        draft_model_dir=heads_dir,
        runner_flags=("--model-path", str(heads_dir), "--base-model", str(model_dir), *COMMON_FLAGS),
    )

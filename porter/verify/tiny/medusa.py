"""Tiny setup for Spec-Bench's Medusa runner: a base model and a folder of Medusa heads.

The heads folder holds `config.json` (`medusa_num_heads`, `medusa_num_layers`,
`base_model_name_or_path`) and `medusa_lm_head.pt`, the state dict of a ModuleList with one
Sequential per head: a ResBlock (`linear` with bias, hidden -> hidden) and a Linear
(hidden -> vocab, no bias). Medusa's loader reads the tokenizer from the base model folder.

Oracle heads are fitted to the base model's greedy continuations of the test prompts. Heads that
copy the base `lm_head` behind an identity ResBlock were tried first. They all predict the next
token, which is right at deeper offsets only while one token repeats, so on the default prompts
(seed 0, 4 x 32 tokens) they accepted 1.13 tokens a step.
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
    write_json,
)
from porter.verify.tiny.fitting import fit_classifier, greedy_trajectories

# The runner hard-codes 4 heads, and its default tree (mc_sim_7b_63) is 4 deep.
NUM_HEADS = 4
NUM_LAYERS = 1
RANDOM_HEAD_STD = 0.02


def medusa_training_data(trajectories, head: int):
    """Return (hidden states, target token ids) for one Medusa head.

    Head `head` reads the final hidden state at position n and predicts the token at n + 2 + head.
    Only positions from the last prompt token on are used, because decoding starts there.
    """
    import torch

    features = []
    targets = []
    for trajectory in trajectories:
        for position in range(trajectory.prompt_length - 1, len(trajectory.token_ids) - 2 - head):
            features.append(trajectory.hidden_states[position])
            targets.append(trajectory.token_ids[position + 2 + head])

    return torch.stack(features), torch.tensor(targets)


def fitted_head_state_dict(base_model, *, seed: int) -> dict:
    """Return a `medusa_lm_head.pt` state dict whose heads are fitted to the base model's greedy tokens.

    Each ResBlock has weights and bias 0, so it is the identity, and each head's Linear is fitted
    (starting from the base `lm_head`) to predict its offset along the training trajectories.
    """
    import torch

    trajectories = greedy_trajectories(base_model, seed=seed)
    lm_head_weight = base_model.lm_head.weight.detach()
    state = {}

    for head in range(NUM_HEADS):
        features, targets = medusa_training_data(trajectories, head)
        fitted = fit_classifier(
            features, targets, output_weight=lm_head_weight, projection=False, output_bias=False, seed=seed + head
        )
        state[f"{head}.0.linear.weight"] = torch.zeros(HIDDEN_SIZE, HIDDEN_SIZE)
        state[f"{head}.0.linear.bias"] = torch.zeros(HIDDEN_SIZE)
        state[f"{head}.1.weight"] = fitted["output.weight"]

    return state


def random_head_state_dict(*, seed: int) -> dict:
    """Return a `medusa_lm_head.pt` state dict with normally distributed weights."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    state = {}

    for head in range(NUM_HEADS):
        state[f"{head}.0.linear.weight"] = torch.randn(HIDDEN_SIZE, HIDDEN_SIZE, generator=generator) * RANDOM_HEAD_STD
        state[f"{head}.0.linear.bias"] = torch.zeros(HIDDEN_SIZE)
        state[f"{head}.1.weight"] = torch.randn(VOCAB_SIZE, HIDDEN_SIZE, generator=generator) * RANDOM_HEAD_STD

    return state


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model and Medusa heads for `inference_medusa.py`.

    The runner's `--model-path` is the heads folder and `--base-model` the base model folder.
    """
    import torch

    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)
    heads_dir = workdir / ("medusa-oracle" if oracle else "medusa-random")

    write_json(
        heads_dir / "config.json",
        {
            "medusa_num_heads": NUM_HEADS,
            "medusa_num_layers": NUM_LAYERS,
            "base_model_name_or_path": str(model_dir),
        },
    )
    if oracle:
        state = fitted_head_state_dict(load_base_model(model_dir), seed=seed)
    else:
        state = random_head_state_dict(seed=seed + 1)
    torch.save(state, heads_dir / "medusa_lm_head.pt")

    return TinySetup(
        method="medusa",
        model_dir=model_dir,
        draft_model_dir=heads_dir,
        runner_flags=("--model-path", str(heads_dir), "--base-model", str(model_dir), *COMMON_FLAGS),
    )

"""Fit draft heads, or a base model's `lm_head`, so that drafts on the test prompts are accepted.

Random draft heads accept about one token a step, so the tree and KV-cache code of head-based
methods never runs. Heads fitted here predict the base model's greedy tokens on the training
prompts, so a run on those prompts accepts several tokens a step. For lookup-based methods the
base model's `lm_head` is fitted instead, so that the output repeats the prompt's phrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from porter.verify.tiny.base import build_base_llama, continue_phrase, default_prompts, greedy_decode, load_base_model

# The first prompts of `default_prompts(TRAINING_PROMPTS, seed)` are the prompts the tests use.
TRAINING_PROMPTS = 8

# Fitting covers 24 new tokens, so a 32-token test run of a head-based method accepts whole
# drafts at first and then rejects some. Both the long-accept and the reject paths then run.
TRAINING_NEW_TOKENS = 24
FIT_STEPS = 200
FIT_LEARNING_RATE = 0.02


@dataclass(frozen=True)
class Trajectory:
    """A prompt and its greedy continuation, with the base model's final hidden states.

    `hidden_states[n]` is the output of the base model's last layer after the final norm at
    position n, which is what Medusa and Hydra heads read. `prompt_length` marks where the
    continuation starts.
    """

    token_ids: list[int]
    hidden_states: object
    prompt_length: int


def greedy_trajectories(model, *, seed: int) -> list[Trajectory]:
    """Decode the training prompts greedily and record the base model's final hidden states."""
    import torch

    trajectories = []
    for prompt in default_prompts(TRAINING_PROMPTS, seed=seed):
        token_ids = prompt + greedy_decode(model, prompt, TRAINING_NEW_TOKENS)

        with torch.inference_mode():
            hidden_states = model.model(torch.tensor([token_ids])).last_hidden_state[0]

        trajectories.append(Trajectory(token_ids, hidden_states.clone(), len(prompt)))

    return trajectories


def fit_classifier(features, targets, *, output_weight, projection: bool, output_bias: bool, seed: int) -> dict:
    """Fit a linear classifier from `features` to the token ids `targets` with cross-entropy.

    With `projection=True` the classifier is `output(projection(x))`, where the projection maps the
    features to the hidden size; otherwise it is `output(x)` alone. The output layer starts from
    `output_weight` (the base `lm_head`). Returns the fitted tensors under the keys
    `projection.weight`, `projection.bias`, `output.weight` and `output.bias` (where present).
    """
    import torch

    torch.manual_seed(seed)
    features = features.detach().float()
    hidden_size = output_weight.shape[1]

    layers = []
    if projection:
        layers.append(torch.nn.Linear(features.shape[1], hidden_size))
    output = torch.nn.Linear(hidden_size, output_weight.shape[0], bias=output_bias)
    with torch.no_grad():
        output.weight.copy_(output_weight)
        if output_bias:
            output.bias.zero_()
    layers.append(output)
    classifier = torch.nn.Sequential(*layers)

    optimizer = torch.optim.Adam(classifier.parameters(), lr=FIT_LEARNING_RATE)
    with torch.enable_grad():
        for _ in range(FIT_STEPS):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(classifier(features), targets)
            loss.backward()
            optimizer.step()

    names = ("projection", "output") if projection else ("output",)
    return {
        f"{name}.{key}": tensor.detach().clone()
        for name, layer in zip(names, classifier)
        for key, tensor in layer.state_dict().items()
    }


def training_accuracy(classifier_state: dict, features, targets) -> float:
    """Return the share of `targets` that the fitted classifier ranks first."""
    import torch

    values = features.float()
    if "projection.weight" in classifier_state:
        values = values @ classifier_state["projection.weight"].T + classifier_state["projection.bias"]
    logits = values @ classifier_state["output.weight"].T
    if "output.bias" in classifier_state:
        logits = logits + classifier_state["output.bias"]
    return float((logits.argmax(-1) == targets).float().mean())


def phrase_training_data(model, *, seed: int):
    """Return (hidden states, next token ids) along the training prompts continued by their own phrase."""
    import torch

    features = []
    targets = []
    for prompt in default_prompts(TRAINING_PROMPTS, seed=seed):
        token_ids = prompt + continue_phrase(prompt, TRAINING_NEW_TOKENS)

        with torch.inference_mode():
            hidden_states = model.model(torch.tensor([token_ids])).last_hidden_state[0]

        # Position 0 is BOS, whose next token no context predicts.
        features.append(hidden_states[1:-1].clone())
        targets.append(torch.tensor(token_ids[2:]))

    return torch.cat(features), torch.cat(targets)


def fit_phrase_lm_head(model, *, seed: int) -> dict:
    """Fit the base model's `lm_head` so that greedy decoding keeps repeating each training prompt's phrase.

    Only the `lm_head` changes, so the transformer layers and their KV cache still shape every
    hidden state. Returns the fitted classifier state (`output.weight`) and its training accuracy
    under `accuracy`.
    """
    features, targets = phrase_training_data(model, seed=seed)
    fitted = fit_classifier(
        features, targets, output_weight=model.lm_head.weight.detach(), projection=False, output_bias=False, seed=seed
    )
    fitted["accuracy"] = training_accuracy(fitted, features, targets)
    return fitted


def build_phrase_llama(folder, *, seed: int = 0):
    """Save a tiny base model whose `lm_head` is fitted to continue the training prompts' phrases.

    The model starts as `build_base_llama(folder, seed=seed)`. On the first `TRAINING_PROMPTS`
    prompts of `default_prompts(seed=seed)`, its greedy continuation repeats the prompt's phrase for
    at least `TRAINING_NEW_TOKENS` tokens when the fit reaches 100 % training accuracy. Lookup-based
    drafters (prompt lookup, lookahead) then find their n-grams in the prompt and the output.
    Returns the folder.
    """
    folder = build_base_llama(folder, seed=seed)
    model = load_base_model(folder)

    import torch

    fitted = fit_phrase_lm_head(model, seed=seed)
    with torch.no_grad():
        model.lm_head.weight.copy_(fitted["output.weight"])

    model.save_pretrained(folder)
    return folder


def build_lookup_base(workdir, *, oracle: bool, seed: int):
    """Build the base model for a lookup-based method, which has no drafter of its own.

    With `oracle=True` it is the phrase-continuing model of `build_phrase_llama`, so lookups find
    their drafts; otherwise it is the plain random base model. Returns the model folder.
    """
    from pathlib import Path

    workdir = Path(workdir)
    if oracle:
        return build_phrase_llama(workdir / "base-phrase", seed=seed)
    return build_base_llama(workdir / "base", seed=seed)

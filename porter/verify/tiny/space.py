"""Tiny setup for Spec-Bench's SPACE runner: a base model and a mask token inside its vocabulary.

SPACE appends blocks of `MASK_NUM` mask tokens to the context and reads draft tokens from the logits
at the mask positions. Counting tokens from 0, the last context position of a context of n tokens
predicts token n, and mask j of the block after it predicts token n + 1 + j. The forward's tokenizer
and vocabulary assumptions, and how the tiny setup meets them:

* `MASK_ID` defaults to 32002, the id of the mask token added to Vicuna's 32000-token vocabulary,
  and no flag sets it. The tiny vocabulary has 1000 tokens, so `forward_overrides` passes the
  unknown-token id, which no default prompt contains.
* `tokenizer.pad_token_id` fills finished sequences and falls back to the EOS id when it is None.
  The tiny tokenizer has pad 0.
* The forward reads `inputs["attention_mask"]`, so the inputs must be a mapping with that key.
* It builds its attention masks in float16 with the private `_make_causal_mask` and `_expand_mask`
  of `transformers.models.llama.modeling_llama`, which transformers 4.37.1 still has. A float32
  model adds them to float32 attention scores, which works.
* It stops after `MAX_NEW_TOKENS` (512) new tokens or at EOS and ignores its `max_new_tokens`
  argument, so a check that requests 32 tokens gets 512 unless EOS comes first.

A random base model never learned to predict at mask positions, so it accepted 1.01 tokens a step
over 4 prompts x 512 tokens. The oracle base model is trained here for that: on each default prompt
it continues the prompt's repeating phrase, and at every mask position it predicts the token that
SPACE drafts there. Its check stops after `TRAINED_NEW_TOKENS`, inside the stretch it was trained on.
Training took 147 Adam steps, about 10 s on one CPU thread.
"""

from __future__ import annotations

from pathlib import Path

from porter.verify.tiny.base import COMMON_FLAGS, UNK_ID, TinySetup, build_base_llama, default_prompts, load_base_model
from porter.verify.tiny.eagle import ORACLE_PROMPT_COUNT

MASK_ID = UNK_ID

# The forward's default block size, which no flag changes.
MASK_NUM = 5

# New tokens of the oracle check (`MAX_NEW_TOKENS`). The last step can add MASK_NUM tokens past it,
# and its mask block looks MASK_NUM + 1 tokens further, so training covers three steps more.
TRAINED_NEW_TOKENS = 32
TRAINED_CONTINUATION = TRAINED_NEW_TOKENS + 3 * (MASK_NUM + 1)

FIT_MAX_STEPS = 400
FIT_LEARNING_RATE = 0.01

# Lead of each target logit over the runner-up at which training stops, so that rounding differences
# between SPACE's batched masks and plain greedy decoding stay far too small to change a prediction.
FIT_MARGIN = 2.0


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_space.py` and return the runner flags and forward overrides.

    With `oracle=True` the base model is trained for mask prediction on the default prompts and the
    check stops after `TRAINED_NEW_TOKENS`. Otherwise it is a random base model and the forward keeps
    its 512-token limit.
    """
    workdir = Path(workdir)

    if oracle:
        model_dir = build_base_llama(workdir / "base-mask-trained", seed=seed)
        train_mask_prediction(model_dir, seed=seed)
        overrides = {"MASK_ID": MASK_ID, "MAX_NEW_TOKENS": TRAINED_NEW_TOKENS}
    else:
        model_dir = build_base_llama(workdir / "base", seed=seed)
        overrides = {"MASK_ID": MASK_ID}

    return TinySetup(
        method="space",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), *COMMON_FLAGS),
        forward_overrides=overrides,
    )


def train_mask_prediction(model_dir: Path, *, seed: int) -> None:
    """Train the model saved in `model_dir` to continue and mask-predict the default prompts, in place.

    Training stops once every target leads the runner-up logit by `FIT_MARGIN`, or after
    `FIT_MAX_STEPS` steps. The model is saved either way, so a training that falls short shows up
    as a low accept length, not as an error.
    """
    import torch

    model = load_base_model(model_dir)
    examples = [
        training_example(prompt, periodic_continuation(prompt, TRAINED_CONTINUATION))
        for prompt in default_prompts(ORACLE_PROMPT_COUNT, seed=seed)
    ]
    optimizer = torch.optim.Adam(model.parameters(), lr=FIT_LEARNING_RATE)

    with torch.enable_grad():
        for _ in range(FIT_MAX_STEPS):
            optimizer.zero_grad()
            loss, all_clear = training_loss(model, examples)
            if all_clear:
                break
            loss.backward()
            optimizer.step()

    model.eval()
    model.save_pretrained(model_dir)


def periodic_continuation(prompt: list[int], length: int) -> list[int]:
    """Return the next `length` tokens of the prompt text after BOS, continued with its shortest period."""
    text = prompt[1:]
    period = next(
        candidate
        for candidate in range(1, len(text) + 1)
        if all(text[index] == text[index - candidate] for index in range(candidate, len(text)))
    )
    return [text[len(text) - period + index % period] for index in range(length)]


def training_example(prompt: list[int], continuation: list[int]) -> dict:
    """Lay out one prompt for training as one sequence: the text, then one mask block per position.

    The text is `prompt + continuation`, and every continuation position n with at least MASK_NUM
    known tokens after it gets a block. The block attends to the text before n and to its own earlier
    masks. Its masks take positions n to n + MASK_NUM - 1, as in SPACE's first block after a context
    of n tokens. Target -100 marks a position without a target.
    """
    import torch

    text = prompt + continuation
    block_starts = range(len(prompt), len(text) - MASK_NUM)
    length = len(text) + MASK_NUM * len(block_starts)

    input_ids = torch.full((length,), MASK_ID)
    position_ids = torch.zeros(length, dtype=torch.long)
    attention = torch.zeros(length, length)
    targets = torch.full((length,), -100)

    input_ids[: len(text)] = torch.tensor(text)
    position_ids[: len(text)] = torch.arange(len(text))
    attention[: len(text), : len(text)] = torch.ones(len(text), len(text)).tril()
    targets[len(prompt) - 1 : len(text) - 1] = torch.tensor(text[len(prompt) :])

    for block, start in enumerate(block_starts):
        first = len(text) + block * MASK_NUM
        for offset in range(MASK_NUM):
            row = first + offset
            position_ids[row] = start + offset
            attention[row, :start] = 1
            attention[row, first : row + 1] = 1
            targets[row] = text[start + 1 + offset]

    return {
        "input_ids": input_ids,
        "position_ids": position_ids,
        "attention_mask": attention,
        "targets": targets,
    }


def training_loss(model, examples: list[dict]):
    """Return the mean cross-entropy over all targets, and whether every target leads by `FIT_MARGIN`."""
    import torch

    losses = []
    all_clear = True

    for example in examples:
        logits = model(
            input_ids=example["input_ids"][None],
            position_ids=example["position_ids"][None],
            attention_mask=example["attention_mask"][None, None],
        ).logits[0]

        has_target = example["targets"] != -100
        target_logits = logits[has_target]
        targets = example["targets"][has_target]
        losses.append(torch.nn.functional.cross_entropy(target_logits, targets))

        chosen = target_logits.gather(1, targets[:, None])[:, 0]
        runner_up = target_logits.scatter(1, targets[:, None], float("-inf")).max(dim=1).values
        all_clear = all_clear and bool((chosen - runner_up >= FIT_MARGIN).all())

    return torch.stack(losses).mean(), all_clear

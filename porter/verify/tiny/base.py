"""Tiny random base models, a character-level tokenizer and repetitive prompts for `specport verify`.

Everything here is built offline and deterministically, so that the original runner and the generated
class load byte-identical weights on any machine without network access.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

VOCAB_SIZE = 1000
HIDDEN_SIZE = 64
NUM_HEADS = 4
INTERMEDIATE_SIZE = 128
MAX_POSITIONS = 2048

PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
UNK_ID = 3
FIRST_TEXT_ID = 4

# Runner flags that every tiny setup passes: a model id for the answer file name and float32 weights.
COMMON_FLAGS = ("--model-id", "tiny", "--dtype", "float32")

# Small enough that the 2-layer tiny model (about 0.8 MB in float32) is split into several files.
SHARD_SIZE = "200KB"


@dataclass(frozen=True)
class TinySetup:
    """Models and settings that let one method's original runner and its port run side by side.

    `runner_flags` is the argv after the script name for the runner's `__main__`. `forward_overrides`
    are forward kwargs that the harness cannot pass through flags. They are applied to the original
    call and given to the generated class as kwargs too. `port_kwargs` are constructor kwargs for the
    generated class, keyed by the argparse dest of the runner flag they replace. `env` contains the
    environment variables both runs need.
    """

    method: str
    model_dir: Path
    draft_model_dir: Path | None
    runner_flags: tuple[str, ...]
    forward_overrides: dict = field(default_factory=dict)
    port_kwargs: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)


def _text_alphabet() -> list[str]:
    """Return one character per text id: printable ASCII first, then Latin Extended characters."""
    printable = [chr(code) for code in range(32, 127)]
    extra_count = VOCAB_SIZE - FIRST_TEXT_ID - len(printable)
    extended = [chr(0x100 + offset) for offset in range(extra_count)]
    return printable + extended


def build_tokenizer(folder: Path) -> Path:
    """Save a character-level fast tokenizer with the tiny vocabulary into `folder` and return it.

    Each character is one token; characters outside the alphabet map to `<unk>` (id 3), never to pad.
    Encoding adds BOS like the Llama tokenizer does, and decoding joins characters without spaces.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    vocab = {"<pad>": PAD_ID, "<s>": BOS_ID, "</s>": EOS_ID, "<unk>": UNK_ID}
    for offset, character in enumerate(_text_alphabet()):
        vocab[character] = FIRST_TEXT_ID + offset

    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    backend.decoder = decoders.Fuse()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A",
        pair="<s> $A <s> $B",
        special_tokens=[("<s>", BOS_ID)],
    )

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer.save_pretrained(folder)
    _pin_fast_tokenizer_class(folder)
    return folder


def _pin_fast_tokenizer_class(folder: Path) -> None:
    """Make `AutoTokenizer.from_pretrained(folder, use_fast=False)` load the fast tokenizer.

    transformers 4.50 saves the class as "PreTrainedTokenizer", and loading that with
    `use_fast=False` (as EAGLE's loaders do) returns a bool instead of a tokenizer. With
    "PreTrainedTokenizerFast", 4.37 and 4.50 both load the fast tokenizer.
    """
    import json

    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def tiny_llama_config(*, layers: int = 2):
    """Return the LlamaConfig shared by every tiny base model and drafter."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=HIDDEN_SIZE,
        num_attention_heads=NUM_HEADS,
        num_key_value_heads=NUM_HEADS,
        intermediate_size=INTERMEDIATE_SIZE,
        num_hidden_layers=layers,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=PAD_ID,
        torch_dtype="float32",
    )


def build_base_llama(folder: Path, *, layers: int = 2, sharded: bool = False, seed: int = 0) -> Path:
    """Save a random float32 Llama and the tiny tokenizer into `folder` and return it.

    The weights depend only on `layers` and `seed`. With `sharded=True` the weights are split into
    several files listed in a `*.index.json`, as large checkpoints are.
    """
    import torch
    from transformers import LlamaForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_llama_config(layers=layers)).to(torch.float32).eval()

    if sharded:
        model.save_pretrained(folder, max_shard_size=SHARD_SIZE)
    else:
        model.save_pretrained(folder)

    build_tokenizer(folder)
    return folder


def default_prompts(count: int, *, seed: int = 0) -> list[list[int]]:
    """Return `count` token-id prompts: BOS, then a short random phrase repeated several times.

    Repetition gives lookup-based drafters n-grams to match and lets head-based drafters accept
    several tokens a step. No prompt contains the pad, EOS or unknown id.
    """
    rng = random.Random(seed)
    prompts = []

    for _ in range(count):
        phrase_length = rng.randint(3, 6)
        phrase = [rng.randrange(FIRST_TEXT_ID, VOCAB_SIZE) for _ in range(phrase_length)]
        repeats = rng.randint(3, 5)
        prompts.append([BOS_ID] + phrase * repeats)

    return prompts


def load_base_model(folder: Path):
    """Load a tiny base model saved by `build_base_llama` as a float32 LlamaForCausalLM in eval mode."""
    import torch
    from transformers import LlamaForCausalLM

    return LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()


def write_json(path: Path, content: dict) -> Path:
    """Write `content` as indented JSON to `path`, creating its folder, and return the path."""
    import json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n")
    return path


def greedy_decode(model, prompt_ids: list[int], max_new_tokens: int, *, eos_id: int | None = EOS_ID) -> list[int]:
    """Return the greedy continuation of `prompt_ids` by a causal LM, with a KV cache.

    Decoding stops after `max_new_tokens` tokens or right after the first `eos_id`, which is kept.
    This loop calls only the model's forward, so patches that runners apply to `generate` do not
    reach it.
    """
    import torch

    device = next(model.parameters()).device
    input_ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=device)
    continuation: list[int] = []
    past_key_values = None

    with torch.inference_mode():
        while len(continuation) < max_new_tokens:
            outputs = model(input_ids=input_ids, past_key_values=past_key_values, use_cache=True)
            past_key_values = outputs.past_key_values
            next_token = int(outputs.logits[0, -1].argmax())
            continuation.append(next_token)

            if next_token == eos_id:
                break
            input_ids = torch.tensor([[next_token]], dtype=torch.long, device=device)

    return continuation


def continue_phrase(prompt_ids: list[int], new_tokens: int) -> list[int]:
    """Return the next `new_tokens` tokens of a `default_prompts` prompt if its phrase kept repeating.

    The phrase is the shortest period of the prompt after BOS.
    """
    body = list(prompt_ids[1:])
    if not body:
        raise ValueError("prompt has no tokens after BOS; expected a prompt from default_prompts")

    period = next(
        length
        for length in range(1, len(body) + 1)
        if all(body[index] == body[index % length] for index in range(len(body)))
    )
    return [body[(len(body) + offset) % period] for offset in range(new_tokens)]

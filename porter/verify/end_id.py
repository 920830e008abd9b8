"""Make decoding stop early: declare a token the model really produces as its EOS.

Random tiny models almost never emit the tokenizer's EOS, so the runners' and the ports' end-of-
sequence handling would never run. Before either side loads the models, the base folder's
tokenizer and configs are rewritten to call one token of the greedy continuation "EOS". Both
sides then read the same EOS id, as they would for a real model.
"""

from __future__ import annotations

import json
from pathlib import Path


def _rewrite_json(path: Path, changes: dict) -> None:
    if not path.is_file():
        return
    content = json.loads(path.read_text())
    content.update(changes)
    path.write_text(json.dumps(content, indent=2) + "\n")


def declare_end_id(model_dir: Path, token_id: int) -> None:
    """Make `token_id` the EOS of the model and tokenizer saved in `model_dir`."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    token = tokenizer.convert_ids_to_tokens(token_id)
    _rewrite_json(model_dir / "tokenizer_config.json", {"eos_token": token})
    _rewrite_json(model_dir / "special_tokens_map.json", {"eos_token": token})
    _rewrite_json(model_dir / "config.json", {"eos_token_id": token_id})
    _rewrite_json(model_dir / "generation_config.json", {"eos_token_id": token_id})
    if AutoTokenizer.from_pretrained(model_dir).eos_token_id != token_id:
        raise RuntimeError(f"could not make token {token_id} ({token!r}) the EOS of {model_dir}")

"""Helpers for prompt lookup decoding: draft search, KV cache cropping and dtype names."""

import torch

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def find_candidate_tokens(input_ids, ngram_size, num_draft):
    """Return the tokens that followed the most recent earlier occurrence of the last n-gram.

    `input_ids` has shape (1, seq_len). The result has shape (k,) with 0 <= k <= num_draft, and is
    empty when the sequence is shorter than ngram_size + 1 or the n-gram never occurred before.
    """
    tokens = input_ids[0]
    seq_len = tokens.shape[0]
    if ngram_size < 1 or num_draft < 1 or seq_len <= ngram_size:
        return tokens.new_empty(0)

    ngram = tokens[-ngram_size:]
    windows = tokens[:-1].unfold(0, ngram_size, 1)
    matches = (windows == ngram).all(dim=1).nonzero().flatten()
    if matches.numel() == 0:
        return tokens.new_empty(0)

    start = matches[-1].item() + ngram_size
    return tokens[start : start + num_draft]


def crop_past_key_values(past_key_values, max_length):
    """Drop the cached positions from max_length on, so rejected draft tokens leave no trace.

    transformers 4.37.1 returns a tuple of (key, value) pairs per layer when no Cache object is
    passed in, and its DynamicCache has no crop(), so both layouts are sliced here.
    """
    if hasattr(past_key_values, "crop"):
        past_key_values.crop(max_length)
        return past_key_values

    if hasattr(past_key_values, "key_cache"):
        for layer in range(len(past_key_values.key_cache)):
            past_key_values.key_cache[layer] = past_key_values.key_cache[layer][..., :max_length, :]
            past_key_values.value_cache[layer] = past_key_values.value_cache[layer][..., :max_length, :]
        past_key_values.seen_tokens = max_length
        return past_key_values

    return tuple((key[..., :max_length, :], value[..., :max_length, :]) for key, value in past_key_values)

"""Fake models: the next token after t is (t + 1) % 50, so every sequence is known in advance."""

import torch

EOS = 2


class FakeTokenizer:
    eos_token_id = EOS
    pad_token_id = 0

    @classmethod
    def from_pretrained(cls, path):
        return cls()


class FakeModel(torch.nn.Module):
    """A model whose `generate` runs its own loop, one token per step, and feeds a streamer."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.forward_calls = 0

    @classmethod
    def from_pretrained(cls, path, torch_dtype=None, low_cpu_mem_usage=False, device_map=None):
        return cls()

    def forward(self, input_ids):
        self.forward_calls += 1
        return (input_ids[:, -1:] + 1) % 50

    def generate(self, input_ids, max_new_tokens, streamer=None):
        if streamer is not None:
            streamer.put(input_ids)
        accept_lengths = []
        for _ in range(max_new_tokens):
            next_token = self(input_ids)
            input_ids = torch.cat([input_ids, next_token], dim=-1)
            accept_lengths.append(1)
            if streamer is not None:
                streamer.put(next_token)
            if next_token.item() == EOS:
                break
        return input_ids, accept_lengths


class FakeBlockModel(FakeModel):
    """A model whose `decode_blocks` runs its own loop of `block` tokens a step, with no streamer.

    Each step is one forward pass (the verification pass of a real method), plus one prefill pass.
    """

    def decode_blocks(self, input_ids, max_new_tokens, block=3):
        self(input_ids)
        accept_lengths = []
        produced = 0
        while produced < max_new_tokens:
            self(input_ids)
            for _ in range(block):
                input_ids = torch.cat([input_ids, (input_ids[:, -1:] + 1) % 50], dim=-1)
            produced += block
            accept_lengths.append(block)
            if EOS in input_ids[0, -block:].tolist():
                break
        return input_ids, accept_lengths

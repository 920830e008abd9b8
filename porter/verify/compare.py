"""Compare a port's run() output with its runner's forward and with greedy decoding.

The expected values are computed here from the original's own outputs, independently of the
generated code: the tokens up to the first end_id, and the steps the runner's accept lengths
describe over those tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


def cut_at(tokens: Sequence[int], end_id: int) -> list[int]:
    """Return the tokens before the first `end_id`, or all of them when it does not occur."""
    tokens = list(tokens)
    return tokens[: tokens.index(end_id)] if end_id in tokens else tokens


def expected_step_lengths(accept_lengths: Sequence[int], kept: int) -> list[int]:
    """Tokens per step once the output is cut to `kept` tokens.

    Steps are laid over the output in order; a step that would reach past the cut is shortened,
    and steps after it vanish. Tokens that no accept length counts join the last step.
    """
    lengths: list[int] = []
    position = 0
    for accept_length in accept_lengths:
        take = min(int(accept_length), kept - position)
        if take > 0:
            lengths.append(take)
            position += take
    if position < kept:
        if lengths:
            lengths[-1] += kept - position
        else:
            lengths.append(kept - position)
    return lengths


def first_difference(left: Sequence[int], right: Sequence[int]) -> int | None:
    """Index of the first position where the sequences differ (a length difference counts)."""
    for index, (a, b) in enumerate(zip(left, right)):
        if a != b:
            return index
    return None if len(left) == len(right) else min(len(left), len(right))


@dataclass
class PromptCheck:
    """Result of the checks for one prompt. Each problem is a sentence naming what differed and where."""

    prompt_index: int
    tokens: int
    steps: int
    problems: list[str] = field(default_factory=list)


def check_prompt(
    prompt_index: int,
    port_chunks: Sequence[Sequence[int]],
    port_times: Sequence[float],
    original_output: Sequence[int],
    original_accept_lengths: Sequence[int],
    greedy_output: Sequence[int],
    end_id: int,
) -> PromptCheck:
    port_tokens = [token for chunk in port_chunks for token in chunk]
    original = cut_at(original_output, end_id)
    check = PromptCheck(prompt_index, len(port_tokens), len(port_chunks))

    position = first_difference(port_tokens, original)
    if position is not None:
        check.problems.append(
            f"tokens differ from the runner's at position {position} "
            f"(port {port_tokens[position:position + 3]}, runner {original[position:position + 3]})"
        )

    # Greedy decoding ran for a fixed number of tokens; a runner that ignores max_new_tokens
    # (space) may produce more, and only the overlap can be compared.
    greedy = cut_at(greedy_output, end_id)
    ended = end_id in greedy_output
    compared = port_tokens if ended else port_tokens[: len(greedy)]
    greedy = greedy[: len(compared)] if not ended else greedy
    position = first_difference(compared, greedy)
    if position is not None:
        check.problems.append(
            f"tokens differ from greedy decoding at position {position} "
            f"(port {port_tokens[position:position + 3]}, greedy {greedy[position:position + 3]})"
        )

    expected = expected_step_lengths(original_accept_lengths, len(original))
    lengths = [len(chunk) for chunk in port_chunks]
    if lengths != expected:
        step = first_difference(lengths, expected)
        check.problems.append(
            f"chunk lengths differ from the runner's accept lengths at step {step} "
            f"(port {lengths[step:step + 3]}, runner {expected[step:step + 3]})"
        )

    if len(port_times) != len(port_chunks) + 1:
        check.problems.append(f"{len(port_times)} token_times for {len(port_chunks)} chunks; expected one more")
    decreasing = [index for index in range(1, len(port_times)) if port_times[index] < port_times[index - 1]]
    if decreasing:
        check.problems.append(f"token_times decrease at index {decreasing[0]}")
    if any(not chunk for chunk in port_chunks):
        check.problems.append("a chunk is empty")
    return check

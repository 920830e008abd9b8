"""Original SAMD runner on tiny models, and the static suffix automaton that the oracle setup pickles."""

import random

import pytest

from porter.verify.tiny.base import EOS_ID as EOS
from porter.verify.tiny.samd import build_suffix_automaton

pytestmark = pytest.mark.usefixtures("single_torch_thread")

METHOD = "samd"

# Every step that accepts only the base model's own token is a failed draft, so 1.0 means no draft was ever accepted.
MIN_MEAN_ACCEPT_LENGTH = 1.5


@pytest.mark.parametrize("oracle", [True, False], ids=["static-automaton", "token-recycle-tree"])
def test_samd_matches_greedy(assert_lossless, oracle):
    assert_lossless(METHOD, oracle)


def test_samd_oracle_accepts_several_tokens(mean_accept_length):
    assert mean_accept_length(METHOD, oracle=True) > MIN_MEAN_ACCEPT_LENGTH


def joined_text(corpus):
    """The corpus as the automaton reads it: sequences joined, each followed by EOS unless it ends with one."""
    text = []
    for sequence in corpus:
        text += sequence if sequence[-1] == EOS else sequence + [EOS]
    return text


def end_positions(text, pattern):
    """1-based positions where `pattern` ends in `text`."""
    size = len(pattern)
    return [end for end in range(size, len(text) + 1) if text[end - size : end] == pattern]


def walk(automaton, pattern):
    """The state reached from the root by reading `pattern`, or None when a transition is missing."""
    state = 0
    for token in pattern:
        state = automaton.states[state].next.get(token)
        if state is None:
            return None
    return state


CORPORA = {
    "repeats": [[5, 6, 5, 6, 5, 7], [6, 5, 6, EOS]],
    "single token": [[9, 9, 9, 9]],
    "random": [[random.Random(seed).randrange(4, 8) for _ in range(30)] for seed in range(3)],
}


@pytest.mark.parametrize("corpus", CORPORA.values(), ids=CORPORA.keys())
def test_suffix_automaton_counts_every_substring(corpus):
    automaton = build_suffix_automaton(corpus, EOS)
    text = joined_text(corpus)

    assert automaton.input_ids == [-1] + text
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            pattern = text[start:end]
            state = walk(automaton, pattern)
            ends = end_positions(text, pattern)

            assert state is not None, f"substring {pattern} has no path"
            assert automaton.states[state].cnt_endpos == len(ends), f"end count of {pattern}"
            assert automaton.states[state].min_endpos == ends[0], f"first end of {pattern}"


@pytest.mark.parametrize("corpus", CORPORA.values(), ids=CORPORA.keys())
def test_suffix_automaton_rejects_absent_strings(corpus):
    automaton = build_suffix_automaton(corpus, EOS)
    text = joined_text(corpus)
    present = {tuple(text[start:end]) for start in range(len(text)) for end in range(start + 1, len(text) + 1)}
    candidates = [[a, b, c] for a in range(2, 10) for b in range(2, 10) for c in range(2, 10)]

    for pattern in candidates:
        if tuple(pattern) not in present:
            assert walk(automaton, pattern) is None, f"{pattern} is not in the text but has a path"


def test_suffix_automaton_ranks_next_tokens_by_frequency():
    automaton = build_suffix_automaton([[5, 6, 5, 6, 5, 7]], EOS)
    after_five = walk(automaton, [5])

    ranked = [token for token, _ in automaton.states_topk_next[after_five]]

    assert ranked == [6, 7]

"""Tiny setup for Spec-Bench's SAMD runner: a base model and, for the oracle, a static suffix automaton.

SAMD drafts from two suffix automata: a dynamic one over the prompt and the tokens generated so far,
and an optional static one over a corpus, which the runner unpickles from `--static_sam_path` with
`model.samd.load_sam`. The dynamic automaton alone accepts about 1.3 tokens a step on the tiny base
model, because the base model's greedy continuations repeat little of their prompts.

The oracle setup adds a static automaton over each default prompt followed by the base model's
greedy continuation, so a lookup proposes the tokens the base model will accept. Those drafts form
a single chain, so the accepted tokens' cache entries are already in place and the cache
compaction copies nothing. The other setup therefore drafts with the `token_recycle` tree model,
whose trees branch and whose accepted paths need the copy.

`load_sam` copies every attribute of the unpickled object that SAMD's `StaticSAM` also has, so the
pickle contains plain `types.SimpleNamespace` objects and needs no Spec-Bench class to be written or read.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

from porter.verify.tiny.base import COMMON_FLAGS, EOS_ID, TinySetup, build_base_llama, load_base_model
from porter.verify.tiny.eagle import greedy_continuations

STATIC_SAM_FILE = "static_sam.pkl"

# SAMD's StaticSAM keeps the 8 most frequent transitions of each state as draft-tree branches.
TOP_NEXT_COUNT = 8

# Draft length (`--samd_n_predicts`, 40 by default). With the oracle automaton a 40-token draft
# finishes a 32-token check in one step, so the cache updates between steps would never run.
N_PREDICTS = 8

# The tree model of the non-oracle setup. Its tree comes with SAMD, in `config/token_recycle.json`.
TREE_METHOD = "token_recycle"


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model for `inference_samd.py` and the drafter settings, and return the runner flags.

    With `oracle=True` SAMD drafts from a static suffix automaton of the base model's greedy
    continuations and has no tree model. Otherwise it drafts with the `token_recycle` tree model,
    which learns while it decodes. Drafts are `N_PREDICTS` tokens at most.
    """
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)
    runner_flags = ("--model-path", str(model_dir), "--samd_n_predicts", str(N_PREDICTS), *COMMON_FLAGS)
    port_kwargs = {"samd_n_predicts": N_PREDICTS}

    if oracle:
        continuations = greedy_continuations(load_base_model(model_dir), seed=seed)
        corpus = [prompt + continuation for prompt, continuation in continuations]
        sam_path = write_static_sam(workdir / "static-sam" / STATIC_SAM_FILE, corpus)
        runner_flags += ("--static_sam_path", str(sam_path))
        port_kwargs["static_sam_path"] = str(sam_path)
    else:
        runner_flags += ("--tree_method", TREE_METHOD)
        port_kwargs["tree_method"] = TREE_METHOD

    return TinySetup(
        method="samd",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=runner_flags,
        port_kwargs=port_kwargs,
    )


def write_static_sam(path: Path, corpus: list[list[int]]) -> Path:
    """Pickle the suffix automaton of `corpus` to `path` in the layout SAMD's `load_sam` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(build_suffix_automaton(corpus, EOS_ID)))
    return path


def build_suffix_automaton(corpus: list[list[int]], eos_id: int) -> SimpleNamespace:
    """Return the suffix automaton of the corpus sequences joined into one token string.

    Each sequence is followed by `eos_id` unless it already ends with it, as SAMD's corpus builder
    does. Position 0 of `input_ids` is a -1 placeholder, so a state's `min_endpos` indexes
    `input_ids` directly. Each state carries its transitions (`next`), suffix link (`link`), longest
    length, number of end positions (`cnt_endpos`) and first end position (`min_endpos`).
    """
    states = [_new_state(length=0, link=-1, min_endpos=0)]
    input_ids = [-1]
    last = 0
    is_clone = [False]

    for sequence in corpus:
        tokens = list(sequence) if sequence and sequence[-1] == eos_id else list(sequence) + [eos_id]
        for token in tokens:
            input_ids.append(token)
            last = _extend(states, is_clone, last, token, position=len(input_ids) - 1)

    _count_end_positions(states, is_clone)
    top_next = [
        sorted(state.next.items(), key=lambda item: states[item[1]].cnt_endpos, reverse=True)[:TOP_NEXT_COUNT]
        for state in states
    ]

    return SimpleNamespace(
        states=states,
        input_ids=input_ids,
        states_topk_next=top_next,
        last=last,
        max_length=len(input_ids) - 1,
    )


def _new_state(*, length: int, link: int, min_endpos: int, next_states: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        next=dict(next_states or {}),
        link=link,
        length=length,
        cnt_endpos=0,
        min_endpos=min_endpos,
    )


def _extend(states: list, is_clone: list, last: int, token: int, *, position: int) -> int:
    """Append `token` to the automaton whose whole string ends in state `last`, and return the new last state."""
    current = len(states)
    states.append(_new_state(length=states[last].length + 1, link=-1, min_endpos=position))
    is_clone.append(False)

    state = last
    while state != -1 and token not in states[state].next:
        states[state].next[token] = current
        state = states[state].link

    if state == -1:
        states[current].link = 0
        return current

    target = states[state].next[token]
    if states[state].length + 1 == states[target].length:
        states[current].link = target
        return current

    # The target state also represents longer strings, so its shorter part splits off as a clone.
    clone = len(states)
    states.append(
        _new_state(
            length=states[state].length + 1,
            link=states[target].link,
            min_endpos=states[target].min_endpos,
            next_states=states[target].next,
        )
    )
    is_clone.append(True)

    while state != -1 and states[state].next.get(token) == target:
        states[state].next[token] = clone
        state = states[state].link

    states[target].link = clone
    states[current].link = clone
    return current


def _count_end_positions(states: list, is_clone: list) -> None:
    """Set each non-root state's `cnt_endpos` to the number of places its strings end in the text.

    Every position creates one non-clone state, and a state's end positions are those of all the
    states whose suffix links lead to it, so the counts add up from the longest states down.
    """
    for index, state in enumerate(states):
        state.cnt_endpos = 0 if index == 0 or is_clone[index] else 1

    for index in sorted(range(1, len(states)), key=lambda index: states[index].length, reverse=True):
        link = states[index].link
        if link > 0:
            states[link].cnt_endpos += states[index].cnt_endpos

"""Tiny setup for Spec-Bench's REST runner: a base model and a draftretriever datastore.

REST drafts by looking up the last 16 to 2 tokens of the context in a suffix-array datastore and
proposing the tokens that follow them there. The runner reads the datastore from `--datastore-path`
with `draftretriever.Reader(index_file_path=...)`. The datastore is written here with
`draftretriever.Writer`, whose PyPI release 0.1.1 names the path argument `file_path`.

The datastore always contains random token sequences, which rarely share a two-token suffix with a
prompt. The oracle datastore adds each default prompt followed by the base model's greedy
continuation, so a lookup proposes exactly the tokens the base model will accept.

NOTE: draftretriever 0.1.1 from PyPI also matches inside the query itself, which the copy bundled
with Spec-Bench (0.1.0, `model/rest/DraftRetriever`) does not. A query that repeats a span returns
the span's periodic continuation even from a datastore without it. With the random datastore the
tiny base model's cycles are drafted that way, and REST accepts about 1.5 tokens a step.
"""

from __future__ import annotations

import random
from pathlib import Path

from porter.verify.tiny.base import (
    COMMON_FLAGS,
    FIRST_TEXT_ID,
    VOCAB_SIZE,
    TinySetup,
    build_base_llama,
    load_base_model,
)
from porter.verify.tiny.eagle import greedy_continuations

DATASTORE_FILE = "datastore.idx"

RANDOM_SEQUENCE_COUNT = 200
RANDOM_SEQUENCE_LENGTH = 64


def build(workdir: Path, *, oracle: bool = True, seed: int = 0) -> TinySetup:
    """Build the base model and a datastore for `inference_rest.py`, and return the runner flags."""
    workdir = Path(workdir)
    model_dir = build_base_llama(workdir / "base", seed=seed)

    sequences = random_sequences(seed=seed)
    if oracle:
        continuations = greedy_continuations(load_base_model(model_dir), seed=seed)
        sequences += [prompt + continuation for prompt, continuation in continuations]

    datastore = write_datastore(workdir / ("datastore-oracle" if oracle else "datastore-random"), sequences)

    return TinySetup(
        method="rest",
        model_dir=model_dir,
        draft_model_dir=None,
        runner_flags=("--model-path", str(model_dir), "--datastore-path", str(datastore), *COMMON_FLAGS),
        port_kwargs={"datastore_path": str(datastore)},
    )


def random_sequences(*, seed: int) -> list[list[int]]:
    """Return reproducible random sequences of text token ids.

    The generator is seeded apart from `default_prompts`, whose stream with the same integer seed would
    put the prompts' own phrases into the datastore.
    """
    rng = random.Random(f"rest-random-sequences-{seed}")
    return [
        [rng.randrange(FIRST_TEXT_ID, VOCAB_SIZE) for _ in range(RANDOM_SEQUENCE_LENGTH)]
        for _ in range(RANDOM_SEQUENCE_COUNT)
    ]


def write_datastore(folder: Path, sequences: list[list[int]]) -> Path:
    """Write `sequences` into a draftretriever datastore file in `folder` and return its path."""
    import draftretriever

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DATASTORE_FILE

    writer = draftretriever.Writer(file_path=str(path), vocab_size=VOCAB_SIZE)
    for sequence in sequences:
        writer.add_entry(sequence)
    writer.finalize()

    return path

"""Original EAGLE-3 runner on tiny models: lossless, the head loads fully, and the oracle head accepts several tokens a step."""

import pytest

from porter.verify.tiny.eagle import HEAD_FILE

pytestmark = pytest.mark.usefixtures("single_torch_thread")

METHOD = "eagle3"

# Every step that accepts only the base model's own token is a failed draft, so 1.0 means no draft was ever accepted.
MIN_MEAN_ACCEPT_LENGTH = 1.5


@pytest.fixture(scope="module")
def eagle3_model(spec_bench, tiny_setups):
    """The EaModel that the original runner's `__main__` loads for the oracle setup."""
    from porter.verify.original import capture_runner

    setup = tiny_setups(METHOD, True)
    runner = spec_bench / "evaluation" / "inference_eagle3.py"
    return capture_runner(spec_bench, runner, setup.runner_flags, setup.env).model


@pytest.mark.parametrize("oracle", [True, False], ids=["oracle-head", "random-head"])
def test_eagle3_matches_greedy(assert_lossless, oracle):
    assert_lossless(METHOD, oracle)


def test_eagle3_oracle_accepts_several_tokens(mean_accept_length):
    assert mean_accept_length(METHOD, oracle=True) > MIN_MEAN_ACCEPT_LENGTH


def test_eagle3_head_covers_draft_keys_but_embedding(eagle3_model, tiny_setups):
    # The EAGLE-3 loader calls load_state_dict(strict=False), so a missing key would stay random silently.
    import torch

    saved = torch.load(tiny_setups(METHOD, True).draft_model_dir / HEAD_FILE)
    draft_keys = set(eagle3_model.ea_layer.state_dict())

    assert set(saved) <= draft_keys, f"keys the draft model does not have: {sorted(set(saved) - draft_keys)}"
    assert draft_keys - set(saved) == {"embed_tokens.weight"}


def test_eagle3_draft_embedding_read_from_base_shards(eagle3_model):
    import torch

    base_embedding = eagle3_model.base_model.model.embed_tokens.weight
    draft_embedding = eagle3_model.ea_layer.embed_tokens.weight

    assert torch.equal(draft_embedding, base_embedding)

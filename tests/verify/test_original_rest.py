"""Original REST runner on tiny models: lossless, and an oracle datastore accepts several tokens a step."""

import pytest

pytestmark = pytest.mark.usefixtures("single_torch_thread")

METHOD = "rest"

# Every step that accepts only the base model's own token is a failed draft, so 1.0 means no draft was ever accepted.
MIN_MEAN_ACCEPT_LENGTH = 1.5


@pytest.mark.parametrize("oracle", [True, False], ids=["oracle-datastore", "random-datastore"])
def test_rest_matches_greedy(assert_lossless, oracle):
    assert_lossless(METHOD, oracle)


def test_rest_oracle_accepts_several_tokens(mean_accept_length):
    assert mean_accept_length(METHOD, oracle=True) > MIN_MEAN_ACCEPT_LENGTH

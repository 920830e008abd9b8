"""Original SpS runner on tiny models: lossless, and a copy of the base model as drafter accepts several tokens a step."""

import pytest

METHOD = "sps"

pytestmark = pytest.mark.usefixtures("single_torch_thread")

# A mean above 1.5 means drafts are accepted, so the code that keeps several tokens a step runs.
MIN_MEAN_ACCEPT_LENGTH = 1.5


@pytest.mark.parametrize("oracle", [True, False], ids=["oracle-drafter", "random-drafter"])
def test_sps_matches_greedy(assert_lossless, oracle):
    assert_lossless(METHOD, oracle)


def test_sps_oracle_accepts_several_tokens(mean_accept_length):
    assert mean_accept_length(METHOD, oracle=True) > MIN_MEAN_ACCEPT_LENGTH

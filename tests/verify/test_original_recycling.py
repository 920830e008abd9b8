"""Original token-recycling runner on a tiny model: lossless, and recycled drafts accept several tokens a step."""

import pytest

pytestmark = pytest.mark.usefixtures("single_torch_thread")

METHOD = "recycling"

# Recycling counts the token it drafts from in each accept length, so a step without an accepted draft counts 1.
MIN_MEAN_ACCEPT_LENGTH = 1.5


def test_recycling_matches_greedy(assert_lossless):
    assert_lossless(METHOD, oracle=True)


def test_recycling_accepts_several_tokens(mean_accept_length):
    assert mean_accept_length(METHOD, oracle=True) > MIN_MEAN_ACCEPT_LENGTH

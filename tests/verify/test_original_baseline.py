"""Original baseline runner on a tiny model: plain greedy decoding through `model.generate`."""

import pytest

METHOD = "baseline"

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def test_baseline_matches_greedy(assert_lossless):
    assert_lossless(METHOD, oracle=True)


def test_baseline_reports_one_token_per_step(original_runs):
    for _, result in original_runs(METHOD, oracle=True):
        assert result.accept_lengths == [1] * len(result.output_ids)
        assert result.steps == len(result.output_ids)

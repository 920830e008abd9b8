import pytest

from porter.verify.compare import check_prompt, cut_at, expected_step_lengths, first_difference


def test_cut_at_end_id():
    assert cut_at([5, 6, 2, 7], 2) == [5, 6]
    assert cut_at([5, 6], 2) == [5, 6]
    assert cut_at([5, 6], -1) == [5, 6]


@pytest.mark.parametrize(
    ("accept_lengths", "kept", "expected"),
    [
        pytest.param([3, 3, 3], 9, [3, 3, 3], id="exact"),
        pytest.param([3, 3, 3], 7, [3, 3, 1], id="cut-inside-last-step"),
        pytest.param([3, 3, 3], 6, [3, 3], id="cut-drops-a-step"),
        pytest.param([2, 2], 5, [2, 3], id="uncounted-tokens-join-last-step"),
        pytest.param([], 2, [2], id="no-steps"),
        pytest.param([1, 0, 2], 3, [1, 2], id="empty-step"),
    ],
)
def test_expected_step_lengths(accept_lengths, kept, expected):
    assert expected_step_lengths(accept_lengths, kept) == expected


def test_first_difference():
    assert first_difference([1, 2, 3], [1, 2, 3]) is None
    assert first_difference([1, 9, 3], [1, 2, 3]) == 1
    assert first_difference([1, 2], [1, 2, 3]) == 2


def test_matching_run_has_no_problems():
    check = check_prompt(0, [[5, 6], [7]], [0.0, 1.0, 2.0], [5, 6, 7, 2, 9], [2, 2], [5, 6, 7, 2], end_id=2)
    assert check.problems == []
    assert (check.tokens, check.steps) == (3, 2)


def test_late_eos_cut_is_reported():
    check = check_prompt(0, [[5, 6], [7, 2]], [0.0, 1.0, 2.0], [5, 6, 7, 2], [2, 2], [5, 6, 7, 2], end_id=2)
    assert any("differ from the runner's at position 3" in problem for problem in check.problems)


def test_missing_timestamp_is_reported():
    check = check_prompt(0, [[5, 6], [7]], [0.0, 1.0], [5, 6, 7], [2, 1], [5, 6, 7], end_id=2)
    assert any("token_times for 2 chunks" in problem for problem in check.problems)


def test_decreasing_times_are_reported():
    check = check_prompt(0, [[5], [6]], [0.0, 2.0, 1.0], [5, 6], [1, 1], [5, 6], end_id=2)
    assert any("decrease at index 2" in problem for problem in check.problems)


def test_greedy_mismatch_is_reported():
    check = check_prompt(0, [[5, 6]], [0.0, 1.0], [5, 6], [2], [5, 8], end_id=2)
    assert problems_about(check, "greedy decoding at position 1")


def problems_about(check, text):
    return [problem for problem in check.problems if text in problem]


def test_short_greedy_compares_overlap():
    check = check_prompt(0, [[5, 6], [7, 8]], [0.0, 1.0, 2.0], [5, 6, 7, 8], [2, 2], [5, 6], end_id=2)
    assert not problems_about(check, "greedy")


def test_port_stopping_before_greedy_eos_is_reported():
    check = check_prompt(0, [[5]], [0.0, 1.0], [5], [1], [5, 6, 2], end_id=2)
    assert problems_about(check, "greedy decoding at position 1")

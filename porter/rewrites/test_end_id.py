import libcst as cst
import pytest

from porter.rewrites.end_id import EndIdRewrite


def rewrite(source: str) -> str:
    return cst.parse_module(source).visit(EndIdRewrite("tokenizer")).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "if tokenizer.eos_token_id in ids.tolist(): pass\n", "if end_id in ids.tolist(): pass\n", id="membership"
        ),
        pytest.param(
            "eos = torch.tensor(tokenizer.eos_token_id, device=d)\n",
            "eos = torch.tensor(end_id, device=d)\n",
            id="argument",
        ),
        pytest.param("f(eos_token_id=tokenizer.eos_token_id)\n", "f(eos_token_id=end_id)\n", id="keyword-value"),
    ],
)
def test_end_id_rewrites(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("p = tokenizer.pad_token_id\n", id="pad-token"),
        pytest.param("e = config.eos_token_id\n", id="other-object"),
        pytest.param("f(eos_token_id=3)\n", id="keyword-name-only"),
    ],
)
def test_end_id_leaves_alone(source):
    assert rewrite(source) == source

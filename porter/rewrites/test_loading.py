import libcst as cst
import pytest

from porter.rewrites.loading import LoadingRewrite, is_model_loading


def rewrite(source: str) -> str:
    return cst.parse_module(source).visit(LoadingRewrite()).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            'm = M.from_pretrained(p, torch_dtype=t, device_map="auto")\n',
            'm = M.from_pretrained(p, torch_dtype=t, device_map={"": self.device}).to(self.device)\n',
            id="device-map-replaced",
        ),
        pytest.param(
            "m = M.from_pretrained(p, device_map=device_map, attn_implementation=a)\n",
            'm = M.from_pretrained(p, device_map={"": self.device}, attn_implementation=a).to(self.device)\n',
            id="device-map-variable",
        ),
        pytest.param(
            "m = M.from_pretrained(p, low_cpu_mem_usage=True)\n",
            "m = M.from_pretrained(p, low_cpu_mem_usage=True).to(self.device)\n",
            id="no-device-map",
        ),
        pytest.param('w = Wrapper(m, device_map="auto")\n', 'w = Wrapper(m, device_map={"": self.device})\n', id="other-call"),
    ],
)
def test_loading_rewrites(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("t = AutoTokenizer.from_pretrained(p)\n", id="tokenizer"),
        pytest.param("t = AutoTokenizer.from_pretrained(p, use_fast=False)\n", id="tokenizer-options"),
        pytest.param("x = load(p)\n", id="other-call"),
    ],
)
def test_loading_leaves_alone(source):
    assert rewrite(source) == source


def test_is_model_loading_needs_weights_keywords():
    assert is_model_loading(cst.parse_expression("M.from_pretrained(p, torch_dtype=t)"))
    assert not is_model_loading(cst.parse_expression("M.from_pretrained(p)"))

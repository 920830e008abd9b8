import libcst as cst
import pytest

from porter.rewrites.inputs import InputsRewrite


def rewrite(source: str) -> tuple[str, InputsRewrite]:
    transformer = InputsRewrite("inputs")
    return cst.parse_module(source).visit(transformer).code, transformer


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("ids = inputs.input_ids\n", "ids = prompt_input_ids\n", id="attribute"),
        pytest.param("ids = inputs['input_ids']\n", "ids = prompt_input_ids\n", id="subscript"),
        pytest.param('mask = inputs["attention_mask"]\n', "mask = prompt_attention_mask\n", id="mask-subscript"),
        pytest.param("n = len(inputs.input_ids[0])\n", "n = len(prompt_input_ids[0])\n", id="nested"),
        pytest.param(
            "out = model.generate(**inputs, do_sample=False)\n",
            "out = model.generate(input_ids=prompt_input_ids, attention_mask=prompt_attention_mask, do_sample=False)\n",
            id="double-star",
        ),
        pytest.param(
            "x = inputs.input_ids.cuda()\n", "x = prompt_input_ids.cuda()\n", id="chained-call"
        ),
    ],
)
def test_inputs_rewrites(before, after):
    assert rewrite(before)[0] == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("ids = batch.input_ids\n", id="other-object"),
        pytest.param("t = inputs.token_type_ids\n", id="other-field"),
        pytest.param("t = inputs[0]\n", id="integer-index"),
        pytest.param("f(**kwargs)\n", id="other-double-star"),
    ],
)
def test_inputs_leaves_alone(source):
    assert rewrite(source)[0] == source


def test_inputs_notes_attention_mask_use():
    assert rewrite("a = inputs.input_ids\n")[1].uses_attention_mask is False
    assert rewrite("a = inputs.attention_mask\n")[1].uses_attention_mask is True
    assert rewrite("f(**inputs)\n")[1].uses_attention_mask is True

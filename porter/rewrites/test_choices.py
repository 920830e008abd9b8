import libcst as cst
import pytest

from porter.rewrites.choices import ChoicesRewrite

MODULES = ("model.x.utils", "model.x.choices")


def rewrite(source: str, modules=MODULES) -> tuple[str, ChoicesRewrite]:
    transformer = ChoicesRewrite("args", modules)
    return cst.parse_module(source).visit(transformer).code, transformer


@pytest.mark.parametrize(
    ("before", "after", "modules"),
    [
        pytest.param(
            "args.tree = eval(args.tree)\n",
            "args.tree = named_object(args.tree, ('model.x.utils', 'model.x.choices'))\n",
            MODULES,
            id="two-modules",
        ),
        pytest.param(
            "c = eval(args.c)\n", "c = named_object(args.c, ('model.x.choices',))\n", ("model.x.choices",), id="one-module"
        ),
    ],
)
def test_choices_rewrites(before, after, modules):
    assert rewrite(before, modules)[0] == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("c = evaluate(args.c)\n", id="other-function"),
        pytest.param("c = literal_eval(args.c)\n", id="literal-eval"),
    ],
)
def test_choices_leaves_alone(source):
    assert rewrite(source)[0] == source


def test_choices_reports_eval_of_other_expressions():
    code, transformer = rewrite("c = eval(text)\n")
    assert code == "c = eval(text)\n"
    assert len(transformer.unportable) == 1

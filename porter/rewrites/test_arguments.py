import libcst as cst
import pytest

from porter.rewrites.arguments import ArgumentsRewrite

RENAMES = {"max_steps": "max_steps", "base_model_path": "model_dir", "device": "device_option"}


def rewrite(source: str) -> tuple[str, ArgumentsRewrite]:
    transformer = ArgumentsRewrite("args", RENAMES)
    return cst.parse_module(source).visit(transformer).code, transformer


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("n = args.max_steps\n", "n = max_steps\n", id="flag"),
        pytest.param("m = load(args.base_model_path)\n", "m = load(model_dir)\n", id="path-role"),
        pytest.param("args.max_steps = 3\n", "max_steps = 3\n", id="assignment"),
        pytest.param("d = args.device\n", "d = device_option\n", id="renamed-collision"),
    ],
)
def test_arguments_rewrites(before, after):
    assert rewrite(before)[0] == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("n = options.max_steps\n", id="other-object"),
        pytest.param("n = max_steps\n", id="bare-name"),
    ],
)
def test_arguments_leaves_alone(source):
    assert rewrite(source)[0] == source


def test_arguments_reports_undeclared_flags():
    code, transformer = rewrite("x = args.not_declared\n")
    assert code == "x = args.not_declared\n"
    assert [node.attr.value for node in transformer.unknown] == ["not_declared"]

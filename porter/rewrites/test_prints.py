import libcst as cst
import pytest

from porter.rewrites.prints import PrintsRewrite


def rewrite(source: str) -> str:
    return cst.parse_module(source).visit(PrintsRewrite()).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("a = 1\nprint(a)\nb = 2\n", "a = 1\nb = 2\n", id="statement"),
        pytest.param("if x:\n    print('on')\n", "if x:\n    pass\n", id="empty-block"),
        pytest.param("if x:\n    setup()\n    print('on')\n", "if x:\n    setup()\n", id="rest-of-block"),
    ],
)
def test_prints_rewrites(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("log.print(a)\n", id="method-named-print"),
        pytest.param("x = print\n", id="print-as-value"),
    ],
)
def test_prints_leaves_alone(source):
    assert rewrite(source) == source

import libcst as cst
import pytest

from porter.rewrites.dtype import DtypeRewrite


def rewrite(source: str, local_name: str = "str_to_torch_dtype") -> str:
    return cst.parse_module(source).visit(DtypeRewrite(local_name)).code


@pytest.mark.parametrize(
    ("before", "after", "local_name"),
    [
        pytest.param("t = str_to_torch_dtype(dtype)\n", "t = torch_dtype_from_name(dtype)\n", "str_to_torch_dtype", id="plain"),
        pytest.param("t = to_dtype(args.dtype)\n", "t = torch_dtype_from_name(args.dtype)\n", "to_dtype", id="aliased-import"),
    ],
)
def test_dtype_rewrites(before, after, local_name):
    assert rewrite(before, local_name) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("t = utils.str_to_torch_dtype(d)\n", id="attribute-call"),
        pytest.param("t = torch.float16\n", id="dtype-constant"),
    ],
)
def test_dtype_leaves_alone(source):
    assert rewrite(source) == source

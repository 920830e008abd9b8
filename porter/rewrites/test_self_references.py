import libcst as cst
import pytest

from porter.rewrites.self_references import SelfReferencesRewrite, local_copies, references_to_rename
from porter.scopes import ScopeAnalysis


def rewrite(source: str, parameters=("model", "steps"), module_globals=("table",)) -> str:
    function = cst.parse_module(source).body[0]
    analysis = ScopeAnalysis(function)
    transformer = SelfReferencesRewrite(references_to_rename(analysis, parameters, module_globals))
    return cst.Module(body=[function.visit(transformer)]).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "def f(x, model):\n    return model(x)\n", "def f(x, model):\n    return self.model(x)\n", id="parameter"
        ),
        pytest.param(
            "def f(x, model):\n    return model.base.layers[0]\n",
            "def f(x, model):\n    return self.model.base.layers[0]\n",
            id="attribute-chain",
        ),
        pytest.param(
            "def f(x):\n    table[x] = 1\n    return table\n",
            "def f(x):\n    self.table[x] = 1\n    return self.table\n",
            id="module-global",
        ),
        pytest.param(
            "def f(x, model):\n    def g(y):\n        return model(y)\n    return g(x)\n",
            "def f(x, model):\n    def g(y):\n        return self.model(y)\n    return g(x)\n",
            id="closure",
        ),
        pytest.param(
            "def f(x, steps):\n    return [steps for _ in x]\n",
            "def f(x, steps):\n    return [self.steps for _ in x]\n",
            id="comprehension-reads-outer",
        ),
    ],
)
def test_self_references_rewrites(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(x, model):\n    return x.model\n", id="attribute-name"),
        pytest.param("def f(x, model):\n    return g(model=x)\n", id="keyword-name"),
        pytest.param("def f(x):\n    def g(table):\n        return table\n    return g(x)\n", id="shadowed-by-parameter"),
        pytest.param("def f(x):\n    return [table for table in x]\n", id="shadowed-by-comprehension"),
        pytest.param("def f(x):\n    return lambda model: model\n", id="shadowed-by-lambda"),
        pytest.param("def f(x, table):\n    return table\n", id="global-name-is-a-parameter"),
    ],
)
def test_self_references_leave_alone(source):
    assert rewrite(source) == source


def test_local_copies_bind_each_name():
    code = cst.Module(body=local_copies(["a", "b"])).code
    assert code == "a = self.a\nb = self.b\n"

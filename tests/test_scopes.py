import libcst as cst

from porter.scopes import ScopeAnalysis, bound_names, free_names


def function(source: str) -> cst.FunctionDef:
    return cst.parse_module(source).body[0]


def test_parameters_and_locals_are_bound():
    analysis = ScopeAnalysis(function("def f(a, b=1):\n    c = a\n    for d in b: pass\n    return c\n"))
    assert analysis.bound_names() == ["a", "b", "c", "d"]
    assert analysis.assigned_names() == {"c", "d"}


def test_free_names_skip_nested_bindings():
    source = "def f(x):\n    def g(y):\n        return y + z\n    return [w for w in x] + g(x) + torch.zeros(1)\n"
    assert free_names(function(source)) == ["z", "torch"]


def test_attribute_and_keyword_names_are_not_references():
    assert free_names(function("def f(x):\n    return x.model(model=1)\n")) == []


def test_global_declaration_makes_a_name_free():
    analysis = ScopeAnalysis(function("def f():\n    global counter\n    counter = 1\n"))
    assert "counter" not in analysis.bound_names()
    assert analysis.free_names() == ["counter"]
    assert len(analysis.outer_declarations) == 1


def test_reference_resolves_to_innermost_binding():
    source = "def f(model):\n    def g(model):\n        return model\n    return model\n"
    analysis = ScopeAnalysis(function(source))
    root_references = analysis.references_to(["model"], bound_in_root=True)
    # The parameter of f and its use in f's return; g's parameter and return are g's own.
    assert len(root_references) == 1


def test_bound_names_of_a_statement():
    statement = cst.parse_module("if t > 0:\n    do = True\nelse:\n    do = False\n").body[0]
    assert bound_names(statement) == ["do"]

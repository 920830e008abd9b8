import libcst as cst
import pytest

from porter.rewrites.timing import (
    DelegatedTimingRewrite,
    HookKind,
    InlineTimingRewrite,
    ReturnTimingRewrite,
    StepLoop,
    insert_before_returns,
    is_append_to,
    step_ends_statement,
    step_insertion_index,
)

STEP = "timing.append(synchronized_perf_counter(self.device))"


def inline(source: str) -> str:
    function = cst.parse_module(source).body[0]
    loop = next(statement for statement in function.body.body if isinstance(statement, (cst.For, cst.While)))
    index = next(i for i, statement in enumerate(loop.body.body) if is_append_to(statement) == "accepted")
    return cst.Module(body=[function.visit(InlineTimingRewrite(StepLoop(loop, index)))]).code


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "    for i in range(9):\n        step()\n        accepted.append(n)\n        if done: break\n",
            f"    for i in range(9):\n        step()\n        accepted.append(n)\n        {STEP}\n        if done: break\n",
            id="before-exit-check",
        ),
        pytest.param(
            "    for i in range(9):\n        accepted.append(n)\n        out = cat(out, new)\n        if done: break\n        i += 1\n",
            f"    for i in range(9):\n        accepted.append(n)\n        out = cat(out, new)\n        {STEP}\n        if done: break\n        i += 1\n",
            id="after-output-update",
        ),
        pytest.param(
            "    while True:\n        accepted.append(n)\n        if a:\n            if b:\n                break\n",
            f"    while True:\n        accepted.append(n)\n        {STEP}\n        if a:\n            if b:\n                break\n",
            id="nested-break",
        ),
        pytest.param(
            "    for i in range(9):\n        accepted.append(n)\n        x = 1\n",
            f"    for i in range(9):\n        accepted.append(n)\n        x = 1\n        {STEP}\n",
            id="no-exit-check",
        ),
    ],
)
def test_inline_timing_inserts_one_timestamp_per_step(body, expected):
    assert inline("def f():\n" + body) == "def f():\n" + expected


def test_step_insertion_skips_breaks_of_inner_loops():
    loop = cst.parse_module(
        "for i in x:\n    accepted.append(n)\n    for j in y:\n        break\n    if done:\n        break\n"
    ).body[0]
    assert step_insertion_index(loop.body.body, 0) == 2


def test_is_append_to_names_the_list():
    assert is_append_to(cst.parse_statement("accepted.append(3)\n")) == "accepted"
    assert is_append_to(cst.parse_statement("accepted.extend(3)\n")) is None
    assert is_append_to(cst.parse_statement("x = accepted.append(3)\n")) is None


def returns(source: str) -> str:
    return cst.parse_module(source).visit(ReturnTimingRewrite()).code


def test_returns_gain_the_timing():
    source = "def f():\n    if a:\n        return x, y, z, w\n    return x, y, z, w\n"
    expected = "def f():\n    if a:\n        return x, y, z, w, timing\n    return x, y, z, w, timing\n"
    assert returns(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f():\n    def g():\n        return a, b\n    return g\n", id="nested-function-and-plain-return"),
        pytest.param("def f():\n    k = lambda: (a, b)\n", id="lambda"),
    ],
)
def test_returns_of_nested_functions_stay(source):
    assert returns(source) == source


def delegated(source: str, kind: HookKind) -> str:
    function = cst.parse_module(source).body[0]
    statement = function.body.body[0]
    call = statement.body[0].value
    return cst.Module(body=[function.visit(DelegatedTimingRewrite(statement, call, kind, "model", "accepted"))]).code


def test_streamer_hook_is_passed_to_the_library_call():
    source = "def f():\n    out = model.generate(ids, max_new_tokens=n)\n"
    expected = "def f():\n    out = model.generate(ids, max_new_tokens=n, streamer=step_clock)\n"
    assert delegated(source, HookKind.STREAMER) == expected


def test_forward_hook_wraps_the_library_call():
    source = "def f():\n    out = model.eagenerate(ids)\n    return out\n"
    expected = "def f():\n    with step_clock.watch_forward(self.model):\n        out = model.eagenerate(ids)\n    return out\n"
    assert delegated(source, HookKind.FORWARD_HOOK) == expected


def test_step_ends_go_before_each_return():
    body = cst.parse_module("a = 1\nreturn a\n").body
    code = cst.Module(body=insert_before_returns(body, step_ends_statement("accepted"))).code
    assert code == "a = 1\ntiming += step_clock.step_ends(len(accepted))\nreturn a\n"

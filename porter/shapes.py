"""Small questions about the shape of libcst nodes.

These take the place of `libcst.matchers`, whose import alone costs a fifth of what parsing
and formatting a whole Spec-Bench checkout costs.
"""

from __future__ import annotations

import libcst as cst


def name_of(node: cst.CSTNode | None) -> str | None:
    """Return the identifier of a Name node, or None for any other node."""
    return node.value if isinstance(node, cst.Name) else None


def is_name(node: cst.CSTNode | None, value: str | None) -> bool:
    return value is not None and isinstance(node, cst.Name) and node.value == value


def attribute_parts(node: cst.CSTNode | None) -> tuple[str | None, str] | None:
    """(`a`, `b`) for `a.b` where `a` is a Name; (None, `b`) for other `x.b`; None otherwise."""
    if not isinstance(node, cst.Attribute):
        return None
    return name_of(node.value), node.attr.value


def is_attribute(node: cst.CSTNode | None, value: str | None = None, attr: str | None = None) -> bool:
    """Is `node` an attribute access `value.attr` (either part may be left open)?"""
    parts = attribute_parts(node)
    if parts is None:
        return False
    return (value is None or parts[0] == value) and (attr is None or parts[1] == attr)


def called_method(node: cst.CSTNode | None) -> str | None:
    """`m` for a call `x.m(...)`, else None."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


def called_name(node: cst.CSTNode | None) -> str | None:
    """`f` for a call `f(...)`, else None."""
    if isinstance(node, cst.Call):
        return name_of(node.func)
    return None


def string_value(node: cst.CSTNode | None) -> str | None:
    """Return the value of a string literal, or None for any other node."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def keyword_of(argument: cst.Arg) -> str | None:
    return argument.keyword.value if argument.keyword is not None else None


def sole_small_statement(statement: cst.CSTNode) -> cst.BaseSmallStatement | None:
    """Return the only small statement of a one-statement line, or None."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def expression_statement(statement: cst.CSTNode) -> cst.BaseExpression | None:
    """Return the expression of a line that contains only an expression (`f(x)`), or None."""
    small = sole_small_statement(statement)
    return small.value if isinstance(small, cst.Expr) else None


def assignment(statement: cst.CSTNode) -> cst.Assign | None:
    """Return the assignment of a line that contains only an assignment, or None."""
    small = sole_small_statement(statement)
    return small if isinstance(small, cst.Assign) else None


def root_name(node: cst.BaseExpression) -> str | None:
    """Name the variable that a chain such as `model.layers[-1].weight` or `f(x).y` starts from."""
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return name_of(node)

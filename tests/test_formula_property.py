"""Property tests: the vectorised evaluator against a slow, obviously-correct reference.

The reference walks the parsed tree once per output element and loops over every sum
variable in plain Python, so it shares nothing with the vectorised code but the parser.
Both must agree on the value, or both must refuse (out-of-range reads, non-whole indices).
"""

from __future__ import annotations

import ast
import itertools
import math
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.errors import FormulaError
from hwcheck.formula import IndexOutOfRange, evaluate, parse

RNG = np.random.default_rng(7)
ENV = {"A": RNG.uniform(-2, 2, size=6), "B": RNG.uniform(-2, 2, size=(5, 7)),
       "C": RNG.uniform(0.1, 2, size=(4, 4)), "n": 3, "m": 4}
OUTPUT = [("d", 3), ("e", 4)]


# --- the reference ---------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _whole(v: float) -> int:
    if not abs(v - round(v)) <= 1e-9:
        raise Refused("whole")
    return int(round(v))


# numpy's floor/ceil keep the sign of zero (ceil(-0.3) = -0.0, so 1/ceil(-0.3) = -inf).
UNARY = {"exp": math.exp, "tanh": math.tanh, "abs": abs, "floor": np.floor,
         "ceil": np.ceil, "relu": lambda v: np.maximum(v, 0.0),
         "sigmoid": lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))}


def ref(node: ast.AST, scope: dict[str, float]) -> float:
    """One element of the formula, in float64 numpy scalars so inf/nan behave alike."""
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return np.float64(scope[node.id] if node.id in scope else ENV[node.id])
    if isinstance(node, ast.UnaryOp):
        return -ref(node.operand, scope)
    if isinstance(node, ast.BinOp):
        a, b = ref(node.left, scope), ref(node.right, scope)
        return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                ast.Div: np.true_divide, ast.Pow: np.power}[type(node.op)](a, b)
    if isinstance(node, ast.Subscript):
        array = ENV[node.value.id]
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = [_whole(ref(p, scope)) for p in parts]
        if any(not 1 <= i <= size for i, size in zip(index, array.shape)):
            raise Refused("range")
        return np.float64(array[tuple(i - 1 for i in index)])
    if isinstance(node, ast.Call):
        name = node.func.id
        if isinstance(node.args[0], ast.GeneratorExp):
            return _reduce(name, node.args[0], scope)
        args = [ref(a, scope) for a in node.args]
        if name in ("min", "max"):
            return (np.minimum if name == "min" else np.maximum).reduce(args)
        v = float(args[0])
        if math.isnan(v):
            return np.float64(v)
        if not math.isfinite(v) and name in ("floor", "ceil", "relu", "abs", "tanh"):
            return np.float64({"abs": abs(v), "relu": max(v, 0.0),
                               "tanh": math.copysign(1.0, v)}.get(name, v))
        try:
            return np.float64(UNARY[name](v))
        except OverflowError:
            return np.float64(np.inf)
    raise AssertionError(f"reference cannot evaluate {ast.dump(node)}")


def _reduce(kind: str, gen: ast.GeneratorExp, scope: dict[str, float]) -> float:
    values = []

    def loop(level: int, scope: dict[str, float]) -> None:
        if level == len(gen.generators):
            values.append(ref(gen.elt, scope))
            return
        comp = gen.generators[level]
        lo = _whole(ref(comp.iter.args[0], scope))
        hi = _whole(ref(comp.iter.args[1], scope))
        for i in range(lo, hi + 1):
            inner = {**scope, comp.target.id: i}
            if all(_condition(c, inner) for c in comp.ifs):
                loop(level + 1, inner)

    loop(0, scope)
    if kind == "sum":
        return np.float64(sum(values, np.float64(0.0)))
    if not values:
        return np.float64(-np.inf if kind == "max" else np.inf)
    return (np.maximum if kind == "max" else np.minimum).reduce(values)


def _condition(node: ast.AST, scope: dict[str, float]) -> bool:
    if isinstance(node, ast.BoolOp):
        parts = [_condition(v, scope) for v in node.values]
        return all(parts) if isinstance(node.op, ast.And) else any(parts)
    ops = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
           ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}
    values = [ref(p, scope) for p in (node.left, *node.comparators)]
    return all(ops[type(op)](a, b) for op, a, b in zip(node.ops, values, values[1:]))


def reference(text: str) -> np.ndarray:
    tree = parse(text).tree.body
    out = np.empty([ext for _, ext in OUTPUT])
    with np.errstate(all="ignore"):
        for point in itertools.product(*(range(1, ext + 1) for _, ext in OUTPUT)):
            scope = dict(zip((name for name, _ in OUTPUT), point))
            out[tuple(p - 1 for p in point)] = ref(tree, scope)
    return out


# --- formulas from a small grammar -----------------------------------------------------

SUM_VARS = ["i", "j", "l"]


@st.composite
def index(draw, scope: list[str], size: int) -> str:
    v = draw(st.sampled_from(scope))
    c = draw(st.integers(1, 3))
    return draw(st.sampled_from([
        v, v, f"{v}+1", f"{v}-1", f"{v}+{c}-2", f"ceil({v}/2)", f"floor(({v}+1)/2)",
        f"2{v}", f"{size}-{v}+1", str(c), f"{v}/2",  # the last may be a non-whole index
    ]))


@st.composite
def leaf(draw, scope: list[str]) -> str:
    kind = draw(st.sampled_from(["A", "B", "B", "C", "num", "var", "size"]))
    if kind == "A":
        return f"A[{draw(index(scope, 6))}]"
    if kind == "B":
        return f"B[{draw(index(scope, 5))}, {draw(index(scope, 7))}]"
    if kind == "C":
        return f"C[{draw(index(scope, 4))}, {draw(index(scope, 4))}]"
    if kind == "num":
        return draw(st.sampled_from(["0.5", "2", "3", "1", "0.25", "1e-3"]))
    if kind == "var":
        return draw(st.sampled_from(scope))
    return draw(st.sampled_from(["n", "m"]))


@st.composite
def expr(draw, scope: list[str], depth: int) -> str:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(leaf(scope))
    kind = draw(st.sampled_from(["bin", "bin", "bin", "neg", "fn", "minmax", "pow", "sum",
                                 "sum"]))
    sub = expr(scope, depth - 1)
    if kind == "bin":
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({draw(sub)} {op} {draw(sub)})"
    if kind == "neg":
        return f"-{draw(sub)}"
    if kind == "fn":
        fn = draw(st.sampled_from(["exp", "tanh", "sigmoid", "abs", "relu", "floor", "ceil"]))
        return f"{fn}({draw(sub)})"
    if kind == "minmax":
        return f"{draw(st.sampled_from(['min', 'max']))}({draw(sub)}, {draw(sub)})"
    if kind == "pow":
        return f"({draw(sub)})**{draw(st.sampled_from(['2', '3', '0.5', '(-1)']))}"
    free = [v for v in SUM_VARS if v not in scope]
    if not free:
        return draw(leaf(scope))
    var = free[0]
    lo = draw(st.sampled_from(["1", "1", "2", *scope]))
    hi = draw(st.sampled_from(["n", "m", "3", "0", "2n", *scope]))
    cond = draw(st.sampled_from(["", "", f" if {var} != {scope[0]}", f" if {var} <= {scope[-1]}",
                                 f" if {var} > 1 and {var} < 4", f" if {var} == 1 or {var} >= 3"]))
    reducer = draw(st.sampled_from(["sum", "sum", "sum", "max", "min"]))
    body = draw(expr([*scope, var], depth - 1))
    return f"{reducer}({body} for {var} in {lo}..{hi}{cond})"


def formulas(depth: int = 3):
    return expr(["d", "e"], depth).filter(lambda t: len(t) <= 500)


def outcome(fn):
    try:
        return "ok", fn()
    except IndexOutOfRange:
        return "range", None
    except Refused as r:
        return r.kind, None
    except FormulaError as e:
        return ("whole" if "whole number" in e.message else "error:" + e.message), None


@given(formulas())
def test_vectorised_matches_reference(text):
    f = parse(text)
    got_kind, got = outcome(lambda: evaluate(f, ENV, index=OUTPUT))
    want_kind, want = outcome(lambda: reference(text))
    if got_kind == "ok" and want_kind == "ok":
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    else:
        # Both refuse. Which read fails first may differ (element order vs operation order),
        # so a range error on one side may meet a whole-number error on the other.
        assert got_kind in ("range", "whole") and want_kind in ("range", "whole"), \
            (text, got_kind, want_kind)


@given(formulas(depth=2))
def test_names_are_the_free_names(text):
    f = parse(text)
    assert f.names <= {"A", "B", "C", "n", "m", "d", "e"}
    assert f.names.isdisjoint(SUM_VARS)


def test_reference_agrees_on_a_known_formula():
    text = "sum(B[i, e+j-1] for i in 1..d for j in 1..2 if i != 2)"
    got = evaluate(text, ENV, index=OUTPUT)
    np.testing.assert_allclose(got, reference(text))


# --- fuzzing: whatever the text, only FormulaError may escape ---------------------------

TOKENS = ["A", "B", "C", "n", "m", "d", "e", "i", "x", "[", "]", "(", ")", ",", "+", "-", "*",
          "/", "**", "@", "sum", "for", "in", "..", "if", "1", "2", "2n", "0", ".", "'", ":",
          "lambda", "exp", "ceil", "floor", "diag", "outer", "T", "max", " ", "==", "<", "and",
          "__", "not", "1e9", "9**9", "{", "}", "=", ";", "\\", "\n", "#", "\"", "j", "~", "^"]


def survives(text: str) -> None:
    try:
        result = evaluate(parse(text), ENV, index=OUTPUT)
    except FormulaError:
        return
    assert isinstance(result, np.ndarray) and result.dtype == np.float64


@pytest.mark.slow
@settings(max_examples=10_000)          # the `slow` marker's own count
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
                 st.text(alphabet=string.printable, max_size=60),
                 formulas(depth=4)))
def test_fuzz_only_formula_errors_escape(text):
    survives(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soup_quick(text):
    survives(text)

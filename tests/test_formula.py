"""hwcheck.formula on the seed homework's notation: values, equivalences and error messages."""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.errors import FormulaError
from hwcheck.formula import FUNCTIONS, MAX_ELEMENTS, Formula, IndexOutOfRange, evaluate, parse

DK = "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)]/4 * s[i,j]*(1-s[i,j]) for i in 1..2n for j in 1..2m)"
DK_WRONG = ("sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)]/4 * s[i+u-1,j+v-1]*(1-s[i+u-1,j+v-1])"
            " for i in 1..2n for j in 1..2m)")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.fixture(params=[(2, 3, 3, 0), (3, 2, 2, 1), (4, 5, 3, 2)], ids=["seed", "swap", "big"])
def p1(request):
    """p1's conv block with the key computed directly in numpy."""
    n, m, k, seed = request.param
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2 * n + k - 1, 2 * m + k - 1))
    c = rng.normal(size=(2 * n, 2 * m))
    s = sigmoid(c)
    g = rng.normal(size=(n, m))
    ds = np.kron(g, np.ones((2, 2))) / 4
    dc = ds * s * (1 - s)
    dk = np.array([[np.sum(x[u:u + 2 * n, v:v + 2 * m] * dc) for v in range(k)]
                   for u in range(k)])
    env = {"x": x, "c": c, "s": s, "g": g, "K": rng.normal(size=(k, k)), "n": n, "m": m, "k": k}
    return {"env": env, "dS": ds, "dC": dc, "dK": dk,
            "de": [("d", 2 * n), ("e", 2 * m)], "uv": [("u", k), ("v", k)]}


@pytest.fixture
def p4():
    rng = np.random.default_rng(4)
    z = rng.normal(size=4)
    q = np.exp(z) / np.exp(z).sum()
    p = rng.dirichlet(np.ones(4))
    return {"q": q, "p": p, "z": z, "N": 4}


@pytest.fixture
def p6():
    rng = np.random.default_rng(6)
    return {"h": rng.uniform(0.1, 0.9, size=3), "Wh": rng.normal(size=(3, 3))}


AB = [("a", 3), ("b", 3)]


# --- p1 -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "g[ceil(d/2), ceil(e/2)] / 4",
    "g[floor((d+1)/2), floor((e+1)/2)]/4",
    "0.25*g[ceil(d/2),ceil(e/2)]",
    "g[ceil(d/2), ceil(e/2)] * 0.5 * 0.5",
])
def test_p1_dS_forms_are_equal(p1, text):
    got = evaluate(parse(text), p1["env"], index=p1["de"])
    np.testing.assert_allclose(got, p1["dS"], rtol=1e-12)


@pytest.mark.parametrize("text", [
    "g[ceil(d/2), ceil(e/2)]/4 * s[d,e]*(1-s[d,e])",
    "g[ceil(d/2), ceil(e/2)]/4 * sigmoid(c[d,e])*(1-sigmoid(c[d,e]))",
    "g[floor((d+1)/2), floor((e+1)/2)]/4 * s[d, e] - g[ceil(d/2), ceil(e/2)]/4 * s[d, e]**2",
])
def test_p1_dC_forms_are_equal(p1, text):
    got = evaluate(parse(text), p1["env"], index=p1["de"])
    np.testing.assert_allclose(got, p1["dC"], rtol=1e-10)


def test_p1_dC_with_the_students_sign_is_the_negative(p1):
    got = evaluate("-g[ceil(d/2), ceil(e/2)]/4 * s[d,e]*(1-s[d,e])", p1["env"], index=p1["de"])
    np.testing.assert_allclose(got, -p1["dC"], rtol=1e-10)


def test_p1_dK(p1):
    got = evaluate(parse(DK), p1["env"], index=p1["uv"])
    assert got.shape == p1["dK"].shape
    np.testing.assert_allclose(got, p1["dK"], rtol=1e-10)


@pytest.mark.parametrize("text", [
    "g[floor(d/2), floor(e/2)]/4",   # off by one: reads g[0, 0]
    "g[ceil(e/2), ceil(d/2)]/4",     # swapped: n != m, so out of range or different
])
def test_p1_wrong_forms_fail_or_differ(p1, text):
    try:
        got = evaluate(parse(text), p1["env"], index=p1["de"])
    except FormulaError:
        return
    assert not np.allclose(got, p1["dS"])


def test_p1_dS_missing_quarter_differs(p1):
    got = evaluate("g[ceil(d/2), ceil(e/2)]", p1["env"], index=p1["de"])
    np.testing.assert_allclose(got, 4 * p1["dS"])


def test_p1_students_dK_reads_outside_s(p1):
    with pytest.raises(IndexOutOfRange) as info:
        evaluate(parse(DK_WRONG), p1["env"], index=p1["uv"])
    e = info.value
    n, m = p1["env"]["n"], p1["env"]["m"]
    assert isinstance(e, FormulaError)
    assert e.array == "s"
    assert e.expression == "s[i+u-1,j+v-1]"
    assert e.bounds == (2 * n, 2 * m)
    assert set(e.assignment) == {"u", "v", "i", "j"}
    a = e.assignment
    assert e.index == (a["i"] + a["u"] - 1, a["j"] + a["v"] - 1)
    assert not (1 <= e.index[0] <= 2 * n and 1 <= e.index[1] <= 2 * m)
    assert f"s is {2 * n}×{2 * m}" in e.message
    assert f"reads s[{e.index[0]}, {e.index[1]}]" in e.message
    assert "first at u=" in e.message
    assert e.col == DK_WRONG.index("s[i+u-1") + 1


def test_out_of_range_message_for_the_seed_instance():
    n, m, k = 2, 3, 3
    env = {"x": np.zeros((2 * n + k - 1, 2 * m + k - 1)), "g": np.zeros((n, m)),
           "s": np.zeros((2 * n, 2 * m)), "n": n, "m": m}
    with pytest.raises(IndexOutOfRange) as info:
        evaluate(DK_WRONG, env, index=[("u", k), ("v", k)])
    assert info.value.message == ("s[i+u-1,j+v-1] reads s[1, 7] but s is 4×6 "
                                  "(first at u=1, v=2, i=1, j=6)")


def test_names():
    f = parse(DK)
    assert isinstance(f, Formula)
    assert f.names == {"x", "g", "s", "n", "m", "u", "v"}
    assert parse("exp(z[x])/sum(exp(z[j]) for j in 1..N) - p[x]").names == {"z", "N", "p", "x"}
    assert parse("i + sum(h[i] for i in 1..3)").names == {"i", "h"}  # i is free outside


def test_functions_table():
    assert {"exp", "log", "ln", "sqrt", "abs", "sigmoid", "relu", "tanh", "floor", "ceil",
            "min", "max", "diag", "outer", "T", "sum"} <= FUNCTIONS


# --- p4 -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "q - p", "q[x] - p[x]", "exp(z[x])/sum(exp(z[j]) for j in 1..N) - p[x]",
    "exp(z[x] - max(z[j] for j in 1..N))/sum(exp(z[j] - max(z[l] for l in 1..N)) for j in 1..N)"
    " - p[x]",
    "-p[x] + q[x] * sum(p[j] for j in 1..N)",
])
def test_p4_forms_are_equal(p4, text):
    got = evaluate(parse(text), p4, index=[("x", 4)])
    np.testing.assert_allclose(got, p4["q"] - p4["p"], rtol=1e-12)


def test_p4_wrong_forms_differ(p4):
    for text in ["p - q", "q[x] - 1", "-p[x] * (1 - q[x])"]:
        assert not np.allclose(evaluate(text, p4, index=[("x", 4)]), p4["q"] - p4["p"])


# --- p6 -------------------------------------------------------------------------------

def test_p6_jacobian_forms(p6):
    key = np.diag(p6["h"] * (1 - p6["h"])) @ p6["Wh"]
    for text in ["diag(h*(1-h)) @ Wh", "h[a]*(1-h[a])*Wh[a,b]", "diag(h) @ Wh - diag(h**2) @ Wh"]:
        np.testing.assert_allclose(evaluate(text, p6, index=AB), key, rtol=1e-12)
    for text in ["T(Wh) @ diag(h*(1-h))", "outer(h, h)", "Wh @ diag(h*(1-h))"]:
        got = evaluate(text, p6, index=AB)
        assert got.shape == (3, 3) and not np.allclose(got, key)
    np.testing.assert_allclose(evaluate("T(Wh) @ diag(h*(1-h))", p6, index=AB), key.T)
    np.testing.assert_allclose(evaluate("outer(h, h)", p6), np.outer(p6["h"], p6["h"]))


def test_p6_elementwise_vector_times_matrix_is_a_shape_error(p6):
    with pytest.raises(FormulaError) as info:
        evaluate("h*(1-h)*Wh", p6, index=AB)
    e = info.value
    assert not isinstance(e, IndexOutOfRange)
    assert "elementwise * needs equal shapes" in e.message
    assert "(3,)" in e.message and "(3, 3)" in e.message
    # The hint teaches notation without naming an answer, right or wrong.
    assert "diag(v)" in e.hint and "Wh" not in e.hint and "diag(h" not in e.hint


# --- value model ----------------------------------------------------------------------

def test_broadcast_and_shapes(p6):
    h = p6["h"]
    assert evaluate("2", {}, index=[("a", 2)]).tolist() == [2.0, 2.0]
    np.testing.assert_allclose(evaluate("h[a]", p6, index=AB), np.repeat(h[:, None], 3, 1))
    np.testing.assert_allclose(evaluate("h[b]", p6, index=AB), np.repeat(h[None, :], 3, 0))
    assert evaluate("h @ h", p6).shape == ()
    assert evaluate("1", {}, shape=(2, 2)).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert evaluate("Wh", p6, shape=(3, 3)).shape == (3, 3)
    with pytest.raises(FormulaError, match=r"gives shape \(3,\) but \(3, 3\) is expected"):
        evaluate("h", p6, index=AB)
    with pytest.raises(FormulaError, match="mixes index variables"):
        evaluate("h[a] + Wh", p6, index=AB)


def test_result_is_a_fresh_array(p6):
    got = evaluate("Wh", p6)
    got[0, 0] = 123.0
    assert p6["Wh"][0, 0] != 123.0


def test_sums_with_variable_bounds_and_conditions():
    h = np.array([1.0, 2.0, 3.0, 4.0])
    env = {"h": h, "n": 4, "x": np.arange(1.0, 17.0).reshape(4, 4)}
    assert evaluate("sum(h[i] for i in 1..d)", env, index=[("d", 4)]).tolist() == [1, 3, 6, 10]
    assert evaluate("sum(h[i] for i in 1..n if i != d)", env, index=[("d", 4)]).tolist() \
        == [9, 8, 7, 6]
    # the masked-out read h[0] is never checked
    assert evaluate("sum(h[i-1] for i in 1..n if i > 1)", env) == 6
    assert evaluate("sum(x[i, j] for i in 1..n for j in i..n)", env) == np.triu(env["x"]).sum()
    assert evaluate("sum(1 for i in 1..0)", env) == 0
    assert evaluate("sum(h[j] for i in 1..0 for j in 7..9)", env) == 0
    assert evaluate("sum(1 for i in 1..n)", env) == 4
    assert evaluate("sum(h)", env) == 10
    assert evaluate("max(h[i] for i in 1..n)", env) == 4
    assert evaluate("min(h[i], 2)", env, index=[("i", 4)]).tolist() == [1, 2, 2, 2]


def test_division_by_zero_is_inf_and_log_of_negative_is_nan():
    assert evaluate("1/0", {}) == np.inf
    assert np.isnan(evaluate("log(-1)", {}))


def test_sigmoid_is_stable():
    got = evaluate("sigmoid(z)", {"z": np.array([-800.0, 0.0, 800.0])})
    np.testing.assert_allclose(got, [0.0, 0.5, 1.0])


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, env, index, fragment", [
    ("S[d, e]", {"s": np.ones((2, 2))}, [("d", 2), ("e", 2)], "unknown name 'S'; did you mean 's'?"),
    ("g[d]", {"g": np.ones((2, 2))}, [("d", 2)], "g has 2 dimensions but 1 index was given"),
    ("g[d/2]", {"g": np.ones(4)}, [("d", 4)],
     "index d/2 of g is not a whole number"),
    ("h[a] * h", {"h": np.ones(2)}, [("a", 2)], "mixes index variables"),
    ("sum(h[d] for d in 1..2)", {"h": np.ones(2)}, [("d", 2)], "shadows an index variable"),
    ("sum(1 for h in 1..2)", {"h": np.ones(2)}, [], "shadows a symbol"),
    ("sum(h[i] for i in 1..d/2)", {"h": np.ones(2)}, [("d", 3)], "range end d/2 is not a whole"),
    ("n[1]", {"n": 3}, [], "n is a number, not an array"),
    ("h @ Wh", {"h": np.ones(2), "Wh": np.ones((3, 3))}, [], "@ needs matching inner sizes"),
    ("outer(h, Wh)", {"h": np.ones(2), "Wh": np.ones((3, 3))}, [], "outer needs two vectors"),
    ("exp", {}, [], "exp is a function; call it as exp(...)"),
    ("h**n", {"h": np.ones(2), "n": 100}, [], "exponent n exceeds 64"),
])
def test_evaluation_errors(text, env, index, fragment):
    with pytest.raises(FormulaError) as info:
        evaluate(parse(text), env, index=index)
    assert fragment in info.value.message
    if "mixes" not in fragment:  # that one is about the whole formula
        assert info.value.col >= 1


def test_non_whole_index_hint():
    with pytest.raises(FormulaError) as info:
        evaluate("g[d/2]", {"g": np.ones(4)}, index=[("d", 4)])
    assert "ceil(…) or floor(…)" in info.value.hint and "d/2" not in info.value.hint
    assert "at d=1" in info.value.message


def test_unknown_name_lists_known_names():
    with pytest.raises(FormulaError) as info:
        evaluate("q - P", {"q": np.ones(2), "p": np.ones(2)})
    assert "did you mean 'p'?" in info.value.message
    assert "p, q" in info.value.hint


@pytest.mark.parametrize("text, fragment, col", [
    ("x.T", "attribute access `x.T`", 1),
    ("g[d, e] + 'a'", "strings are not allowed", 11),
    ("sigmod(c[d, e])", "did you mean 'sigmoid'?", 1),
    ("x^2", "`^` is not allowed", 1),
    ("x[1:3]", "slices", 3),
    ("exp(x, y=1)", "keyword arguments", 8),
    ("lambda: 1", "lambda", 1),
    ("s[d, e] + 2n.T", "attribute access `n.T`", 12),  # 2n.T is 2*n.T
])
def test_parse_errors_name_the_construct(text, fragment, col):
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert fragment in info.value.message
    assert info.value.col == col


def test_hints():
    with pytest.raises(FormulaError) as info:
        parse("x.T")
    assert info.value.hint == "write T(x) to transpose"
    with pytest.raises(FormulaError) as info:
        parse("x^2")
    assert "**" in info.value.hint
    with pytest.raises(FormulaError) as info:
        parse("n(n+1)")
    assert "n*(...)" in info.value.hint


def test_column_refers_to_the_original_text():
    # `2n` became `2*n` and `1..2n` a call; the column still points into what was typed.
    text = "sum(h[i] for i in 1..2n) + 2n + 'x'"
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert info.value.col == text.index("'x'") + 1


def test_empty_outer_range_computes_nothing():
    # d/2 is not whole, but the inner range is never reached.
    got = evaluate("sum(sum(1 for j in 1..d/2) for i in 1..0)", {}, index=[("d", 3)])
    assert got.tolist() == [0, 0, 0]
    got = evaluate("sum(sum(1 for j in 1..i) for i in 1..d)", {}, index=[("d", 4)])
    assert got.tolist() == [1, 3, 6, 10]


def test_limit_on_created_values():
    with pytest.raises(FormulaError, match=f"{MAX_ELEMENTS:,}"):
        evaluate("sum(1 for i in 1..n for j in 1..n)", {"n": 10**5})

"""The formula readers: LaTeX, Unicode and everyday ASCII → canonical notation.

Each case gives what a student wrote, the canonical formula it must be read as, and the
verdict it must get against the shipped problem's key. The table is plain data so that a
larger labelled corpus can be fed through the same checks.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from hwcheck.errors import FormulaError
from hwcheck.formula import evaluate, parse
from hwcheck.formula.readers import Context, parse_answer, read
from hwcheck.grading import formulas as gf
from tests.support.helpers import grader
from tests.support.readings import READINGS

G = grader()
SIGMOID = {"f": "sigmoid"}



def _setup(problem, name, functions=None, indexing=1):
    spec = G.specs[problem]
    part = spec.part(name)
    ctx = dataclasses.replace(gf.context(G, spec, part, None),
                              functions=functions or {}, indexing=indexing)
    return spec, part, ctx


def _value(problem, name, formula, number=0):
    spec = G.specs[problem]
    part = spec.part(name)
    solved = G.key(spec, number)
    want = np.asarray(solved.solution.parts[part.name], dtype=float)
    with np.errstate(all="ignore"):
        return evaluate(formula, dict(solved.solution.env),
                        index=list(zip(part.index, want.shape)), shape=want.shape), want


@pytest.mark.parametrize("problem, name, written, canonical, verdict", READINGS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(READINGS)])
def test_reading(problem, name, written, canonical, verdict):
    spec, part, ctx = _setup(problem, name, SIGMOID if problem == "p1" else None)
    formula, reading = parse_answer(written, ctx)
    assert reading.canonical == canonical
    got, want = _value(problem, name, formula)
    ref, _ = _value(problem, name, parse(canonical))
    np.testing.assert_array_equal(got, ref)
    assert bool(np.all(gf.close(got, want))) == (verdict == "correct")
    out = gf.outcome(G, spec, part, written, None)
    if "f'" not in written:  # the shipped p1 does not declare f yet
        assert out.status == verdict, out.message
        assert out.read_as == (canonical if canonical != written else None)


def test_canonical_text_is_kept_as_written():
    _, _, ctx = _setup("p1", "dL/dK")
    text = "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j] * (1 - s[i, j]) " \
           "for i in 1..2n for j in 1..2m)"
    reading = read(text, ctx)
    assert reading.canonical == text and reading.read_as is None and not reading.notes


@pytest.mark.parametrize("written, note", [
    (r"\frac{\partial L}{\partial S_{d,e}} = \frac14 g_{d,e}",
     r"dropped the left-hand side `\frac{\partial L}{\partial S_{d,e}} =`"),
    ("g[d, e] for 1 <= d <= 2n", "dropped the domain clause `for 1 <= d <= 2n`"),
    (r"g_{d,e}, 1 \le d \le 2n", r"dropped the domain clause `, 1 \le d \le 2n`"),
    ("g(d, e)", "read g(…) as indexing g[d, e]"),
    (r"\frac{e^{-c_{d,e}}}{4}", "read e^… as Euler's number, exp(-c[d, e]); for the index e "
                               "to a power write (e)**…"),
    ("S[d, e]", "read S as the symbol s"),
    ("f'(c[d,e])", "read f' as the derivative of sigmoid"),
])
def test_notes_say_what_was_read(written, note):
    _, _, ctx = _setup("p1", "dL/dS", SIGMOID)
    assert note in read(written, ctx).notes


@pytest.mark.parametrize("written, canonical", [
    ("s(1-s)", "s * (1 - s)"),
    (r"\frac14 s(1-s)", "1 / 4 * (s * (1 - s))"),
    ("K K", "K @ K"),
    (r"K \cdot K^T", "K @ T(K)"),
    ("K * K", "K * K"),
    ("K ⊙ K", "K * K"),
])
def test_matrix_juxtaposition(written, canonical):
    _, _, ctx = _setup("p1", "dL/dC")
    reading = read(written, ctx)
    assert reading.canonical == canonical
    if "(1" in written:
        assert any("elementwise product" in n for n in reading.notes)


def test_vector_before_matrix_is_said():
    _, _, ctx = _setup("p6", "jacobian")
    reading = read("(h_j * (1-h_j)) W^h", ctx)
    assert reading.canonical == "diag(h * (1 - h)) @ Wh"
    assert any("j is not an index here" in n for n in reading.notes)
    assert any("scales the rows of Wh" in n for n in reading.notes)
    assert not any("Wh @ diag" in n for n in reading.notes)  # never hint a wrong answer


def test_without_a_context_canonical_text_is_kept():
    assert read("e/(e+1)").canonical == "e/(e+1)"
    assert read("e/(e+1)", Context()).canonical == "exp(1) / (exp(1) + 1)"


def test_euler_where_e_is_not_a_name():
    _, _, ctx = _setup("p4", "dE/dz")
    assert read("e/(e+1) * q[x] - p[x]", ctx).canonical == \
        "exp(1) / (exp(1) + 1) * q[x] - p[x]"


@pytest.mark.parametrize("written, canonical", [
    ("f'(c[d,e])", "sigmoid(c[d, e]) * (1 - sigmoid(c[d, e]))"),
    ("f(c[d,e])", "sigmoid(c[d, e])"),
    (r"f'(c_{d,e})", "sigmoid(c[d, e]) * (1 - sigmoid(c[d, e]))"),
    (r"-f(c_{d,e})(1-f(c_{d,e}))", "-sigmoid(c[d, e]) * (1 - sigmoid(c[d, e]))"),
    ("tanh'(c[d,e])", "(1 - tanh(c[d, e])**2)"),
    ("exp'(c[d,e])", "exp(c[d, e])"),
    ("ln'(s[d,e])", "1 / (s[d, e])"),
])
def test_declared_functions_and_derivatives(written, canonical):
    _, _, ctx = _setup("p1", "dL/dC", SIGMOID)
    assert read(written, ctx).canonical == canonical


def test_derivative_checked_against_finite_differences():
    """sigmoid', tanh', exp' and ln' as read agree with a central difference."""
    ctx = Context({"c": 1}, ("d",))
    c = np.linspace(-2.0, 2.0, 9) + 2.5
    step = 1e-6
    for fn in ("sigmoid", "tanh", "exp", "ln"):
        formula, _ = parse_answer(f"{fn}'(c[d])", ctx)
        got = evaluate(formula, {"c": c}, index=[("d", len(c))])
        f = parse(f"{fn}(c[d])")
        hi = evaluate(f, {"c": c + step}, index=[("d", len(c))])
        lo = evaluate(f, {"c": c - step}, index=[("d", len(c))])
        np.testing.assert_allclose(got, (hi - lo) / (2 * step), rtol=1e-6, atol=1e-8)


def test_indexing_from_zero():
    _, _, ctx = _setup("p1", "dL/dS", indexing=0)
    reading = read("g[floor(d/2), floor(e/2)] / 4", ctx)
    assert "read with indices counted from 0" in reading.notes
    formula, _ = parse_answer("g[floor(d/2), floor(e/2)] / 4", ctx)
    got, want = _value("p1", "dL/dS", formula)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    _, _, ctx = _setup("p1", "dL/dK", indexing=0)
    text = (r"\frac14\sum_{i=0}^{2n-1}\sum_{j=0}^{2m-1} x_{i+u,j+v} "
            r"g_{\lfloor i/2\rfloor,\lfloor j/2\rfloor} s_{i,j}(1-s_{i,j})")
    formula, _ = parse_answer(text, ctx)
    got, want = _value("p1", "dL/dK", formula)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_unicode_table_is_consistent():
    from hwcheck.formula.readers import unicode
    assert len(unicode._SUPERSCRIPTS) == 39 and len(unicode._SUBSCRIPTS) == 31
    assert unicode.to_latex("x²ᵢ") == "x^{2}_{i}" and unicode.to_latex("qₓ") == "q_{x}"
    assert unicode.to_latex("1−2") == "1-2"


# ---- refusals that teach ------------------------------------------------------------------

GENERIC = ("cannot read the formula", "invalid syntax")

REFUSED = [
    (r"\frac{\partial L}{\partial S}", "derivative symbol"),
    (r"\int_0^1 g_{d,e}", "integral"),
    (r"\prod_{i=1}^{n} g_{i,e}", "product `\\prod`"),
    (r"\frac14 \begin{bmatrix} g_{1,1} & g_{1,1} \end{bmatrix}", "matrix or environment"),
    (r"g_{1,1} \cdots g_{n,m}", "dots"),
    ("g[1,1] ... g[n,m]", "dots"),
    (r"\sum_i g_{i,e}", "a sum needs"),
    (r"\sum_{i=1} g_{i,e}", "no upper end"),
    (r"\sum g_{d,e}", "a sum needs its range"),
    (r"\foo{g}", "LaTeX command `\\foo` is not supported"),
    (r"\frac{1}{4} g_{\lceil d/2, e", "is not closed"),
    ("g[ceil(d/2), ceil(e/2)", "to close the index"),
    ("(g[d, e]", "never closed"),
    ("g[d, e])", "unmatched `)`"),
    ("q(d) * 2 = 3 = ", "nothing follows the last `=`"),
    ("h'(c[d,e])", "not a function this problem knows"),
    ("relu'(c[d,e])", "derivative relu' cannot be read"),
    ("mean(c[d,e])", "mean is not a formula function"),
    (r"\mathbb{1} g_{d,e}", "needs its condition in brackets"),
    (r"\mathbb{1}[g_{d,e} > 0 \land g_{d,e}]", "expected a comparison"),
    (r"\mathbb{X}[g_{d,e} > 0]", "`\\mathbb` is not supported"),
    ("softmax(g)_", "expected an index after `_`"),
    (r"\frac{zz_{d,e}}{4}", "unknown name `zz`"),
    ("$n_1$", "`n` is a size"),
    ("$d_1$", "`d` is an index variable"),
    ("g[d, e] +", "ends where a value is expected"),
    ("g[d, e] ** ** 2", "where a value is expected"),
    (r"\|g\|", "norm"),
    ("g[d, e] ; g[d, e]", "`;`"),
    ("x[d, e] ≈ g[d, e]", "\\approx"),
    ("sum(g[i, e] for i in 1..n", "to close sum(…)"),
    (r"\sum_{d=1}^{n} g_{d,e}", "already in use"),
    ("g[d, e] ⊗ s[d, e]", "Kronecker"),
    ("g[d, e] 😀", "cannot be read in a formula"),
    ("g[①, e]", "cannot be read in a formula"),
    ("g[d, e] / ٤", "cannot be read in a formula"),
    ("\\", "lone backslash"),
    (r"\sqrt[3]{g_{d,e}}", "root with an index"),
    ("", "empty"),
    ("$$", "empty"),
    ("K^{-1}", "matrix inverse"),
    ("g[d, e] if d > 1", "can only stand inside sum(…)"),
    (r"\text{unknownword}(c_{d,e})", "not a function this problem knows"),
]


@pytest.mark.parametrize("written, names", REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals_name_the_construct(written, names):
    _, _, ctx = _setup("p1", "dL/dS")
    with pytest.raises(FormulaError) as info:
        parse_answer(written, ctx)
    message = info.value.message
    assert names in message, message
    assert not any(g in message for g in GENERIC), message


def test_no_refusal_uses_the_generic_message():
    """Every unreadable form in the table, and the readable ones with a character
    changed, fails (if it fails) with a message that names what it refused."""
    _, _, ctx = _setup("p1", "dL/dK")
    forms = [r[0] for r in REFUSED] + [r[2] for r in READINGS]
    forms += [f[:-1] for f in forms if f] + [f[1:] for f in forms if f]
    for form in forms:
        try:
            parse_answer(form, ctx)
        except FormulaError as exc:
            assert not any(g in exc.message for g in GENERIC), (form, exc.message)


def test_raw_length_is_capped_before_reading():
    _, _, ctx = _setup("p1", "dL/dS")
    with pytest.raises(FormulaError, match="limit is 500"):
        read(r"\frac14" * 100, ctx)


def test_reader_output_growth_is_capped():
    ctx = Context({"c": 1}, ("d",), functions=SIGMOID)
    nested = "c[d]"
    for _ in range(12):
        nested = f"f'({nested})"
    with pytest.raises(FormulaError, match="grows beyond|limit"):
        parse_answer(nested, ctx)


# ---- numeric LaTeX matrices ----------------------------------------------------------------

@pytest.mark.parametrize("text, values", [
    (r"\begin{bmatrix} 1.0016 & 0.0016 \\ 0 & -1 \end{bmatrix}", [[1.0016, 0.0016], [0, -1]]),
    (r"$W' = \begin{pmatrix} 1 - 0.02 \cdot (-0.081) & 0 \\ 0 & −1 \end{pmatrix}$",
     [[1.00162, 0], [0, -1]]),
    (r"\begin{bmatrix} -0.3 \frac{1}{e+1} \\ 0 \end{bmatrix}",
     [[-0.3 / (np.e + 1)], [0]]),
    (r"\begin{bmatrix} \frac{e}{e+1} & ½ \end{bmatrix}", [[np.e / (np.e + 1), 0.5]]),
])
def test_latex_matrix_values(text, values):
    from hwcheck.formula.readers.matrix import read_matrix
    np.testing.assert_allclose(read_matrix(text), values, rtol=1e-12)


@pytest.mark.parametrize("text, names", [
    (r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", "different lengths"),
    (r"\begin{bmatrix} 1 & \dots \end{bmatrix}", "entry (1, 2) is dots"),
    (r"\begin{bmatrix} x & 1 \end{bmatrix}", "entry (1, 1) `x`: unknown name"),
    (r"\begin{bmatrix} 1 & 2", "never closed"),
    (r"\begin{align} 1 \end{align}", "not a matrix"),
    (r"0.02 \begin{bmatrix} 1 \end{bmatrix} + 1", "text around the matrix"),
    (r"\begin{bmatrix} 1 & \end{bmatrix}", "entry (1, 2) is empty"),
    ("[[1, 2]]", "no `\\begin{bmatrix}` found"),
])
def test_latex_matrix_refusals(text, names):
    from hwcheck.formula.readers.matrix import read_matrix
    with pytest.raises(FormulaError) as info:
        read_matrix(text)
    assert names in info.value.message


@pytest.mark.parametrize("written, where", [
    ("¼ g[⌈d/2⌉, ⌈e/2⌉] + zz", "zz"),
    ("g[⌈d/2⌉, e] − s[d, e] ++ )", ")"),
    ("$g_{d,e} - )$", ")$"),
    ("(g[d, e]", "(g[d, e]"),
])
def test_error_columns_point_into_what_was_written(written, where):
    _, _, ctx = _setup("p1", "dL/dS")
    with pytest.raises(FormulaError) as info:
        read(written, ctx)
    assert written[info.value.col - 1:] == where


# Backprop through masks: indicators, comparisons, step, softmax entries, row sums, argmax.
MASK_CTX = Context(symbols={"z": 1, "g": 1, "A": 2}, indices=("i", "j"),
                   sizes=frozenset({"n"}))
MASKS = [
    (r"g_i \mathbb{1}[z_i>0]", "g[i] * [z[i] > 0]"),
    (r"$g_i \mathbb{1}_{z_i>0}$", "g[i] * [z[i] > 0]"),
    (r"g_i \cdot \mathbf{1}\{z_i \ge 0\}", "g[i] * [z[i] >= 0]"),
    ("g_i 𝟙[z_i > 0]", "g[i] * [z[i] > 0]"),
    (r"\mathbb{I}(z_i > 0)", "[z[i] > 0]"),
    ("g_i [z_i > 0]", "g[i] * [z[i] > 0]"),
    ("g[i] [z[i] > 0]", "g[i] * [z[i] > 0]"),
    ("g [z > 0]", "g * [z > 0]"),
    ("(z_i > 0) g_i", "(z[i] > 0) * g[i]"),
    (r"[0 < z_i \le 1 \land i \neq j]", "[0 < z[i] <= 1 and i != j]"),
    (r"\mathrm{step}(z_i) g_i", "step(z[i]) * g[i]"),
    (r"\operatorname{softmax}(z)_i - [i = j]", "softmax(z)[i] - [i == j]"),
    ("softmax(z)_{i}", "softmax(z)[i]"),
    ("softmax(z)[i]", "softmax(z)[i]"),
    ("rowsum(A)_i + colsum(A)[j]", "rowsum(A)[i] + colsum(A)[j]"),
    ("[i == argmax(z)]", "[i == argmax(z)]"),
]


@pytest.mark.parametrize("written, canonical", MASKS, ids=[m[0] for m in MASKS])
def test_mask_notation_is_read(written, canonical):
    formula, reading = parse_answer(written, MASK_CTX)
    assert reading.canonical == canonical
    env = {"z": np.array([0.5, -1.0, 2.0]), "g": np.array([1.0, 2.0, 3.0]),
           "A": np.arange(9.0).reshape(3, 3)}
    evaluate(formula, env, index=[("i", 3), ("j", 3)] if formula.names & {"i", "j"} else [])


@pytest.mark.parametrize("written, says", [
    ("[" * 200 + "z_i > 0" + "]" * 200, "nested more than"),
    ("[z_i > 0]" * 50, "more than 300 parts"),
    ("[" + " and ".join(["z_i > 0"]* 50) + "]", "the limit is 500"),
    (r"\mathbb{1}", "needs its condition in brackets"),
    (r"\mathbb{1}[]", "where a value is expected"),
    ("[z_i >]", "where a value is expected"),
    ("softmax(z)_{i,i,i}", "1 dimension but 3 indices"),
    ("[z > 0]_i", "a subscript after [z > 0] cannot be read"),
])
def test_hostile_mask_notation_is_refused_within_limits(written, says):
    with pytest.raises(FormulaError, match=re.escape(says)):
        formula, _ = parse_answer(written, MASK_CTX)
        evaluate(formula, {"z": np.ones(3), "g": np.ones(3), "A": np.ones((3, 3))},
                 index=[("i", 3)])


# The argmax over an index, as LaTeX writes it: a subscript with the range, like \sum.
ARGMAX = [
    (r"[i = \arg\max_{a=1}^{3} z_a]", "[i == argmax(z[a] for a in 1..3)]"),
    (r"[i = \arg \max_{a = 1}^{3} z_a]", "[i == argmax(z[a] for a in 1..3)]"),
    (r"[i = \operatorname*{argmax}_{a=1}^{3} z_a]", "[i == argmax(z[a] for a in 1..3)]"),
    (r"[i = \operatorname{argmax}_{a=1}^3 z_{a}]", "[i == argmax(z[a] for a in 1..3)]"),
    (r"[i = \mathrm{argmax}_{a=1}^{3} A_{j,a}]", "[i == argmax(A[j, a] for a in 1..3)]"),
    (r"[i = \argmax_{a=1}^{3} z_a]", "[i == argmax(z[a] for a in 1..3)]"),
    (r"\arg\max(z) + \max_{a=1}^{3} z_a", "argmax(z) + max(z[a] for a in 1..3)"),
    (r"\min_{a=1}^{3} A_{i,a}", "min(A[i, a] for a in 1..3)"),
]


@pytest.mark.parametrize("written, canonical", ARGMAX, ids=[a[0] for a in ARGMAX])
def test_latex_argmax_over_an_index(written, canonical):
    formula, reading = parse_answer(written, MASK_CTX)
    assert reading.canonical == canonical
    env = {"z": np.array([0.5, -1.0, 2.0]), "g": np.ones(3),
           "A": np.array([[0.0, 5.0, 1.0], [3.0, 0.0, 1.0], [0.0, 1.0, 2.0]])}
    got = evaluate(formula, env, index=[(v, 3) for v in ("i", "j") if v in formula.names])
    if canonical.startswith("[i == argmax(z"):
        assert np.array_equal(got, [0.0, 0.0, 1.0])      # z is largest at a = 3
    if "A[j, a]" in canonical:
        # got[i, j] is 1 where i is the argmax of row j
        assert np.array_equal(got, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize("written", [r"\arg\max_a z_a", r"\operatorname*{argmax}_{a} z_a",
                                     r"\argmax_a z_a"])
def test_latex_argmax_without_its_range_says_how_to_write_it(written):
    with pytest.raises(FormulaError) as info:
        parse_answer(written, MASK_CTX)
    assert info.value.message == r"`\arg\max_a` needs the range of a"
    assert info.value.hint == r"write \arg\max_{a=1}^{n} … or argmax(… for a in 1..n)"
    assert written[info.value.col - 1:].startswith(("\\arg", "argmax"))   # at the operator

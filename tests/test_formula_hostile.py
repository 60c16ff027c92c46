"""Untrusted formulas: every hostile input is refused with a message naming what was refused.

Each case is tiny; the limits (length, nodes, depth, exponent, created values) keep every
refusal far below a second without any timing assertion.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from hwcheck.errors import FormulaError
from hwcheck.formula import MAX_DEPTH, MAX_ELEMENTS, MAX_EXPONENT, MAX_NODES, evaluate, parse

ENV = {"x": np.ones((3, 3)), "s": np.ones((2, 2)), "h": np.ones(3), "n": 3}

# (formula, fragment of the message); the fragment is matched case-insensitively against
# message + hint.
CORPUS = [
    # escapes from the sandbox
    ("__import__('os')", "names starting with `__`"),
    ("__import__('os').system('touch /tmp/hwcheck-pwned')", "names starting with `__`"),
    ("().__class__", "names starting with `__`"),
    ("().__class__.__bases__[0].__subclasses__()", "names starting with `__`"),
    ("x.__class__", "names starting with `__`"),
    ("__builtins__", "names starting with `__`"),
    ("sum(x for i in __range__(1, 2))", "names starting with `__`"),
    ("x.T", "attribute access `x.T`"),
    ("x.real", "attribute access `.real`"),
    ("getattr(x, 'T')", "unknown function 'getattr'"),
    ("eval('1')", "unknown function 'eval'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("print(1)", "unknown function 'print'"),
    ("(lambda: 1)()", "only named functions can be called"),
    ("lambda: 1", "lambda is not allowed"),
    ("exp(x, out=x)", "keyword arguments are not allowed"),
    ("exp(**{})", "keyword arguments are not allowed"),
    ("exp(*x)", "starred arguments"),
    ("(y := 1)", "assignment expressions"),
    ("[i for i in 1..3]", "list comprehensions"),
    ("sum([1, 2])", "list literals"),
    ("{1: 2}", "dict literals"),
    ("{1, 2}", "set literals"),
    ("(1, 2)", "tuples"),
    ("1 if n else 2", "conditional expressions"),
    ("x[1:2, 1]", "slices"),
    ("x[::-1]", "slices"),
    ("(yield)", "yield is not allowed"),
    ("await x", "await is not allowed"),
    # literals
    ("'abc'", "strings are not allowed"),
    ("b'abc'", "strings are not allowed"),
    ("f'{x}'", "f-strings are not allowed"),
    ("h + 'a'", "strings are not allowed"),
    ("None", "`None` is not a number"),
    ("True", "`True` is not a number"),
    ("12345678901234567890", "is too large"),
    ("1e999", "is too large"),
    ("x[1, 1]^2", "write powers with `**`"),
    ("n % 2", "`%` is not allowed"),
    ("n // 2", "floor(a/b)"),
    ("n & 1", "`&` is not allowed"),
    ("n << 40", "`<<` is not allowed"),
    ("~n", "`~` is not allowed"),
    ("not n", "`not` is not allowed"),
    ("n and 1", "only allowed in an indicator [..] or a sum's `if`"),
    # resources
    ("9**9**9", f"the limit is {MAX_EXPONENT}"),
    ("2**1000", f"the limit is {MAX_EXPONENT}"),
    ("n**n**n**n", f"the limit is {MAX_EXPONENT}"),
    ("x**-100", f"the limit is {MAX_EXPONENT}"),
    ("sum(1 for i in 1..1000000000)", f"the limit is {MAX_ELEMENTS:,}"),
    ("sum(sum(sum(1 for l in 1..1000) for j in 1..1000) for i in 1..1000)",
     f"the limit is {MAX_ELEMENTS:,}"),
    ("sum(1 for i in 1..10**18)", "too large"),
    ("(" * 300, "nests brackets too deeply"),
    ("(" * 240 + "1" + ")" * 240, "nests brackets too deeply"),
    ("[" * 300, "nests brackets too deeply"),
    ("(" * 300 + "1" + ")" * 300, "the limit is 500"),
    ("-" * 400 + "n", f"the limit is {MAX_DEPTH}"),
    ("+".join(["(" + "+".join(["n"] * 8) + ")"] * 25), f"the limit is {MAX_NODES}"),
    ("+".join(["n"] * 200), f"the limit is {MAX_DEPTH}"),
    ("x" * 501, "the limit is 500"),
    # characters
    ("x\u0430", "non-ASCII character 'а' (U+0430)"),      # Cyrillic a
    ("\u0430 + x", "U+0430"),
    ("2\u00b7n", "U+00B7"),                               # middle dot
    ("n \u2212 1", "U+2212"),                             # minus sign
    ("n\u00a0+ 1", "U+00A0"),                             # no-break space
    ("n\x00", "U+0000"),
    ("n\x1b[31m", "U+001B"),
    ("n\x7f", "U+007F"),
    ("n\r\n+1", "U+000D"),
    # syntax and notation
    ("", "empty"),
    ("   ", "empty"),
    ("1 +", "cannot read the formula"),
    ("x[1", "cannot read the formula"),
    ("x[1]]", "cannot read the formula"),
    ("2 n", "cannot read the formula"),
    ("x[1..3]", "must follow `for VAR in`"),
    ("sum(h[i] for i in 1..3) + h[1..2]", "must follow `for VAR in`"),  # one `in`, two ranges
    ("sum(h[i] for i in 1..3 if i > 1..2)", "must follow `for VAR in`"),
    ("sum(h[i] for i in 1..n, 2)", "exactly two ends"),
    ("sum(h[i] for i in range(3))", "must be followed by a range A..B"),
    ("sum(h[i] for i, j in 1..3)", "must be a single name"),
    ("sum(h[i] for i in 1..3 if h[i])", "needs a comparison"),
    ("sum(h[i] for i in 1..3 if i in 1..2)", "only < <= > >= == != may compare"),
    ("sum(h[i] for i in 1..3 for i in 1..3)", "sum variable 'i' is already in use"),
    ("sum(1 for x in 1..3)", "shadows a symbol"),
    ("max(h)", "at least 2 arguments"),
    ("exp(1, 2)", "exp takes 1 argument, 2 given"),
    ("outer(h)", "outer takes 2 arguments"),
    ("sigmod(n)", "did you mean 'sigmoid'?"),
    ("x[1]", "x has 2 dimensions but 1 index was given"),
    ("x[()]", "at least one position"),
    ("n[1]", "n is a number, not an array"),
    ("S", "did you mean 's'?"),
    ("h * x", "elementwise * needs equal shapes"),
    ("h[0]", "h has length 3"),
    ("x[4, 1]", "x is 3×3"),
    ("h[n/2]", "is not a whole number"),
    ("h[1e300]", "h has length 3"),
    ("h[0/0]", "is not a whole number"),
    ("diag(n)", "diag needs a vector or a matrix"),
    ("n @ h", "@ needs vectors or matrices"),
    # indicators, comparisons, step, softmax, row and column sums, argmax
    ("[h[1]]", "needs a comparison"),
    ("[h[1] > 0, 1]", "list literals"),
    ("[]", "list literals"),
    ("[not h[1]]", "needs a comparison"),
    ("[h[1] is 1]", "only < <= > >= == != may compare"),
    ("[h[1] in 1..3]", "only < <= > >= == != may compare"),
    ("[h > s]", "elementwise comparison needs equal shapes"),
    ("[h > 0 and x > 0]", "elementwise and/or needs equal shapes"),
    ("(h > x) * 1", "elementwise comparison needs equal shapes"),
    ("[h[4] > 0]", "h has length 3"),
    ("sum([x[i, j] > 0] for i in 1..100000 for j in 1..100000)", "the limit is"),
    ("step(h, h)", "step takes 1 argument, 2 given"),
    ("softmax(n)", "softmax needs a vector or a matrix"),
    ("softmax(h)[4]", "has length 3"),
    ("softmax(h[1])[1]", "softmax needs a vector"),
    ("rowsum(h)", "rowsum needs a matrix"),
    ("colsum(n)", "colsum needs a matrix"),
    ("argmax(x)", "argmax needs a vector"),
    ("argmax(n)", "argmax needs a vector"),
    ("argmax(h, h)", "argmax takes 1 argument"),
    ("argmax(x[a, b] for a in 1..3 for b in 1..3)", "exactly one variable"),
    ("argmax(h[a] for a in 1..10**9)", "the limit is"),
    ("argmax(s for a in 1..2)", "needs numbers"),
    ("[h[1] > 0] ** 1e9", "exponent"),
]


def refusal(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as info:
        evaluate(parse(text), ENV)
    return info.value


@pytest.mark.parametrize("text, fragment", CORPUS, ids=[repr(t[:30]) for t, _ in CORPUS])
def test_hostile_formula_is_refused(text, fragment):
    e = refusal(text)
    said = e.message + (f" (hint: {e.hint})" if e.hint else "")
    assert fragment.lower() in said.lower()
    assert "\n" not in e.render()
    assert len(e.render()) < 1000


def test_refusals_have_no_side_effects(tmp_path, capsys):
    target = tmp_path / "pwned"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a SyntaxWarning from ast.parse would be a side effect
        for text in (f"__import__('os').system('touch {target}')",
                     f"open('{target}', 'w')", "'a'(1)", "1 is 1", "'\\d'"):
            with pytest.raises(FormulaError):
                parse(text)
    assert not target.exists()
    assert capsys.readouterr() == ("", "")
    assert "hwcheck-pwned" not in os.listdir("/tmp")


def test_indicators_and_mask_functions_evaluate():
    z = {"z": np.array([1.0, -2.0, 3.0]), "g": np.array([0.5, 0.6, 0.7]),
         "A": np.arange(6.0).reshape(2, 3)}
    want = np.array([0.5, 0.0, 0.7])
    for text in ("g[i] * [z[i] > 0]", "g[i] * (z[i] > 0)", "g[i] * step(z[i])"):
        assert np.array_equal(evaluate(text, z, index=[("i", 3)]), want)
    assert np.array_equal(evaluate("g * [z > 0]", z), want)
    assert np.array_equal(evaluate("[0 < z[i] < 2]", z, index=[("i", 3)]), [1, 0, 0])
    assert np.array_equal(evaluate("[z[i] > 0 and not i == 1]", z, index=[("i", 3)]),
                          [0, 0, 1])
    assert evaluate("step(0)", z) == 0  # torch's ReLU derivative at 0
    e = np.exp(z["z"])
    assert np.allclose(evaluate("softmax(z)[i]", z, index=[("i", 3)]), e / e.sum())
    assert np.allclose(evaluate("softmax(1000 * z)", z), [0, 0, 1])  # no overflow
    assert np.array_equal(evaluate("rowsum(A)", z), [3, 12])
    assert np.array_equal(evaluate("colsum(A)", z), [3, 5, 7])
    assert evaluate("argmax(z)", z) == 3
    assert evaluate("argmax(z[a] for a in 1..2)", z) == 1
    assert evaluate("argmax(-abs(a - 2) for a in 1..3)", z) == 2
    assert np.array_equal(evaluate("[i == argmax(z[a] for a in 1..3)]", z,
                                   index=[("i", 3)]), [0, 0, 1])
    assert np.isnan(evaluate("argmax(z[a] for a in 1..3 if a > 5)", z))  # nothing counts


def test_division_by_zero_flows_as_inf():
    assert evaluate("1/0", ENV) == np.inf
    assert evaluate("-1/0", ENV) == -np.inf
    assert np.isnan(evaluate("0/0", ENV))
    assert np.isnan(evaluate("sqrt(-1)", ENV))
    assert evaluate("exp(1000)", ENV) == np.inf


def test_deep_but_legal_formulas_still_work():
    assert evaluate("-" * 60 + "n", ENV) == 3
    assert evaluate("(" * 150 + "n" + ")" * 150, ENV) == 3
    assert evaluate("+".join(["h[1]"] * 60), ENV) == 60


def test_a_formula_that_is_not_text_is_refused():
    for value in (None, 3, b"n", ["n"]):
        with pytest.raises(FormulaError, match="must be text"):
            parse(value)


def test_exponent_guard_ignores_elements_that_do_not_count():
    # i**100 would be refused, but no element has i > 3 ... and the exponent is i itself.
    assert evaluate("sum(2**i for i in 1..3)", ENV) == 14
    with pytest.raises(FormulaError, match="exponent"):
        evaluate("sum(2**i for i in 1..100)", ENV)
    assert evaluate("sum(2**i for i in 1..100 if i <= 3)", ENV) == 14

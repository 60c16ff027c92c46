"""Fuzzing the LaTeX, Unicode and everyday readers like the formula engine.

What a student writes is untrusted. Whatever the text, reading it and evaluating what was
read may only end in success or a ``FormulaError``: no other exception, no traceback. Every
limit still holds: raw input over ``MAX_LENGTH`` characters is refused before reading, and
what the reader writes is parsed by the canonical parser, so no formula that is accepted has
more than ``MAX_NODES`` parts. Time per input is bounded by construction (a linear
tokenizer, a parser whose recursion is capped at ``MAX_DEPTH`` and whose output is capped
at ``MAX_OUTPUT`` characters), not measured here.

The default run tries 200 inputs per property; ``-m slow`` tries 10,000 each.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.errors import FormulaError
from hwcheck.formula import MAX_LENGTH, MAX_NODES, evaluate
from hwcheck.formula.readers import parse_answer
from hwcheck.grading import formulas as gf
from tests.support.helpers import grader
from tests.support.profiles import examples
from tests.support.readings import READINGS

FAST = settings(max_examples=examples(200))   # the profile (tests/support/profiles) does the rest
SLOW = settings(max_examples=10_000)          # the `slow` marker's own count

G = grader()
TARGETS = [("p1", "dL/dK"), ("p1", "dL/dC"), ("p4", "dE/dz"), ("p6", "jacobian")]


def _target(k: int):
    problem, name = TARGETS[k % len(TARGETS)]
    spec = G.specs[problem]
    part = spec.part(name)
    ctx = dataclasses.replace(gf.context(G, spec, part, None), functions={"f": "sigmoid"},
                              indexing=1 if k < len(TARGETS) else 0)
    solved = G.key(spec, 0)
    want = np.asarray(solved.solution.parts[part.name], dtype=float)
    return ctx, dict(solved.solution.env), list(zip(part.index, want.shape)), want.shape


CONTEXTS = [_target(k) for k in range(2 * len(TARGETS))]

LATEX = [
    r"\frac", r"\dfrac", r"\tfrac", r"\frac14", r"\sqrt", r"\left(", r"\right)", r"\left.",
    r"\cdot", r"\times", r"\odot", r"\circ", r"\lceil", r"\rceil", r"\lfloor", r"\rfloor",
    r"\sum", r"\sum_{i=1}^{2n}", r"\sum_{j=1}^{2m}", r"\sum_{i=1, i \neq x}^{N}", r"\prod",
    r"\int", r"\partial", r"\exp", r"\ln", r"\log", r"\sigma", r"\tanh", r"\operatorname{diag}",
    r"\mathrm{diag}", r"\mathbf{W}", r"\mathsf T", r"\text{for }", r"\text{", r"\top", r"\le",
    r"\leq", r"\neq", r"\quad", r"\,", r"\!", r"\\", r"\begin{bmatrix}", r"\end{bmatrix}",
    r"\dots", r"\|", r"\{", r"\}", r"\alpha", r"\pi", r"\foo", "\\", "_", "^", "^T", "^{-1}",
    "{", "}", "(", ")", "[", "]", ",", "=", "'", "$", "$$", r"\(", r"\)", " ", "-", "+", "*",
    "/", "**", "@", ".*", "..", "|", "1", "2", "4", "0.25", "1e3", "9" * 20, "2n", "d", "e",
    "i", "j", "u", "v", "x", "g", "s", "S", "c", "f", "f'", "h", "Wh", "W", "q", "p", "z",
    "N", "n", "m", "k", "sum(", " for i in 1..2n", " for j in 1..2m", " if i != j", "np.",
    "exp(", "sigmoid'(", "diag(", "T(", "ceil(", "floor(", "max(", "__class__", "lambda",
]
UNICODE = [
    "⌈", "⌉", "⌊", "⌋", "·", "×", "⊙", "∘", "−", "–", "Σ", "σ", "¼", "½", "¾", "′", "ᵀ",
    "²", "³", "⁻¹", "ₓ", "ᵢ", "ⱼ", "₁", "ʰ", "≤", "≥", "≠", "∂", "∫", "∏", "√", "α", "π",
    "…", "\u00a0", "é", "😀", "\u200b", "\x00", "\x7f", "\ufeff", "\u2028",
]


def _check(text: str, k: int) -> None:
    ctx, env, index, shape = CONTEXTS[k]
    try:
        formula, reading = parse_answer(text, ctx)
    except FormulaError as exc:
        assert exc.message and "Traceback" not in exc.message
        return
    assert len(text) <= MAX_LENGTH
    assert formula.nodes <= MAX_NODES
    assert isinstance(reading.canonical, str) and isinstance(reading.notes, tuple)
    try:
        with np.errstate(all="ignore"):
            evaluate(formula, env, index=index, shape=shape)
    except FormulaError:
        pass


latex_soup = st.lists(st.sampled_from(LATEX), max_size=40).map("".join)
unicode_soup = st.lists(st.sampled_from(LATEX + UNICODE), max_size=40).map("".join)
long_soup = st.lists(st.sampled_from(LATEX + UNICODE), min_size=100, max_size=400).map("".join)


@st.composite
def mutated(draw):
    """A readable answer with a few characters or tokens inserted, deleted or replaced."""
    text = draw(st.sampled_from([r[2] for r in READINGS]))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(LATEX + UNICODE + [""]))
        cut = draw(st.integers(0, 3))
        text = text[:pos] + what + text[pos + cut:]
    return text


contexts = st.integers(0, len(CONTEXTS) - 1)


@FAST
@given(latex_soup, contexts)
def test_latex_soup(text, k):
    _check(text, k)


@FAST
@given(unicode_soup, contexts)
def test_unicode_soup(text, k):
    _check(text, k)


@FAST
@given(mutated(), contexts)
def test_mutated_answers(text, k):
    _check(text, k)


@FAST
@given(long_soup, contexts)
def test_long_soup_is_capped(text, k):
    _check(text, k)


@FAST
@given(st.text(max_size=80), contexts)
def test_any_text(text, k):
    _check(text, k)


MATRIX = LATEX + [r"\begin{bmatrix}", r"\end{bmatrix}", r"\begin{pmatrix}", r"\end{pmatrix}",
                  " & ", r" \\ ", "0.0016", "-1", "e", r"\frac{1}{e+1}"]
matrix_soup = st.lists(st.sampled_from(MATRIX), max_size=40).map(
    lambda parts: r"\begin{bmatrix}" + "".join(parts) + r"\end{bmatrix}")


def _check_matrix(text: str) -> None:
    from hwcheck.formula.readers.matrix import read_matrix
    try:
        values = read_matrix(text)
    except FormulaError as exc:
        assert exc.message
        return
    assert values.dtype == np.float64 and values.ndim == 2


@FAST
@given(matrix_soup)
def test_latex_matrix_soup(text):
    _check_matrix(text)


@pytest.mark.slow
@SLOW
@given(matrix_soup)
def test_latex_matrix_soup_slow(text):
    _check_matrix(text)


@pytest.mark.slow
@SLOW
@given(latex_soup, contexts)
def test_latex_soup_slow(text, k):
    _check(text, k)


@pytest.mark.slow
@SLOW
@given(unicode_soup, contexts)
def test_unicode_soup_slow(text, k):
    _check(text, k)


@pytest.mark.slow
@SLOW
@given(mutated(), contexts)
def test_mutated_answers_slow(text, k):
    _check(text, k)


@pytest.mark.slow
@SLOW
@given(st.text(max_size=200), contexts)
def test_any_text_slow(text, k):
    _check(text, k)


@pytest.mark.parametrize("text", [
    "(" * 400 + "1" + ")" * 99,
    "{" * 300 + "x" + "}" * 300,
    r"\frac{" * 120 + "1" + "}{2}" * 120,
    "-" * 499 + "1",
    "f'(" * 120 + "c[d,e]" + ")" * 120,
    r"\sqrt" * 250,
    "x^" * 250 + "2",
    r"\text{\text{\text{\text{" * 20,
    r"\sum_{i=1}^{2n}" * 30 + "x_{i,j}",
    "sum(" * 100 + "1" + " for i in 1..2n)" * 100,
    "g[" * 200 + "1" + "]" * 200,
    "¼" * 400,
    "ᵀ" * 499,
])
def test_hostile_nesting_is_refused_cleanly(text):
    for k in range(len(CONTEXTS)):
        _check(text, k)

"""Issue 11's grading rules: numbers as people write them, fair rounding, true diagnoses.

Every expectation here is about p5, p3, p4 and p1 as shipped; the keys come from the solvers.
"""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.grading import compare
from hwcheck.grading.numeric_text import read_numeric_text
from tests.support.helpers import grade_text, part


def _status(tmp_path, text, problem, name):
    p = part(grade_text(tmp_path, text), problem, name)
    return p.status, p.diagnosis


# --- numbers as people write them ------------------------------------------------------

@pytest.mark.parametrize("answer", ['"513,466"', '"513 466"', '"513\u202f466"', "513466",
                                    '"$513{,}466$"'.replace("{,}", ","),
                                    "'$513\\,466$'", "'513~466'", "'513\\thinspace 466'"])
def test_p3_total_with_thousands_separators_is_correct(tmp_path, answer):
    assert _status(tmp_path, f"p3: {answer}\n", "p3", "params") == ("correct", None)


@pytest.mark.parametrize("w", [
    '"[[0.99138, -0.00862], [0, -1]]"',
    '"[0.99138 -0.00862; 0 -1]"',
    r'"$\\begin{bmatrix} 0.99138 & -0.00862 \\\\ 0 & -1 \\end{bmatrix}$"',
    r'"\\begin{pmatrix} 0.99138 & -0.00862 \\\\ 0 & \u22121 \\end{pmatrix}"',
    '"[[1 - 0.02*0.431, -0.02*0.431], [0, -1]]"',
])
def test_p5_matrix_written_as_text_is_read(tmp_path, w):
    assert _status(tmp_path, f"p5:\n  W: {w}\n", "p5", "W") == ("correct", None)


def test_a_column_vector_answers_a_vector_part(tmp_path):
    assert _status(tmp_path, "p5:\n  B: [[-0.00862], [0]]\n", "p5", "B") == ("correct", None)


def test_arithmetic_on_numbers_is_graded_under_the_part_tolerance(tmp_path):
    # 1 - 0.02*0.431 = 0.99138 (the student rounded dE/dW to 3 digits): within 1e-3
    assert _status(tmp_path, 'p5:\n  B: "[-0.02*0.431, 0]"\n', "p5", "B") == ("correct", None)


@pytest.mark.parametrize("text", ["1,2", "[[1,2],[3]]", "[]", "[[[[[[1]]]]]]", "q - p",
                                  "1 - 0.02*0.431"])
def test_what_is_not_a_plain_number_is_left_to_the_formula_reader(text):
    assert read_numeric_text(text) is None


def test_a_latex_matrix_cell_that_is_not_a_number_is_named(tmp_path):
    p = part(grade_text(tmp_path, 'p5:\n  W: "\\\\begin{bmatrix} a & 0 \\\\\\\\ 0 & -1'
                                  ' \\\\end{bmatrix}"\n'), "p5", "W")
    assert p.status == "invalid" and p.feedback.startswith("entry (1, 1) `a`")


def test_written_precision_is_per_entry():
    value, precision = read_numeric_text("[[0.9914, -0.0086], [0, -1]]")
    assert np.array_equal(precision, [[5e-5, 5e-5], [0.5, 0.5]])


# --- fair rounding ---------------------------------------------------------------------

def test_p5_rounded_to_four_digits_is_correct(tmp_path):
    """The issue's own example: a small entry is judged at the scale of its matrix."""
    text = "p5:\n  W: [[0.9914, -0.0086], [0, -1]]\n  B: [-0.008621, 0]\n"
    sub = grade_text(tmp_path, text)
    assert part(sub, "p5", "W").status == "correct"
    assert part(sub, "p5", "B").status == "correct"
    # B's own scale is 0.0086: two significant digits of it are a coarse rounding
    assert _status(tmp_path, "p5:\n  B: [-0.0086, 0]\n", "p5", "B") == ("wrong", "rounding")


@pytest.mark.parametrize("w", ["[[0.99, -0.01], [0, -1]]", "[[0.99, -0.0086], [0, -1]]",
                               "[[1.0, -0.0086], [0, -1]]"])
def test_coarser_rounding_is_named_even_when_digits_differ_by_entry(tmp_path, w):
    assert _status(tmp_path, f"p5:\n  W: {w}\n", "p5", "W") == ("wrong", "rounding")


def test_scale_does_not_excuse_a_wrong_small_entry(tmp_path):
    # -0.0186 is off by 0.01 = 1 % of the matrix's scale: more than the 0.1 % allowed
    assert _status(tmp_path, "p5:\n  W: [[0.99138, -0.0186], [0, -1]]\n", "p5", "W")[0] \
        == "wrong"


# --- diagnoses that are true -----------------------------------------------------------

def test_a_vector_of_zeros_is_not_a_known_mistake(tmp_path):
    status, diagnosis = _status(tmp_path, "p5:\n  B: [0, 0]\n", "p5", "B")
    assert status == "wrong" and diagnosis is None


def test_the_seed_slip_is_still_named(tmp_path):
    text = "p5:\n  W: [[1.0016, 0.0016], [0, -1]]\n  B: [0.0016, 0]\n"
    sub = grade_text(tmp_path, text)
    assert part(sub, "p5", "W").diagnosis == "softmax-diagonal-only"
    assert part(sub, "p5", "B").diagnosis == "softmax-diagonal-only"


@pytest.mark.parametrize("scalar", [3.3, 1694.2378, 0.123])
def test_an_arbitrary_scalar_is_not_a_constant_factor(tmp_path, scalar):
    assert _status(tmp_path, f"p3: {scalar}\n", "p3", "params") == ("wrong", None)


@pytest.mark.parametrize("formula, factor", [("(q - p)/4", "1/4"), ("3*(q - p)", "3"),
                                             ("-2*(q - p)", "-2")])
def test_small_factors_are_named(tmp_path, formula, factor):
    p = part(grade_text(tmp_path, f'p4:\n  dE/dz: "{formula}"\n'), "p4", "dE/dz")
    assert p.diagnosis == "constant-factor" and f" {factor} times" in p.feedback


def test_the_problem_sizes_are_believable_factors():
    want = np.arange(1.0, 7.0)
    slip = compare.diagnose(want * 0.02, want, (), _tol(), factors={"lr": 0.02})
    assert slip.slug == "constant-factor" and "lr (0.02)" in slip.message
    assert compare.diagnose(want * 0.37, want, (), _tol(), factors={"lr": 0.02}) is None


def test_reading_one_past_the_edge_is_off_by_one(tmp_path):
    text = ('p1:\n  dL/dK: "sum(x[i+u, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j]'
            ' * (1 - s[i, j]) for i in 1..2n for j in 1..2m)"\n')
    assert _status(tmp_path, text, "p1", "dL/dK") == ("wrong", "index-off-by-one")


def test_reading_far_past_the_edge_is_not_called_off_by_one(tmp_path):
    """The seed's dL/dK reads s at i+u-1: k-1 past the edge, a different mistake."""
    text = ('p1:\n  dL/dK: "sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i+u-1, j+v-1]'
            ' * (1 - s[i+u-1, j+v-1]) for i in 1..2n for j in 1..2m)"\n')
    status, diagnosis = _status(tmp_path, text, "p1", "dL/dK")
    assert status == "wrong" and diagnosis != "index-off-by-one"


def _tol():
    from hwcheck.spec.load import Tolerance
    return Tolerance()


def test_swapped_indices_are_not_called_off_by_one(tmp_path):
    """g is n x m with m = n + 1, so the swapped read lands exactly one past g's edge; it
    is still not a shift, and the report must not say it is."""
    status, diagnosis = _status(tmp_path, 'p1:\n  dL/dS: "g[ceil(e/2), ceil(d/2)] / 4"\n',
                                "p1", "dL/dS")
    assert status == "wrong" and diagnosis != "index-off-by-one"


def test_a_sum_from_zero_is_off_by_one(tmp_path):
    text = ('p1:\n  dL/dK: "sum(x[i+u-2, j+v-1] * g[ceil(i/2), ceil(j/2)] / 4 * s[i, j]'
            ' * (1 - s[i, j]) for i in 1..2n for j in 1..2m)"\n')
    assert _status(tmp_path, text, "p1", "dL/dK") == ("wrong", "index-off-by-one")


# --- the expected precision is said before and after grading ---------------------------

def test_the_precision_is_stated_in_template_solve_and_the_report(tmp_path):
    from tests.support.runners import run

    template = run("template", "p5").stdout
    assert "W: a 2 x 2 matrix of numbers, to 4 significant digits" in template
    assert "graded to 4 significant digits" in " ".join(run("solve", "p5").stdout.split())
    assert '"precision": "the exact value"' in run("solve", "p3", "--format", "json").stdout
    answers = tmp_path / "a.yaml"
    answers.write_text("p5:\n  W: [[0.99, -0.01], [0, -1]]\n")
    doc = run("grade", answers, "--format", "json").stdout
    assert "expects 4 significant digits" in doc and '"diagnosis": "rounding"' in doc


# --- found in review: each was a crash, or a wrong answer graded correct -------------------

@pytest.mark.parametrize("w", ["[[0e400, 0], [0, -1]]", '"[[1e400, 0], [0, -1]]"',
                               '"1e' + "9" * 5000 + '"', '["0e400", 0]'])
def test_huge_exponents_never_crash(tmp_path, w):
    p = part(grade_text(tmp_path, f"p5:\n  W: {w}\n"), "p5", "W")
    assert p.status in ("wrong", "invalid")


@pytest.mark.parametrize("w", ['"[[0.99138, -0.00862], [0, -10]"', '"[[0.99138, -0.00862], [0, -1]]]"',
                               '"[0.99138, -0.00862], [0, -1]"', '"[[0.99138,, -0.00862], [0, -1]]"'])
def test_a_malformed_matrix_in_a_string_is_never_read_as_another(tmp_path, w):
    assert _status(tmp_path, f"p5:\n  W: {w}\n", "p5", "W")[0] != "correct"


def test_a_unit_word_is_dropped_but_a_constant_is_not(tmp_path):
    assert _status(tmp_path, 'p3: "513466 parameters"\n', "p3", "params")[0] == "correct"
    assert _status(tmp_path, 'p3: "513466 pi"\n', "p3", "params")[0] != "correct"


def test_text_after_a_latex_matrix_is_not_ignored(tmp_path):
    w = r'"\\begin{bmatrix} 0.99138 & -0.00862 \\\\ 0 & -1 \\end{bmatrix} \\cdot 2 ="'
    p = part(grade_text(tmp_path, f"p5:\n  W: {w}\n"), "p5", "W")
    assert p.status == "invalid" and "text around the matrix" in p.feedback


def test_too_many_entries_in_a_string_are_refused_before_they_are_read(tmp_path):
    w = '"[' + ", ".join(["1 - 0.02*0.431"] * 1000) + ']"'   # under 20,000 characters
    p = part(grade_text(tmp_path, f"p5:\n  W: {w}\n"), "p5", "W")
    assert p.status == "invalid" and "the key has 4" in p.feedback


def test_an_answer_too_coarse_to_tell_the_key_from_a_slip_names_no_slip(tmp_path):
    """W left unchanged, [[1, 0], [0, -1]], is as near p5's key as its softmax-diagonal
    variant: that is a coarse rounding, not the seed student's mistake."""
    status, diagnosis = _status(tmp_path, "p5:\n  W: [[1, 0], [0, -1]]\n", "p5", "W")
    assert status == "wrong" and diagnosis != "softmax-diagonal-only"


@pytest.mark.parametrize("jacobian", ["h (1-h)^T W^h", "h^T (1-h) W^h", "(h - h h^T) W^h",
                                      "hᵀ (1−h) Wʰ"])
def test_a_transposed_vector_is_refused_not_guessed(tmp_path, jacobian):
    """u vᵀ (an outer product) and uᵀ v (a number) were both read as an elementwise product,
    which made p6's key out of two different wrong answers."""
    p = part(grade_text(tmp_path, f'p6:\n  jacobian: "{jacobian}"\n'), "p6", "jacobian")
    assert p.status == "invalid" and "outer(u, v)" in p.feedback

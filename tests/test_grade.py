"""Grading rules: tolerance, invalid cells, diagnoses, carry-forward, unknown keys."""

import numpy as np
import pytest

from dataclasses import replace

from hwcheck.grading.grader import Grader
from hwcheck.grading.results import Counterexample
from hwcheck.kinds import solve_spec
from tests.support.helpers import grade_text, grader, part


def key(problem, name):
    return np.asarray(solve_spec(grader().specs[problem]).solution.parts[name])


def yaml_matrix(a) -> str:
    return repr(np.asarray(a).round(10).tolist())


@pytest.mark.parametrize("answer, status, diagnosis", [
    ("[[0.99138, -0.00862], [0, -1]]", "correct", None),
    ("[[0.991379, -0.0086212], [0.0, -1.0]]", "correct", None),
    ("[[1.0016, 0.0016], [0, -1]]", "wrong", "softmax-diagonal-only"),
    ("[[1.00862, 0.00862], [0, -1]]", "wrong", "sgd-wrong-sign"),
    ("[[0.99, -0.01], [0, -1]]", "wrong", "rounding"),
    ("[[0.99138, 0], [-0.00862, -1]]", "wrong", "transposed"),
])
def test_p5_numeric_answers(tmp_path, answer, status, diagnosis):
    r = part(grade_text(tmp_path, f"p5:\n  W: {answer}\n"), "p5", "W")
    assert (r.status, r.diagnosis) == (status, diagnosis), r.feedback


def either(problem: str) -> Grader:
    """The shipped specs, with every formula part of ``problem`` saying `answer: either`."""
    specs = dict(grader().specs)
    spec = specs[problem]
    specs[problem] = replace(spec, parts=tuple(
        replace(p, answer="either") if p.answer == "formula" else p for p in spec.parts))
    return Grader(specs)


def grade_either(tmp_path, text: str):
    (tmp_path / "answers.yaml").write_text(text)
    return either("p1").grade_file(tmp_path / "answers.yaml")


def test_sign_flip_and_factor_on_a_matrix(tmp_path):
    w = key("p1", "dL/dS")
    sub = grade_either(tmp_path, f"p1:\n  dL/dS: {yaml_matrix(-w)}\n  dL/dC: {yaml_matrix(4 * key('p1', 'dL/dC'))}\n")
    assert part(sub, "p1", "dL/dS").diagnosis == "sign-flipped"
    dc = part(sub, "p1", "dL/dC")
    assert dc.diagnosis == "constant-factor" and "4 times" in dc.feedback


def test_numeric_matrix_for_an_either_part_uses_the_specs_instance(tmp_path):
    sub = grade_either(tmp_path, f"p1:\n  dL/dK: {yaml_matrix(key('p1', 'dL/dK'))}\n")
    assert part(sub, "p1", "dL/dK").status == "correct"


def test_numeric_matrix_for_a_formula_part_is_invalid(tmp_path):
    sub = grade_text(tmp_path, f"p1:\n  dL/dK: {yaml_matrix(key('p1', 'dL/dK'))}\n")
    r = part(sub, "p1", "dL/dK")
    assert r.status == "invalid" and "asks for a formula" in r.feedback and r.score == 0


def test_a_printed_matrix_in_a_string_for_a_formula_part_gets_the_same_message(tmp_path):
    """A notebook's printed output is a string: the same numbers, the same refusal."""
    sub = grade_text(tmp_path, f"p1:\n  dL/dK: '{yaml_matrix(key('p1', 'dL/dK'))}'\n")
    r = part(sub, "p1", "dL/dK")
    assert r.status == "invalid" and "asks for a formula" in r.feedback and r.score == 0


def test_numbers_as_a_string_for_an_either_part_use_the_parts_tolerance(tmp_path):
    """A number written as text is compared like the same number unquoted: under the
    part's tolerance, not the formula grader's near-exact one."""
    k = key("p1", "dL/dK")
    rounded = yaml_matrix(np.round(k, 3))           # within 4 significant digits? not always
    plain = part(grade_either(tmp_path, f"p1:\n  dL/dK: {rounded}\n"), "p1", "dL/dK")
    quoted = part(grade_either(tmp_path, f"p1:\n  dL/dK: \"{rounded}\"\n"), "p1", "dL/dK")
    assert (quoted.status, quoted.score, quoted.diagnosis) == \
        (plain.status, plain.score, plain.diagnosis)


@pytest.mark.parametrize("answer, fragment", [
    ("[[1, 0], [0]]", "ragged rows"),
    ("[[1, true], [0, -1]]", "cell [1, 2] is true"),
    ("[[1, abc], [0, -1]]", "cell [1, 2] is the text 'abc'"),
    ("[[1, .nan], [0, -1]]", "cell [1, 2] is not a finite number"),
    ("[[1, 1.0e+999], [0, -1]]", "not a finite number"),
    ("[[1, 0, 0], [0, -1, 0], [0, 0, 1]]", "more than 4 entries"),
    ("[[[1, 0], [0, -1]]]", None),
    ("[1, 2, 3, 4]", "does not match the key's 2 x 2"),
    ("yes", "'yes' is text, not a number"),
    ("{a: 1}", "mapping"),
    ("[]", "empty list"),
])
def test_bad_cells_make_the_part_invalid(tmp_path, answer, fragment):
    r = part(grade_text(tmp_path, f"p5:\n  W: {answer}\n  B: [0, 0]\n"), "p5", "W")
    assert r.status in ("invalid", "wrong"), r
    if fragment:
        assert fragment in r.feedback


def test_rank3_of_matching_size_is_accepted_only_as_singleton_axes(tmp_path):
    r = part(grade_text(tmp_path, "p5:\n  B: [[-0.00862], [0]]\n"), "p5", "B")
    assert r.status == "correct"


def test_null_and_empty_answers_are_missing(tmp_path):
    sub = grade_text(tmp_path, "p5:\n  W: null\n  B: ''\np4:\n  dE/dz:\n")
    assert part(sub, "p5", "W").status == "missing"
    assert part(sub, "p5", "B").status == "missing"
    assert part(sub, "p4", "dE/dz").status == "missing"
    assert part(sub, "p3", "params").status == "missing"


def test_unknown_problems_and_parts_are_noticed_with_a_hint(tmp_path):
    sub = grade_text(tmp_path, "p55: 1\np1:\n  dL/ds: 'g'\np3: 513466\n")
    msgs = [(n.message, n.hint, n.line) for n in sub.notices]
    assert ("unknown problem 'p55'; it was not graded",
            "did you mean 'p5'? known: p1, p2, p3, p4, p5, p6, student, indexing", 1) in msgs
    assert any("'dL/ds'" in m and h.startswith("did you mean 'dL/dS'? known: ") and line == 3
               for m, h, line in msgs)
    assert part(sub, "p3", "params").status == "correct"


@pytest.mark.parametrize("formula", [
    "g[ceil(d/2), ceil(e/2)] / 4",
    "g[floor((d+1)/2), floor((e+1)/2)] / 4",
    "0.25 * g[ceil(d/2), ceil(e/2)]",
])
def test_equivalent_forms_are_correct(tmp_path, formula):
    assert part(grade_text(tmp_path, f"p1:\n  dL/dS: \"{formula}\"\n"), "p1",
                "dL/dS").status == "correct"


@pytest.mark.parametrize("formula, diagnosis", [
    ("g[ceil(d/2), ceil(e/2)]", "constant-factor"),
    ("-g[ceil(d/2), ceil(e/2)] / 4", "sign-flipped"),
])
def test_formula_slips_are_named(tmp_path, formula, diagnosis):
    r = part(grade_text(tmp_path, f"p1:\n  dL/dS: \"{formula}\"\n"), "p1", "dL/dS")
    assert (r.status, r.diagnosis) == ("wrong", diagnosis)


def test_swapped_indices_are_caught_with_a_counterexample(tmp_path):
    # n != m, so swapping d and e reads outside g.
    r = part(grade_text(tmp_path, "p1:\n  dL/dS: \"g[ceil(e/2), ceil(d/2)] / 4\"\n"), "p1",
             "dL/dS")
    assert r.status == "wrong" and "reads g[3, 1] but g is 2×3" in r.feedback


def test_wrong_jacobian_side_is_wrong(tmp_path):
    r = part(grade_text(tmp_path, "p6:\n  jacobian: \"Wh @ diag(h * (1 - h))\"\n"), "p6",
             "jacobian")
    assert r.status == "wrong"
    assert any(isinstance(d, Counterexample) for d in r.details)


def test_shape_error_suggests_diag(tmp_path):
    r = part(grade_text(tmp_path, "p6:\n  jacobian: \"h * (1 - h) * Wh\"\n"), "p6", "jacobian")
    assert r.status == "invalid" and "diag(" in r.feedback


def test_carry_forward_credit(tmp_path):
    sub = grade_text(tmp_path, "p1:\n"
                     "  dL/dS: \"g[ceil(d/2), ceil(e/2)]\"\n"
                     "  dL/dC: \"g[ceil(d/2), ceil(e/2)] * s[d, e] * (1 - s[d, e])\"\n")
    ds, dc = part(sub, "p1", "dL/dS"), part(sub, "p1", "dL/dC")
    assert ds.status == "wrong"
    assert dc.diagnosis == "carry-forward" and dc.score == pytest.approx(1.5)
    assert "your own dL/dS" in dc.feedback


def test_no_carry_forward_when_inconsistent(tmp_path):
    sub = grade_text(tmp_path, "p1:\n"
                     "  dL/dS: \"g[ceil(d/2), ceil(e/2)]\"\n"
                     "  dL/dC: \"s[d, e]\"\n")
    assert part(sub, "p1", "dL/dC").score == 0


def test_answers_cannot_forge_points_or_tolerance(tmp_path):
    sub = grade_text(tmp_path, "p5:\n  W: [[1.0016, 0.0016], [0, -1]]\n  points: 100\n"
                     "  tolerance: {rtol: 1}\n  score: 7\nscore: 40\nmax_score: 1\n")
    p5 = next(p for p in sub.problems if p.id == "p5")
    assert p5.score == 0 and p5.max_score == 7 and sub.max_score == 40
    assert len(sub.notices) >= 5

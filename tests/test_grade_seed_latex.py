"""The seed student's own LaTeX (examples/seed-answers-latex.yaml) grades exactly like the
canonical transcription (examples/seed-answers.yaml): same statuses, scores, diagnoses."""

from __future__ import annotations


import pytest

from hwcheck.grading.grader import Grader
from hwcheck.spec.catalog import load_catalog
from tests.support.helpers import EXAMPLES, PROBLEMS


def _grader() -> Grader:
    specs = load_catalog(PROBLEMS).specs
    assert specs["p1"].functions == {"f": "sigmoid"}   # the student writes f for the sigmoid
    return Grader(specs)


@pytest.fixture(scope="module")
def both():
    g = _grader()
    return g.grade_file(EXAMPLES / "seed-answers.yaml"), \
        g.grade_file(EXAMPLES / "seed-answers-latex.yaml")


def test_same_verdicts_diagnoses_and_scores(both):
    plain, latex = both
    assert latex.score == plain.score and latex.max_score == plain.max_score
    for pa, pb in zip(plain.problems, latex.problems, strict=True):
        for a, b in zip(pa.parts, pb.parts, strict=True):
            assert (b.name, b.status, b.diagnosis, b.score) == \
                (a.name, a.status, a.diagnosis, a.score)
            assert b.feedback == a.feedback


def test_latex_answers_say_how_they_were_read(both):
    _, latex = both
    parts = {(pr.id, p.name): p for pr in latex.problems for p in pr.parts}
    assert parts["p4", "dE/dz"].read_as == "q[x] - p[x]"
    assert any("left-hand side" in n for n in parts["p4", "dE/dz"].notes)
    assert any("domain clause" in n for n in parts["p4", "dE/dz"].notes)
    assert parts["p6", "jacobian"].read_as == "diag(h * (1 - h)) @ Wh"
    assert parts["p1", "dL/dS"].read_as == "1 / 4 * g[floor((d + 1) / 2), floor((e + 1) / 2)]"
    assert any("read S as the symbol s" in n for n in parts["p1", "dL/dK"].notes)
    assert parts["p3", "params"].read_as is None


def test_canonical_answers_carry_no_reading(both):
    plain, _ = both
    assert all(p.read_as is None and not p.notes for pr in plain.problems for p in pr.parts)


def test_a_mistake_past_the_edge_is_recognised_in_any_spelling():
    from hwcheck.grading import formulas as gf
    from tests.support.helpers import grader

    g = grader()
    spec = g.specs["p1"]
    part = spec.part("dL/dK")
    mistake = part.mistakes[0].formula
    other = (r"\frac14\sum_{i=1}^{2n}\sum_{j=1}^{2m} x_{i+u-1,j+v-1} "
             r"g_{\lfloor (i+1)/2\rfloor,\lfloor (j+1)/2\rfloor} s_{i+u-1,j+v-1}(1-s_{i+u-1,j+v-1})")
    assert gf.same_formula(g, spec, part, mistake, other, None)
    shifted_x = other.replace("x_{i+u-1,j+v-1}", "x_{i+u,j+v}")
    assert not gf.same_formula(g, spec, part, mistake, shifted_x, None)
    assert not gf.same_formula(g, spec, part, mistake, "zz[u, v]", None)

"""The seed submission is graded as the project's contract says (p5 wrong with the softmax
cross term dropped, p3 and p4 right, p1's dL/dS right, dL/dC wrong by sign, dL/dK reading
outside C, p6's Jacobian right, p2 needs review), from the solvers' own keys."""

import numpy as np
import pytest

from hwcheck.grading.results import Counterexample, Note
from hwcheck.kinds import solve_spec
from tests.support.helpers import EXAMPLES, grader, part


@pytest.fixture(scope="module")
def seed():
    return grader().grade_file(EXAMPLES / "seed-answers.yaml")


def test_p5_key_is_derived_by_the_solver():
    key = solve_spec(grader().specs["p5"]).solution.parts
    np.testing.assert_allclose(key["W"], [[0.99138, -0.00862], [0, -1]], atol=5e-6)
    np.testing.assert_allclose(key["B"], [-0.00862, 0], atol=5e-6)


def test_p5_is_wrong_and_names_the_softmax_mistake(seed):
    for name in ("W", "B"):
        r = part(seed, "p5", name)
        assert r.status == "wrong" and r.score == 0
        assert r.diagnosis == "softmax-diagonal-only"
        assert "diagonal of the softmax Jacobian" in r.feedback
        assert "q_i - p_i" in r.feedback


def test_p3_and_p4_are_right(seed):
    assert part(seed, "p3", "params").status == "correct"
    assert part(seed, "p4", "dE/dz").status == "correct"


def test_p1_verdicts(seed):
    assert part(seed, "p1", "dL/dS").status == "correct"
    dc = part(seed, "p1", "dL/dC")
    assert (dc.status, dc.diagnosis) == ("wrong", "sign-flipped")
    cx = [d for d in dc.details if isinstance(d, Counterexample)]
    assert cx and cx[0].instance.startswith("the spec's instance") and cx[0].want is not None
    dk = part(seed, "p1", "dL/dK")
    assert dk.status == "wrong"
    assert any("reads s[" in d.text and "but s is 4×6" in d.text for d in dk.details
               if isinstance(d, Note)), dk.details


def test_p6_jacobian_right_and_text_parts_need_review(seed):
    assert part(seed, "p6", "jacobian").status == "correct"
    for problem, name in (("p6", "explanation"), ("p2", "one_stage_advantages"),
                          ("p2", "why_nms")):
        r = part(seed, problem, name)
        assert r.status == "needs_review" and r.score == 0
        assert r.suggested is not None and r.suggested > 0


def test_seed_scores_and_lines(seed):
    assert seed.max_score == 40
    assert seed.score == 2 + 6 + 8 + 3
    assert seed.failing
    assert part(seed, "p5", "W").line > 0


def test_correct_answers_have_no_failing_part():
    sub = grader().grade_file(EXAMPLES / "correct-answers.yaml")
    statuses = {p.status for pr in sub.problems for p in pr.parts}
    assert statuses <= {"correct", "needs_review"}, [
        (pr.id, p.name, p.status, p.feedback) for pr in sub.problems for p in pr.parts]
    assert not sub.failing

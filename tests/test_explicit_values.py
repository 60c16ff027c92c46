"""Formula parts stay tested for generality when a spec writes its values out (deliverable
7): the random instances draw fresh values of the same shape and character, so a formula
that hard-codes the printed instance, or is a bare number, is not graded correct."""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.grading.grader import Grader
from hwcheck.kinds import instances, solve_spec
from hwcheck.spec.instance import Instance, fresh
from hwcheck.spec.load import load_spec
from tests.support.helpers import part

SPEC = """\
id: paper
title: Softmax cross-entropy, values written out
kind: gradient
points: 3
statement: z = [1, 2, 0.5], p = [0.2, 0.3, 0.5]; q = softmax(z). Give dE/dz and E.
network:
  input: [3]
  layers:
    - softmax: {name: q}
input: [1.0, 2.0, 0.5]
target: [0.2, 0.3, 0.5]
loss: cross_entropy
symbols:
  z: {quantity: input, shape: [3]}
  q: {quantity: q, shape: [3]}
  p: {quantity: target, shape: [3]}
parts:
  dE/dz: {quantity: grad.input, shape: [3], index: [x], points: 2}
  E: {quantity: loss, answer: formula, points: 1}
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paper")
    (folder / "paper.yaml").write_text(SPEC)
    spec = load_spec(folder / "paper.yaml")
    own = solve_spec(spec).solution
    q, p = own.env["q"], own.env["p"]
    d = [float(v) for v in q - p]
    e = float(own.parts["E"])
    answers = {
        "general": ('"q[x] - p[x]"', '"-sum(p[i] * log(q[i]) for i in 1..3)"'),
        "instance": (f'"{d[0]!r} * [x == 1] + {d[1]!r} * [x == 2] + {d[2]!r} * [x == 3]"',
                     f'"{e!r}"'),
        "mixed": ('"softmax(z)[x] - p[x]"', f'"{e!r} + 0 * p[1]"'),
    }
    grader = Grader({spec.id: spec})
    out = {}
    for name, (grad, loss) in answers.items():
        path = folder / f"{name}.yaml"
        path.write_text(f"paper:\n  dE/dz: {grad}\n  E: {loss}\n")
        out[name] = grader.grade_file(path)
    return spec, out


def test_the_printed_instance_is_kept_and_random_ones_are_fresh(graded):
    spec = graded[0]
    assert instances(spec) >= 3
    own = solve_spec(spec).solution.env
    np.testing.assert_array_equal(own["z"], [1.0, 2.0, 0.5])
    for number in range(1, instances(spec)):
        env = solve_spec(spec, number=number).solution.env
        assert env["z"].shape == (3,) and not np.allclose(env["z"], own["z"])
        assert np.all(env["p"] >= 0) and env["p"].sum() == pytest.approx(1)  # still a target
        assert not np.allclose(env["p"], own["p"])


def test_a_general_formula_is_correct(graded):
    sub = graded[1]["general"]
    assert part(sub, "paper", "dE/dz").status == "correct"
    assert part(sub, "paper", "E").status == "correct"


def test_a_formula_that_hard_codes_the_instance_is_wrong(graded):
    sub = graded[1]["instance"]
    assert part(sub, "paper", "dE/dz").status == "wrong"
    assert part(sub, "paper", "E").status == "wrong"   # a bare number


def test_general_notation_with_a_bare_number_elsewhere(graded):
    sub = graded[1]["mixed"]
    assert part(sub, "paper", "dE/dz").status == "correct"
    assert part(sub, "paper", "E").status == "wrong"


def test_fresh_values_keep_their_character():
    inst = Instance({}, number=1)
    ints = fresh(np.array([[1.0, -2.0], [3.0, 0.0]]), (2, 2), inst, "W")
    assert np.all(ints == np.rint(ints)) and ints.min() >= -2 and ints.max() <= 3
    distinct = fresh(np.array([[1.0, 2.0], [3.0, 4.0]]), (3, 3), inst, "X")
    assert len(np.unique(distinct)) == 9 and np.all(distinct == np.rint(distinct))
    ties = fresh(np.array([0.0, 1.0, 1.0]), (50,), inst, "y")
    assert set(np.unique(ties)) == {0.0, 1.0}  # binary stays binary
    assert set(np.unique(fresh(np.array([0.0, 1.0]), (40,), inst, "t"))) == {0.0, 1.0}
    probs = fresh(np.array([[0.5, 0.5], [0.1, 0.9]]), None, inst, "t")
    assert probs.shape == (2, 2) and np.allclose(probs.sum(axis=1), 1) and np.all(probs >= 0)
    assert np.array_equal(fresh(np.zeros(3), None, inst, "b"), np.zeros(3))  # a zero bias
    assert fresh(np.array([0.3, -1.7]), (4,), inst, "x").shape == (4,)   # sizes vary
    again = fresh(np.array([0.3, -1.7]), None, inst, "x")
    assert np.array_equal(again, fresh(np.array([0.3, -1.7]), None, inst, "x"))  # seeded
    assert not np.array_equal(again, fresh(np.array([0.3, -1.7]), None, inst, "y"))

"""The layer examples in examples/problems/ (issue 12): each key agrees with torch, and its
right and wrong answers files grade correct and wrong.

The torch checks rebuild each problem in torch by hand (not from the layer table), so a
wrong table entry or a wrong count cannot agree with itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwcheck.grading.grader import Grader
from hwcheck.grading.validate import validate
from hwcheck.kinds import solve_spec
from hwcheck.spec.catalog import load_catalog

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "problems"
IDS = ("attention-gradients", "resnet-basic-block", "mobilenet-block",
       "embedding-linear-count")


@pytest.fixture(scope="module")
def specs():
    return load_catalog(FOLDER).specs


def key(specs, spec_id):
    return solve_spec(specs[spec_id]).solution.parts


@pytest.mark.parametrize("spec_id", IDS)
def test_the_spec_and_its_answers_files_validate(specs, spec_id):
    """What `hwcheck validate … --problems examples/problems` runs: the key, the spec's own
    `tests:` (one right and one wrong answer per part) and both answers files."""
    paths = [FOLDER / f"{spec_id}.yaml", *sorted((FOLDER / "answers").glob(f"{spec_id}.*"))]
    checks = validate(paths, specs)
    assert all(c.ok for c in checks), [c.message for c in checks if not c.ok]
    parts = {p.name for p in specs[spec_id].parts}
    tests = [c.message for c in checks if "test expects" in c.message]
    for part in parts:
        assert any(f"{part}: test expects correct" in m for m in tests), part
        assert any(f"{part}: test expects wrong" in m for m in tests), part


@pytest.mark.parametrize("spec_id", IDS)
@pytest.mark.parametrize("which", ["right", "wrong"])
def test_the_answers_files_grade_as_named(specs, spec_id, which):
    graded = Grader({spec_id: specs[spec_id]}).grade_file(
        FOLDER / "answers" / f"{spec_id}.{which}.yaml")
    (problem,) = graded.problems
    want = "correct" if which == "right" else "wrong"
    assert [p.status for p in problem.parts] == [want] * len(problem.parts)


@pytest.mark.torch
def test_attention_gradients_match_torch(specs):
    torch = pytest.importorskip("torch")
    q = torch.tensor([[1.0, 0], [0, 1]], dtype=torch.float64, requires_grad=True)
    k = torch.tensor([[1.0, 0], [0, 1], [1, 1]], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([[1.0, 2], [0, 1], [-1, 0]], dtype=torch.float64, requires_grad=True)
    y = torch.softmax(q @ k.T / 2 ** 0.5, dim=-1) @ v
    y.backward(torch.eye(2, dtype=torch.float64))
    got = key(specs, "attention-gradients")
    for part, t in (("dE/dQ", q), ("dE/dK", k), ("dE/dV", v)):
        np.testing.assert_allclose(got[part], t.grad.numpy(), rtol=1e-9, atol=1e-12)


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.torch
def test_block_counts_and_shapes_match_torch(specs):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Basic(nn.Module):      # torchvision's BasicBlock with a downsampling shortcut
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(64, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
                nn.Conv2d(128, 128, 3, 1, 1, bias=False), nn.BatchNorm2d(128))
            self.down = nn.Sequential(nn.Conv2d(64, 128, 1, 2, bias=False),
                                      nn.BatchNorm2d(128))

        def forward(self, x):
            return torch.relu(self.main(x) + self.down(x))

    mobile = nn.Sequential(
        nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
    lm = nn.Sequential(nn.Embedding(10000, 128), nn.Linear(128, 10000))
    cases = (("resnet-basic-block", Basic(), torch.zeros(1, 64, 56, 56)),
             ("mobilenet-block", mobile, torch.zeros(1, 32, 112, 112)),
             ("embedding-linear-count", lm, torch.zeros(1, 20, dtype=torch.long)))
    for spec_id, module, x in cases:
        solved = solve_spec(specs[spec_id])
        assert solved.solution.parts["params"] == _count(module), spec_id
        with torch.no_grad():
            assert solved.summary.output_shape == tuple(module(x).shape[1:]), spec_id

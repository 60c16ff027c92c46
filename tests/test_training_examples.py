"""The training examples in examples/problems/ (losses, batches, optimizers).

Each passes ``hwcheck validate`` with its own ``tests:``; its right answers file grades
correct and its wrong one wrong, part by part; and its key, solved as a user solves it,
is recomputed with torch from the JSON's given values and the spec's own numbers (1e-9).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.support.helpers import ROOT
from tests.support.runners import run

FOLDER = ROOT / "examples" / "problems"
NAMES = ["adam-mlp-step", "sgd-nesterov-3-steps", "batch3-softmax-ce-gradient",
         "bce-logistic-gradient"]
TOL = 1e-9


def solve_json(name: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "hwcheck", "solve",
                           str(FOLDER / f"{name}.yaml"), "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", NAMES)
def test_example_validates_with_its_own_tests(name):
    result = run("validate", FOLDER / f"{name}.yaml")
    assert result.exit_code == 0, result.stdout
    assert "0 failing" in result.stdout


@pytest.mark.parametrize("which", ["right", "wrong"])
@pytest.mark.parametrize("name", NAMES)
def test_answers_files_grade_right_and_wrong(name, which):
    path = FOLDER / "answers" / f"{name}.{which}.yaml"
    result = run("grade", path, "--problems", FOLDER, "--format", "json")
    doc = json.loads(result.stdout)
    problem = solve_json(name)["problem"]
    (graded,) = [p for p in doc["problems"] if p["id"] == problem]
    want = "correct" if which == "right" else "wrong"
    assert graded["parts"] and all(p["status"] == want for p in graded["parts"]), graded


# ---- against torch --------------------------------------------------------------------------

def close(got, want, what):
    got = np.asarray(got, dtype=float)
    want = want.detach().numpy() if hasattr(want, "detach") else np.asarray(want, float)
    assert got.shape == want.shape, f"{what}: {got.shape} vs {want.shape}"
    assert np.abs(got - want).max(initial=0) <= TOL * max(1.0, np.abs(want).max()), what


@pytest.mark.torch
def test_adam_mlp_step_agrees_with_torch_optim():
    torch = pytest.importorskip("torch")
    doc = solve_json("adam-mlp-step")
    T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    W1 = T([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]]).requires_grad_()
    b1 = T([0.1, -0.1]).requires_grad_()
    W2 = T(doc["given"]["W2"]).requires_grad_()
    b2 = T([0.0, 0.3]).requires_grad_()
    x, t = T(doc["given"]["x"]), T(doc["given"]["t"])
    opt = torch.optim.Adam([W1, b1, W2, b2], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    torch.nn.functional.mse_loss(W2 @ torch.relu(W1 @ x + b1) + b2, t).backward()
    opt.step()
    parts = {k: v["value"] for k, v in doc["parts"].items()}
    close(parts["m"], opt.state[W2]["exp_avg"], "m")
    close(parts["v"], opt.state[W2]["exp_avg_sq"], "v")
    close(parts["W2"], W2, "W2")


@pytest.mark.torch
def test_sgd_nesterov_three_steps_agree_with_torch_optim():
    torch = pytest.importorskip("torch")
    doc = solve_json("sgd-nesterov-3-steps")
    g = {k: torch.tensor(v, dtype=torch.float64) for k, v in doc["given"].items()}
    W, b = g["W"].clone().requires_grad_(), g["b"].clone().requires_grad_()
    opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9, nesterov=True)
    for step in range(3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(W @ g["x"] + b, g["t"]).backward()
        opt.step()
        if step == 1:
            buf2 = opt.state[W]["momentum_buffer"].clone()
    parts = {k: v["value"] for k, v in doc["parts"].items()}
    close(parts["buf2"], buf2, "buf2")
    close(parts["W3"], W, "W3")
    close(parts["b3"], b, "b3")


@pytest.mark.torch
def test_batch3_softmax_cross_entropy_agrees_with_torch():
    torch = pytest.importorskip("torch")
    doc = solve_json("batch3-softmax-ce-gradient")
    g = {k: torch.tensor(v, dtype=torch.float64) for k, v in doc["given"].items()}
    W, b = g["W"].clone().requires_grad_(), g["b"].clone().requires_grad_()
    Z = g["X"] @ W.T + b
    Z.retain_grad()
    E = torch.nn.functional.cross_entropy(Z, g["y"].long())
    E.backward()
    parts = {k: v["value"] for k, v in doc["parts"].items()}
    close(parts["dE/dZ"], Z.grad, "dE/dZ")
    close(parts["dE/dW"], W.grad, "dE/dW")
    close(next(s["value"] for s in doc["steps"] if s["name"] == "E"), E, "E")


@pytest.mark.torch
def test_bce_logistic_gradient_agrees_with_torch():
    torch = pytest.importorskip("torch")
    doc = solve_json("bce-logistic-gradient")
    g = {k: torch.tensor(v, dtype=torch.float64) for k, v in doc["given"].items()}
    bias = g["b"].clone().requires_grad_()
    w = g["w"].clone().requires_grad_()
    y = torch.sigmoid(w @ g["x"] + bias)
    E = torch.nn.functional.binary_cross_entropy(y, g["t"])
    E.backward()
    parts = {k: v["value"] for k, v in doc["parts"].items()}
    close(parts["dE/dw"], w.grad, "dE/dw")
    close(parts["dE/db"], bias.grad, "dE/db")


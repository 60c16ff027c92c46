"""The answer keys and the solvers against PyTorch autograd, in float64.

(a) ``python -m hwcheck solve p1|p4|p5|p6 --format json`` is run as a user runs it, and every
    step and part is recomputed with torch from nothing but the JSON's ``given`` values: the
    key must agree to 1e-9 (issue 3's "done when"). The same for per-student variants
    (``--student``) and for the other instances, of other sizes, that grading draws.
(b) Random layer stacks with random sizes (tests/support/strategies.py): every output
    and every gradient that ``gradient.solve`` reports against torch autograd on the same
    network and parameters, residual blocks and training-mode batchnorm included; and
    ``sgd_step.solve`` against ``torch.optim.SGD`` with momentum, weight decay and several
    steps.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.engine.network import layer
from hwcheck.engine.solvers import gradient, sgd_step
from hwcheck.kinds import solve_spec
from hwcheck.report.solve_json import document
from hwcheck.spec.catalog import resolve
from tests.support.helpers import PROBLEMS, ROOT
from tests.support.nets import Net, ends_in_softmax, random_problem
from tests.support.profiles import examples
from tests.support.strategies import any_nets, image_nets, sequence_nets, vector_nets

torch = pytest.importorskip("torch")
from tests.support.torch_run import (  # noqa: E402  (torch is there)
    T, close, compare_all, torch_case, torch_forward, torch_loss)
F = torch.nn.functional
pytestmark = pytest.mark.torch


# ---- (a) the printed keys ---------------------------------------------------------------------

def solve_json(problem: str, *extra: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "hwcheck", "solve", problem, "--format",
                           "json", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def parts(doc) -> dict:
    return {name: p["value"] for name, p in doc["parts"].items()}


def steps(doc) -> dict:
    """The worked steps; a network's intermediates keep their channel axis (p1's C is
    (1, 2n, 2m)), which is dropped here to compare with the 2-D torch values."""
    return {s["name"]: np.squeeze(np.asarray(s["value"], dtype=float), axis=0)
            if np.ndim(s["value"]) == 3 else s["value"] for s in doc["steps"]}


def check_p1(doc) -> None:
    """conv2d (no bias) → sigmoid → 2x2 average pool; backward from g = dL/dP."""
    g_ = doc["given"]
    X = T(g_["X"]).requires_grad_()
    K = T(g_["K"]).requires_grad_()
    g = T(g_["g"])
    C = F.conv2d(X[None, None], K[None, None])[0, 0]
    S = torch.sigmoid(C)
    P = F.avg_pool2d(S[None, None], 2)[0, 0]
    dS, dC, dK = torch.autograd.grad(P, [S, C, K], grad_outputs=g)
    n, m, k = (doc["sizes"][s] for s in "nmk")
    assert tuple(X.shape) == (2 * n + k - 1, 2 * m + k - 1) and tuple(g.shape) == (n, m)
    st_ = steps(doc)
    close(st_["C"], C, "p1 C")
    close(st_["S"], S, "p1 S")
    close(st_["P"], P, "p1 P")
    key = parts(doc)
    close(key["dL/dS"], dS, "p1 dL/dS")
    close(key["dL/dC"], dC, "p1 dL/dC")
    close(key["dL/dK"], dK, "p1 dL/dK")


def check_p4(doc) -> None:
    """q = softmax(z), E = −Σ p ln q; dE/dz."""
    z = T(doc["given"]["z"]).requires_grad_()
    p = T(doc["given"]["p"])
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-12) and bool((p >= 0).all())
    q = torch.softmax(z, 0)
    E = -(p * torch.log(q)).sum()
    (dz,) = torch.autograd.grad(E, [z])
    assert len(z) == doc["sizes"]["N"]
    close(steps(doc)["q"], q, "p4 q")
    close(steps(doc)["E"], E, "p4 E")
    close(parts(doc)["dE/dz"], dz, "p4 dE/dz")


def check_p5(doc) -> None:
    """c = W x + B, z = relu(c), q = softmax(z), E = −Σ p ln q; one SGD step with lr."""
    g_ = doc["given"]
    W, B = T(g_["W"]).requires_grad_(), T(g_["B"]).requires_grad_()
    x, p, lr = T(g_["x"]), T(g_["p"]), float(g_["lr"])
    c = W @ x + B
    z = torch.relu(c)
    q = torch.softmax(z, 0)
    E = -(p * torch.log(q)).sum()
    dz, dc, dW, dB = torch.autograd.grad(E, [z, c, W, B], retain_graph=True)
    st_ = steps(doc)
    for name, want in [("c", c), ("z", z), ("q", q), ("dE/dz", dz), ("dE/dc", dc),
                       ("dE/dW", dW), ("dE/dB", dB)]:
        close(st_[name], want, f"p5 {name}")
    opt = torch.optim.SGD([W, B], lr=lr)
    opt.zero_grad()
    E.backward()
    opt.step()
    close(parts(doc)["W"], W, "p5 W")
    close(parts(doc)["B"], B, "p5 B")


def check_p6(doc) -> None:
    """h_t = σ(Wi x_t + Wh h_{t−1}); the key is ∂h_T/∂h_{T−1} under the 'vanishing' Wh."""
    g_ = doc["given"]
    x, h0, Wi = T(g_["x"]), T(g_["h0"]), T(g_["Wi"])
    Wh = T(g_["Wh"]["vanishing"])
    hs = [h0]
    for t in range(len(x)):
        hs.append(torch.sigmoid(Wi @ x[t] + Wh @ hs[-1]))
    jac = torch.autograd.functional.jacobian(
        lambda h: torch.sigmoid(Wi @ x[-1] + Wh @ h), hs[-2])
    close(parts(doc)["jacobian"], jac, "p6 jacobian")
    for name, wh in g_["Wh"].items():
        wh = T(wh)
        hs = [h0]
        for t in range(len(x)):
            hs.append(torch.sigmoid(Wi @ x[t] + wh @ hs[-1]))
        for lag in range(1, len(x) + 1):
            start = len(x) - lag

            def run(h, start=start):
                for t in range(start, len(x)):
                    h = torch.sigmoid(Wi @ x[t] + wh @ h)
                return h
            prod = torch.autograd.functional.jacobian(run, hs[start])
            want = torch.linalg.matrix_norm(prod, ord=2)
            got = doc["norms"][name][lag - 1]
            assert got == pytest.approx(float(want), rel=1e-9, abs=1e-300), (name, lag)


CHECKS = {"p1": check_p1, "p4": check_p4, "p5": check_p5, "p6": check_p6}


@pytest.mark.parametrize("problem", sorted(CHECKS))
def test_printed_key_agrees_with_torch(problem):
    doc = solve_json(problem)
    assert doc["problem"] == problem
    CHECKS[problem](doc)


def test_p5_printed_key_is_the_seed_value():
    doc = solve_json("p5")
    np.testing.assert_allclose(parts(doc)["W"], [[0.99138, -0.00862], [0, -1]], atol=5e-6)
    np.testing.assert_allclose(parts(doc)["B"], [-0.00862, 0], atol=5e-6)


@pytest.mark.parametrize("problem", ["p4"])
def test_per_student_key_agrees_with_torch(problem):
    mine = solve_json(problem, "--student", "someone")
    assert mine["student"] == "someone" and isinstance(mine["seed"], int)
    CHECKS[problem](mine)
    assert mine["given"] != solve_json(problem)["given"]


@pytest.mark.parametrize("problem", ["p1", "p4"])
@pytest.mark.parametrize("number", range(1, 7))
def test_other_instances_agree_with_torch(problem, number):
    """The instances that grading draws: other sizes (p1's n, m, k; p4's N), other values."""
    doc = json.loads(json.dumps(document(solve_spec(resolve(problem, PROBLEMS),
                                                    number=number, student="ada"))))
    CHECKS[problem](doc)


# ---- (b) random stacks against autograd ---------------------------------------------------------


@settings(max_examples=examples(80))
@given(net=any_nets(), loss=st.sampled_from(["cross_entropy", "mse"]), seed=st.integers(0, 2**16))
def test_gradient_with_a_loss_agrees_with_autograd(net, loss, seed):
    case = random_problem(net, seed, loss)
    params, x, target = case.params, case.x, case.target
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    tp, tx, outs, out = torch_case(net, params, x)
    E = torch_loss(loss, out, T(target)[None], ends_in_softmax(net.layers))
    E.backward()
    close(values["loss"], E, "loss")
    compare_all(values, net, tp, tx, outs)


@settings(max_examples=examples(80))
@given(net=any_nets(), data=st.data(), seed=st.integers(0, 2**16))
def test_gradient_from_an_upstream_gradient_agrees_with_autograd(net, data, seed):
    case = random_problem(net, seed)
    params, x, rng = case.params, case.x, case.rng
    rows = net.summary.layers
    at = data.draw(st.sampled_from([r.name for r in rows]), label="upstream_at")
    up = rng.standard_normal(next(r.output_shape for r in rows if r.name == at))
    values = gradient.solve(net.layers, params, x, upstream=up, upstream_at=at)
    tp, tx, outs, _ = torch_case(net, params, x)
    outs[at].backward(T(up)[None])
    compare_all(values, net, tp, tx, outs, missing_ok=True)


OPTION_CASES = [
    ("avgpool2d", dict(kernel=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avgpool2d", dict(kernel=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)),
    ("avgpool2d", dict(kernel=[2, 3], stride=[1, 2], padding=[1, 0], count_include_pad=False)),
    ("maxpool2d", dict(kernel=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("maxpool2d", dict(kernel=[3, 2], stride=1, padding=[1, 1], dilation=[1, 2])),
    ("conv2d", dict(out=4, kernel=[3, 2], stride=[2, 1], padding=[2, 1], dilation=[1, 2],
                    groups=2)),
    ("conv2d", dict(out=2, kernel=1, stride=3, bias=False)),
    ("batchnorm2d", dict(eps=0.1)),
    ("batchnorm2d", dict(affine=False)),
    ("adaptiveavgpool2d", dict(output_size=[4, 7])),
    ("softmax", dict(dim=0)),
    ("softmax", dict(dim=1)),
    ("softmax", dict(dim=-1)),
]


@pytest.mark.parametrize("kind,options", OPTION_CASES,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(OPTION_CASES)])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_each_layer_option_agrees_with_autograd(kind, options, loss):
    """Every option of every layer, each once on purpose (the random stacks draw them by
    chance): conv → [the layer] → flatten → linear, on a 2×7×6 input."""
    net = Net((2, 7, 6), (layer("conv2d", "c0", out=2, kernel=2, padding=1),
                          layer(kind, "it", **options), layer("tanh", "t"),
                          layer("flatten", "f"), layer("linear", "fc", out=3)))
    case = random_problem(net, len(options), loss)
    params, x, target = case.params, case.x, case.target
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    tp, tx, outs, out = torch_case(net, params, x)
    E = torch_loss(loss, out, T(target)[None], False)
    E.backward()
    close(values["loss"], E, "loss")
    compare_all(values, net, tp, tx, outs)


def test_cross_entropy_on_a_spatial_output_sums_over_positions():
    """On a (C, H, W) output, cross_entropy is −Σ p ln q over every position (the homework's
    E = −Σ p ln q), which is torch's cross_entropy with reduction='sum', not its default mean
    over the H·W positions. For a single vector, as in every seed problem, the two agree."""
    net = Net((2, 3, 4), (layer("conv2d", "c", out=3, kernel=1),))
    case = random_problem(net, 0, "cross_entropy")
    params, x, target = case.params, case.x, case.target
    values = gradient.solve(net.layers, params, x, loss="cross_entropy", target=target)
    _, _, _, out = torch_case(net, params, x)
    total = F.cross_entropy(out, T(target)[None], reduction="sum")
    close(values["loss"], total, "loss")
    mean = F.cross_entropy(out, T(target)[None])
    assert values["loss"] == pytest.approx(12 * float(mean.detach()), rel=1e-12)


@settings(max_examples=examples(40))
@given(net=st.one_of(vector_nets(), image_nets(max_side=6), sequence_nets()),
       loss=st.sampled_from(["cross_entropy", "mse"]), lr=st.sampled_from([0.01, 0.1, 0.5]),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
       steps=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_sgd_agrees_with_torch_optim_sgd(net, loss, lr, momentum, weight_decay, steps, seed):
    case = random_problem(net, seed, loss)
    params, x, target = case.params, case.x, case.target
    got = sgd_step.solve(net.layers, params, x, target, loss=loss, lr=lr, momentum=momentum,
                         weight_decay=weight_decay, steps=steps)
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    if not tp:
        return
    opt = torch.optim.SGD(list(tp.values()), lr=lr, momentum=momentum,
                          weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad()
        out = torch_forward(net.layers, tp, T(x)[None], {})
        torch_loss(loss, out, T(target)[None], ends_in_softmax(net.layers)).backward()
        opt.step()
    for name, p in tp.items():
        close(got[f"new.{name}"], p, f"sgd new.{name.rpartition('.')[2]}")

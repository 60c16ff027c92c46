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

from hwcheck.engine import graph
from hwcheck.engine.network import layer
from hwcheck.engine.solvers import gradient, sgd_step
from hwcheck.kinds import solve_spec
from hwcheck.report.solve_json import document
from hwcheck.spec.catalog import resolve
from tests.support.helpers import PROBLEMS, ROOT
from tests.support.nets import Net, all_layers, ends_in_softmax, random_problem
from tests.support.profiles import examples
from tests.support.strategies import (any_nets, image_nets, recurrent_nets, sequence_nets,
                                      vector_nets)

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
    ("conv2d", dict(out=2, kernel=3, padding=2, padding_mode="reflect")),
    ("conv2d", dict(out=4, kernel=[2, 3], padding=[1, 3], groups=2, padding_mode="circular")),
    ("conv2d", dict(out=2, kernel=2, stride=2, padding=[3, 1], padding_mode="replicate")),
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


def test_cross_entropy_on_a_spatial_output_means_over_positions():
    """On a (C, H, W) output, cross_entropy is torch's: its default 'mean' over the H·W
    positions, and −Σ p ln q over every position with reduction: sum. For a single vector,
    as in every seed problem, the two agree."""
    net = Net((2, 3, 4), (layer("conv2d", "c", out=3, kernel=1),))
    case = random_problem(net, 0, "cross_entropy")
    params, x, target = case.params, case.x, case.target
    values = gradient.solve(net.layers, params, x, loss="cross_entropy", target=target)
    summed = gradient.solve(net.layers, params, x, loss="cross_entropy", target=target,
                            loss_options={"reduction": "sum"})
    _, _, _, out = torch_case(net, params, x)
    close(values["loss"], F.cross_entropy(out, T(target)[None]), "loss")
    close(summed["loss"], F.cross_entropy(out, T(target)[None], reduction="sum"), "loss")
    assert summed["loss"] == pytest.approx(12 * values["loss"], rel=1e-12)


@settings(max_examples=examples(40))
@given(net=st.one_of(vector_nets(), image_nets(max_side=6), sequence_nets()),
       loss=st.sampled_from(["cross_entropy", "mse"]), lr=st.sampled_from([0.01, 0.1, 0.5]),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
       steps=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_sgd_agrees_with_torch_optim_sgd(net, loss, lr, momentum, weight_decay, steps, seed):
    case = random_problem(net, seed, loss)
    _sgd_agrees(net, case, loss, steps, lr=lr, momentum=momentum, weight_decay=weight_decay)


def _sgd_agrees(net, case, loss, steps, **options) -> None:
    """``steps`` of sgd_step against torch.optim.SGD, which learns every parameter but the
    initial states (h0, c0), as torch's does."""
    params, x, target = case.params, case.x, case.target
    got = sgd_step.solve(net.layers, params, x, target, loss=loss, steps=steps, **options)
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    learned = [k for k in tp if k not in graph.states(net.layers, params)]
    if not learned:
        return
    opt = torch.optim.SGD([tp[k] for k in learned], **options)
    for _ in range(steps):
        opt.zero_grad()
        out = torch_forward(net.layers, tp, T(x)[None], {})
        torch_loss(loss, out, T(target)[None], ends_in_softmax(net.layers)).backward()
        opt.step()
    for name in learned:
        close(got[f"new.{name}"], tp[name], f"sgd new.{name.rpartition('.')[2]}")


@settings(max_examples=examples(30))
@given(net=recurrent_nets(), loss=st.sampled_from(["cross_entropy", "mse"]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_recurrent_stacks_agree_with_autograd_and_torch_optim(net, loss, momentum, seed):
    """rnn / lstm / gru inside stacks: every output and gradient, then two SGD steps that
    learn the weights and leave h0 and c0 alone, as torch.optim does."""
    case = random_problem(net, seed, loss)
    params, x, target = case.params, case.x, case.target
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    tp, tx, outs, out = torch_case(net, params, x)
    torch_loss(loss, out, T(target)[None], ends_in_softmax(net.layers)).backward()
    compare_all(values, net, tp, tx, outs)
    _sgd_agrees(net, case, loss, 2, lr=0.1, momentum=momentum)


# ---- batched problems: N samples kept in every quantity, the loss reduced over them -------------

@settings(max_examples=examples(60))
@given(net=any_nets(), loss=st.sampled_from(["cross_entropy", "mse"]), n=st.integers(2, 4),
       seed=st.integers(0, 2**16), reduction=st.sampled_from(["mean", "sum"]))
def test_a_batched_problem_agrees_with_autograd(net, loss, n, seed, reduction):
    """Every output and gradient of a batch of N against torch on the same (N, ...) input;
    batchnorm takes its statistics over the N samples (train mode), as torch."""
    rng = np.random.default_rng(seed)
    params = random_problem(net, seed).params
    x = rng.standard_normal((n, *net.input_shape))
    out_shape = net.summary.output_shape
    if loss == "cross_entropy":
        target = np.moveaxis(rng.dirichlet(np.ones(out_shape[0]), (n, *out_shape[1:])), -1, 1)
    else:
        target = rng.standard_normal((n, *out_shape))
    softmax_last = ends_in_softmax(net.layers)
    if loss == "cross_entropy" and out_shape[0] == 1 and not softmax_last:
        return          # refused at load: cross-entropy over one class is identically zero
    values = gradient.solve(net.layers, params, x, loss=loss, target=target, batched=True,
                            loss_options={"reduction": reduction})
    tp = {k: T(v).requires_grad_() for k, v in params.items()}
    tx = T(x).requires_grad_()
    outs: dict = {}
    out = torch_forward(net.layers, tp, tx, outs)
    if loss == "mse":
        E = F.mse_loss(out, T(target), reduction=reduction)
    elif softmax_last:
        E = -(T(target) * torch.log(out)).sum() / (n * out[0].numel() // out.shape[1]
                                                   if reduction == "mean" else 1)
    else:
        E = F.cross_entropy(out, T(target), reduction=reduction)
    E.backward()
    close(values["loss"], E, "batched loss")
    for lay in all_layers(net.layers):
        close(values[lay.name], outs[lay.name], f"batched output {lay.kind}")
        close(values[f"grad.{lay.name}"], outs[lay.name].grad, f"batched grad {lay.kind}")
    close(values["grad.input"], tx.grad, "batched grad input")
    for name, p in tp.items():
        close(values[f"grad.{name}"], p.grad, f"batched grad {name}")


def test_class_index_targets_in_a_batch_agree_with_torch():
    """A batch of 3 with class-index targets (shape (3,)) and label smoothing."""
    net = Net((4,), (layer("linear", "fc", out=3),))
    case = random_problem(net, 5)
    x = case.rng.standard_normal((3, 4))
    y = np.array([2.0, 0.0, 1.0])
    values = gradient.solve(net.layers, case.params, x, loss="cross_entropy", target=y,
                            batched=True, loss_options={"label_smoothing": 0.1})
    tp = {k: T(v).requires_grad_() for k, v in case.params.items()}
    E = F.cross_entropy(F.linear(T(x), tp["fc.weight"], tp["fc.bias"]),
                        torch.tensor([2, 0, 1]), label_smoothing=0.1)
    E.backward()
    close(values["loss"], E, "index loss")
    close(values["grad.fc.weight"], tp["fc.weight"].grad, "index grad weight")


def test_batchnorm1d_over_a_batch_of_vectors_uses_the_batch_statistics():
    """linear → batchnorm1d → relu → linear on a batch of 4 vectors: batchnorm's mean and
    variance are over the 4 samples (train mode), as torch."""
    net = Net((3,), (layer("linear", "a", out=5), layer("batchnorm1d", "bn"),
                     layer("relu", "r"), layer("linear", "b", out=2)))
    case = random_problem(net, 11)
    x = case.rng.standard_normal((4, 3))
    t = case.rng.standard_normal((4, 2))
    values = gradient.solve(net.layers, case.params, x, loss="mse", target=t, batched=True)
    tp = {k: T(v).requires_grad_() for k, v in case.params.items()}
    outs: dict = {}
    tx = T(x).requires_grad_()
    E = F.mse_loss(torch_forward(net.layers, tp, tx, outs), T(t))
    E.backward()
    close(values["loss"], E, "bn batch loss")
    close(values["bn"], outs["bn"], "bn batch output")
    for name, p in tp.items():
        close(values[f"grad.{name}"], p.grad, f"bn batch grad {name}")
    close(values["grad.input"], tx.grad, "bn batch grad input")

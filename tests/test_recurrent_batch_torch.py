"""Batched recurrent networks (a spec's ``batch: N``) against torch, built by
tests/support/torch_run.py as the example problems are: every output, every gradient
(h0 and c0 included, one state shared by the N sequences), the final states ``NAME.h_n``
and ``NAME.c_n``, and SGD steps through torch.optim with the states left alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.engine.network import layer
from hwcheck.engine.solvers import gradient, sgd_step
from tests.support.nets import Net, ends_in_softmax, random_params

torch = pytest.importorskip("torch")
from tests.support.torch_run import (  # noqa: E402  (torch is there)
    T, close, compare_all, quantities, torch_case, torch_loss, torch_steps)
pytestmark = pytest.mark.torch

NETS = {
    "bilstm-2-layers": Net((4, 3), (
        layer("lstm", "lstm", hidden_size=3, num_layers=2, bidirectional=True),
        layer("linear", "fc", out=2))),
    "lstm-proj-then-gru": Net((3, 2), (
        layer("lstm", "lstm", hidden_size=3, proj_size=2),
        layer("tanh", "t"),
        layer("gru", "gru", hidden_size=2, num_layers=2, bidirectional=True))),
    "rnn-relu-softmax": Net((5, 2), (
        layer("rnn", "rnn", hidden_size=3, nonlinearity="relu", num_layers=2),
        layer("softmax", "p"))),
}


def _case(net: Net, n: int, seed: int):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    for key in params:                  # non-zero states, so that sharing them shows
        if key.endswith((".h0", ".c0")):
            params[key] = rng.standard_normal(params[key].shape)
    x = rng.standard_normal((n, *net.input_shape))
    out = net.summary.output_shape
    if ends_in_softmax(net.layers):
        target = np.moveaxis(rng.dirichlet(np.ones(out[0]), (n, *out[1:])), -1, 1)
        return params, x, target, "cross_entropy"
    return params, x, rng.standard_normal((n, *out)), "mse"


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("n", [2, 3])
def test_a_batched_recurrent_gradient_agrees_with_torch(name, n):
    net = NETS[name]
    params, x, target, loss = _case(net, n, seed=n)
    values = gradient.solve(net.layers, params, x, loss=loss, target=target, batched=True)
    tp, tx, outs, out = torch_case(net, params, x, batched=True)
    E = torch_loss(loss, out, T(target), ends_in_softmax(net.layers))
    E.backward()
    close(values["loss"], E, "batched recurrent loss")
    compare_all(values, net, tp, tx, outs, batched=True)
    theirs = quantities(tp, tx, outs, batched=True)
    finals = [k for k in theirs if k.endswith((".h_n", ".c_n"))]
    assert finals, "torch gave no final states"
    for key in finals:
        assert values[key].shape[0] == n, key
        close(values[key], theirs[key], f"batched {key}")
    for key in params:                  # the shared states: gradients summed over the batch
        if key.endswith((".h0", ".c0")):
            assert values[f"grad.{key}"].shape == params[key].shape, key


@pytest.mark.parametrize("name", NETS)
def test_batched_recurrent_sgd_steps_agree_with_torch_optim(name):
    net = NETS[name]
    params, x, target, loss = _case(net, 3, seed=7)
    got = sgd_step.solve(net.layers, params, x, target, loss=loss, optimizer="sgd", steps=2,
                         batched=True, lr=0.1, momentum=0.9)
    theirs = torch_steps(net, params, x, target, loss=loss, optimizer="sgd", steps=2,
                         options={"lr": 0.1, "momentum": 0.9},
                         softmax_last=ends_in_softmax(net.layers), batched=True)
    shared = sorted(set(got) & set(theirs) - {"lr"})
    learned = [k for k in params if not k.endswith((".h0", ".c0"))]
    assert {f"step2.new.{k}" for k in learned} <= set(shared)
    assert not any(f"new.{k}" in theirs for k in params if k not in learned)
    for q in shared:
        close(got[q], theirs[q], f"batched sgd {q}")

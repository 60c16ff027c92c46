"""The solvers against central finite differences in float64 (the ops have their own checks).

- ``gradient.solve`` on random layer stacks built with ``network.layer(...)``: conv2d with
  stride, padding, dilation and groups, max and average pools, activations, softmax, linear,
  flatten, batchnorm (training-mode statistics) and residual blocks with and without a
  shortcut; with a loss (cross_entropy against a probability target, mse) or an upstream
  gradient at a named layer. Every ``grad.Q`` it reports (the input, every layer's output,
  every parameter) is compared with the slope of the scalar objective: the loss, or
  <upstream, output of that layer>.
- ``sgd_step.solve``: one and N steps with momentum and weight decay, against a hand-rolled
  loop of PyTorch's SGD rule on finite-difference gradients.
- ``rnn_jacobian``: each ∂hⱼ/∂hⱼ₋₁ against differences of one RNN step, each product norm
  against an explicit product, and the product against differences of l steps.

The finite differences run an independent evaluator (``evaluate`` in tests/support/gradcheck.py)
that calls the layers one at a time and adds a perturbation at any named output, so an
intermediate's gradient is the slope of the objective along that output. The losses are
written out there in numpy.

The random networks (tests/support/strategies.py) and their values (tests/support/nets.py)
are shared with ``test_solvers_torch.py``.
"""

from __future__ import annotations

import dataclasses
from functools import reduce

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.engine.network import layer
from hwcheck.engine.solvers import gradient, rnn_jacobian, sgd_step
from hwcheck.errors import SpecError
from tests.support.gradcheck import (EPS, check_all_grads, check_missing_grads_are_zero,
                                     evaluate, loss_value, objective)
from tests.support.nets import Net, ends_in_softmax, random_params, random_problem
from tests.support.profiles import examples
from tests.support.strategies import any_nets, recurrent_nets, small_nets

SETTINGS = settings(max_examples=examples(40))


WORST: dict = {}   # largest |solver − fd| / max(1, |grad|) per kind of test, for the report


def _record(test, worst):
    WORST[test] = max(WORST.get(test, 0.0), worst)


# ---- gradient.solve ---------------------------------------------------------------------------

@SETTINGS
@given(net=any_nets(), loss=st.sampled_from(["cross_entropy", "mse"]), seed=st.integers(0, 2**16))
def test_gradient_with_a_loss_matches_finite_differences(net, loss, seed):
    case = random_problem(net, seed, loss)
    params, x, target, rng = case.params, case.x, case.target, case.rng
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    want = loss_value(loss, evaluate(net.layers, params, x)[0], target,
                      ends_in_softmax(net.layers))
    assert values["loss"] == pytest.approx(want, rel=1e-12, abs=1e-12)
    _record("loss", check_all_grads(net, params, x, values, rng, loss=loss, target=target))


@SETTINGS
@given(net=any_nets(), data=st.data(), seed=st.integers(0, 2**16))
def test_gradient_from_an_upstream_gradient_matches_finite_differences(net, data, seed):
    case = random_problem(net, seed)
    params, x, rng = case.params, case.x, case.rng
    rows = [r for r in net.summary.layers]
    at = data.draw(st.sampled_from([r.name for r in rows]), label="upstream_at")
    shape = next(r.output_shape for r in rows if r.name == at)
    up = rng.standard_normal(shape)
    values = gradient.solve(net.layers, params, x, upstream=up, upstream_at=at)
    assert np.array_equal(values["grad." + at], up)
    _record("upstream", check_all_grads(net, params, x, values, rng, upstream=up, at=at))
    check_missing_grads_are_zero(net, params, x, values, at, rng)


def test_gradient_reports_every_named_quantity():
    """A hand-built stack with every kind of layer: each output and parameter has a value and
    a gradient of its own shape."""
    net = Net((2, 6, 5), (
        layer("conv2d", "c1", out=4, kernel=[3, 2], stride=[1, 2], padding=1, dilation=[2, 1],
              groups=2),
        layer("batchnorm2d", "bn1"),
        layer("relu", "r1"),
        dataclasses.replace(layer("residual", "res1"), body=(
            layer("conv2d", "c2", out=4, kernel=3, padding=1), layer("tanh", "t1"))),
        dataclasses.replace(layer("residual", "res2"), body=(
            layer("conv2d", "c3", out=3, kernel=3, padding=1, stride=2, bias=False),),
            shortcut=(layer("conv2d", "proj", out=3, kernel=1, stride=2),)),
        layer("maxpool2d", "mp", kernel=2, stride=1, padding=1, ceil_mode=True),
        layer("avgpool2d", "ap", kernel=2, count_include_pad=False, padding=1),
        layer("sigmoid", "s1"),
        layer("flatten", "fl"),
        layer("linear", "fc", out=3),
        layer("softmax", "q"),
    ))
    case = random_problem(net, 5, "cross_entropy")
    params, x, target, rng = case.params, case.x, case.target, case.rng
    values = gradient.solve(net.layers, params, x, loss="cross_entropy", target=target)
    for row in net.summary.layers:
        assert np.shape(values[row.name]) == row.output_shape, row.name
        assert np.shape(values["grad." + row.name]) == row.output_shape, row.name
        for pname, shape in row.param_shapes.items():
            assert np.shape(values[f"grad.{row.name}.{pname}"]) == shape
    assert np.shape(values["grad.input"]) == net.input_shape
    _record("loss", check_all_grads(net, params, x, values, rng, loss="cross_entropy",
                                    target=target))


def test_p4_shape_softmax_cross_entropy_is_q_minus_p():
    rng = np.random.default_rng(4)
    for n in range(2, 8):
        z, p = rng.standard_normal(n), rng.dirichlet(np.ones(n))
        values = gradient.solve((layer("softmax", "q"),), {}, z, loss="cross_entropy", target=p)
        q = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(values["q"], q, rtol=1e-13)
        np.testing.assert_allclose(values["grad.input"], q - p, atol=1e-15)
        assert values["loss"] == pytest.approx(-np.sum(p * np.log(q)), rel=1e-13)


def test_p1_shape_block_matches_the_closed_form():
    """conv (no bias) → sigmoid → 2x2 average pool, backward from g at P: the closed forms of
    the seed homework, evaluated with explicit loops (the reference formulas of p1.yaml)."""
    rng = np.random.default_rng(1)
    for n, m, k in [(2, 3, 3), (1, 1, 1), (3, 2, 2), (2, 4, 4)]:
        X = rng.standard_normal((1, 2 * n + k - 1, 2 * m + k - 1))
        K = rng.standard_normal((1, 1, k, k))
        g = rng.standard_normal((1, n, m))
        layers = (layer("conv2d", "C", out=1, kernel=k, bias=False), layer("sigmoid", "S"),
                  layer("avgpool2d", "P", kernel=2))
        v = gradient.solve(layers, {"C.weight": K}, X, upstream=g, upstream_at="P")
        s = v["S"][0]
        dS = np.array([[g[0, d // 2, e // 2] / 4 for e in range(2 * m)] for d in range(2 * n)])
        dC = dS * s * (1 - s)
        dK = np.array([[sum(X[0, i + u, j + v_] * dC[i, j] for i in range(2 * n)
                            for j in range(2 * m)) for v_ in range(k)] for u in range(k)])
        np.testing.assert_allclose(v["grad.S"][0], dS, atol=1e-15)
        np.testing.assert_allclose(v["grad.C"][0], dC, atol=1e-15)
        np.testing.assert_allclose(v["grad.C.weight"][0, 0], dK, rtol=1e-12, atol=1e-14)


# ---- sgd_step.solve ---------------------------------------------------------------------------

def fd_gradient(f, p: np.ndarray) -> np.ndarray:
    """Full central-difference gradient of the scalar f at p."""
    g = np.zeros_like(p)
    for k in range(p.size):
        d = np.zeros(p.size)
        d[k] = EPS
        d = d.reshape(p.shape)
        g.reshape(-1)[k] = (f(p + d) - f(p - d)) / (2 * EPS)
    return g


def sgd_by_hand(net, params, x, target, loss, lr, momentum, weight_decay, steps):
    """torch.optim.SGD (dampening 0, no nesterov) on finite-difference gradients."""
    theta = {k: v.copy() for k, v in params.items()}
    buf = {}
    for step in range(steps):
        grads = {}
        for name, p in theta.items():
            def f(q, name=name):
                moved = dict(theta)
                moved[name] = q
                return objective(net, moved, x, loss=loss, target=target)
            grads[name] = fd_gradient(f, p)
        for name, p in theta.items():
            g = grads[name] + weight_decay * p
            if momentum:
                buf[name] = g if step == 0 else momentum * buf[name] + g
                g = buf[name]
            theta[name] = p - lr * g
    return theta


@settings(max_examples=examples(20))
@given(net=small_nets(), loss=st.sampled_from(["cross_entropy", "mse"]),
       lr=st.sampled_from([0.02, 0.1, 0.5]), momentum=st.sampled_from([0.0, 0.9]),
       weight_decay=st.sampled_from([0.0, 1e-2]), steps=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_sgd_matches_a_hand_rolled_loop_on_finite_differences(net, loss, lr, momentum,
                                                             weight_decay, steps, seed):
    case = random_problem(net, seed, loss)
    params, x, target = case.params, case.x, case.target
    got = sgd_step.solve(net.layers, params, x, target, loss=loss, lr=lr, momentum=momentum,
                         weight_decay=weight_decay, steps=steps)
    want = sgd_by_hand(net, params, x, target, loss, lr, momentum, weight_decay, steps)
    worst = 0.0
    for name in params:
        np.testing.assert_allclose(got[f"new.{name}"], want[name], rtol=1e-7, atol=1e-8,
                                   err_msg=f"new.{name}")
        worst = max(worst, float(np.abs(got[f"new.{name}"] - want[name]).max(initial=0)))
    _record("sgd", worst)
    # the worked steps are those of the first step, at the given parameters
    first = gradient.solve(net.layers, params, x, loss=loss, target=target)
    for key, value in first.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert got["lr"] == lr


def test_sgd_one_step_is_theta_minus_lr_grad_and_leaves_the_input_alone():
    net = Net((3,), (layer("linear", "c", out=2), layer("relu", "z"), layer("softmax", "q")))
    rng = np.random.default_rng(7)
    params = random_params(net, rng)
    before = {k: v.copy() for k, v in params.items()}
    x, p = rng.standard_normal(3), rng.dirichlet(np.ones(2))
    got = sgd_step.solve(net.layers, params, x, p, loss="cross_entropy", lr=0.3)
    for name in params:
        np.testing.assert_array_equal(params[name], before[name])  # not updated in place
        np.testing.assert_allclose(got[f"new.{name}"],
                                   params[name] - 0.3 * got[f"grad.{name}"], rtol=1e-15)


def test_sgd_n_steps_equal_n_single_steps_without_momentum():
    net = Net((4,), (layer("linear", "a", out=3), layer("tanh", "t"), layer("linear", "b", out=2)))
    rng = np.random.default_rng(8)
    params = random_params(net, rng)
    x, t = rng.standard_normal(4), rng.standard_normal(2)
    many = sgd_step.solve(net.layers, params, x, t, loss="mse", lr=0.2, weight_decay=0.1,
                          steps=3)
    theta = params
    for _ in range(3):
        one = sgd_step.solve(net.layers, theta, x, t, loss="mse", lr=0.2, weight_decay=0.1)
        theta = {k: one[f"new.{k}"] for k in params}
    for k in params:
        np.testing.assert_allclose(many[f"new.{k}"], theta[k], rtol=1e-14, atol=1e-15)


def test_sgd_momentum_differs_from_plain_sgd_after_the_first_step():
    net = Net((2,), (layer("linear", "c", out=2),))
    params = {"c.weight": np.array([[1.0, 0.0], [0.0, -1.0]]), "c.bias": np.zeros(2)}
    x, p = np.ones(2), np.array([0.3, 0.7])
    kw = dict(loss="cross_entropy", lr=0.1)
    one_plain = sgd_step.solve(net.layers, params, x, p, **kw)
    one_mom = sgd_step.solve(net.layers, params, x, p, momentum=0.9, **kw)
    for k in params:   # the first step has no history: momentum changes nothing
        np.testing.assert_allclose(one_mom[f"new.{k}"], one_plain[f"new.{k}"], rtol=1e-15)
    two_plain = sgd_step.solve(net.layers, params, x, p, steps=2, **kw)
    two_mom = sgd_step.solve(net.layers, params, x, p, steps=2, momentum=0.9, **kw)
    assert not np.allclose(two_mom["new.c.weight"], two_plain["new.c.weight"])


# ---- rnn_jacobian -----------------------------------------------------------------------------

def rnn_step(x_t, h_prev, wi, wh):
    return 1.0 / (1.0 + np.exp(-(wi @ x_t + wh @ h_prev)))


@st.composite
def rnn_instances(draw):
    h, d, t = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    scales = draw(st.lists(st.sampled_from([0.3, 1.0, 4.0]), min_size=1, max_size=3))
    settings_ = {f"s{i}": s * rng.standard_normal((h, h)) for i, s in enumerate(scales)}
    return (rng.standard_normal((t, d)), rng.uniform(0, 1, h), rng.standard_normal((h, d)),
            settings_, draw(st.integers(1, t)))


@SETTINGS
@given(inst=rnn_instances(), data=st.data())
def test_rnn_jacobians_and_norms(inst, data):
    x, h0, wi, settings_, at_step = inst
    at = data.draw(st.sampled_from(sorted(settings_)), label="at_setting")
    out = rnn_jacobian.solve(x, h0, wi, settings_, at_setting=at, at_step=at_step)
    rng = np.random.default_rng(0)
    worst_j = worst_n = 0.0
    for name, wh in settings_.items():
        s = out["settings"][name]
        hs = [h0]
        for t in range(len(x)):
            hs.append(rnn_step(x[t], hs[-1], wi, wh))
        np.testing.assert_allclose(s["hs"], np.array(hs), rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(s["Wh"], wh)
        assert s["jacobians"].shape == (len(x), len(h0), len(h0))
        for j in range(1, len(x) + 1):
            jac = s["jacobians"][j - 1]
            # ∂h_j/∂h_{j−1}, column by column
            fd = np.stack([(rnn_step(x[j - 1], hs[j - 1] + EPS * e, wi, wh)
                            - rnn_step(x[j - 1], hs[j - 1] - EPS * e, wi, wh)) / (2 * EPS)
                           for e in np.eye(len(h0))], axis=1)
            np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-9, err_msg=f"J_{j}")
            worst_j = max(worst_j, float(np.abs(jac - fd).max()))
            np.testing.assert_allclose(jac, np.diag(hs[j] * (1 - hs[j])) @ wh, rtol=1e-14,
                                       atol=1e-16)
        t_len = len(x)
        for lag in range(1, t_len + 1):
            prod = reduce(np.matmul, [s["jacobians"][j - 1] for j in range(t_len, t_len - lag, -1)])
            want = np.linalg.svd(prod, compute_uv=False)[0]
            assert s["norms"][lag - 1] == pytest.approx(want, rel=1e-10, abs=1e-300)
            worst_n = max(worst_n, abs(s["norms"][lag - 1] - want) / max(want, 1e-300))
            # and the product is ∂h_T/∂h_{T−lag}: differences of `lag` steps of the cell
            def run_from(h, start=t_len - lag):
                for t in range(start, t_len):
                    h = rnn_step(x[t], h, wi, wh)
                return h
            if lag <= 4:
                fd = np.stack([(run_from(hs[t_len - lag] + EPS * e)
                                - run_from(hs[t_len - lag] - EPS * e)) / (2 * EPS)
                               for e in np.eye(len(h0))], axis=1)
                np.testing.assert_allclose(prod, fd, rtol=1e-5, atol=1e-9)
    _record("rnn_jacobian", worst_j)
    _record("rnn_norms_rel", worst_n)
    chosen = out["settings"][at]
    np.testing.assert_array_equal(out["Wh"], settings_[at])
    np.testing.assert_array_equal(out["h"], chosen["hs"][at_step])
    np.testing.assert_array_equal(out["jacobian"], chosen["jacobians"][at_step - 1])
    del rng


def test_product_norms_against_an_explicit_product():
    rng = np.random.default_rng(6)
    for h, t in [(1, 1), (1, 5), (3, 12), (5, 7)]:
        jac = rng.standard_normal((t, h, h))
        norms = rnn_jacobian.product_norms(jac)
        for lag in range(1, t + 1):
            prod = np.eye(h)
            for j in range(t - 1, t - 1 - lag, -1):   # J_T J_{T-1} ... J_{T-lag+1}
                prod = prod @ jac[j]
            assert norms[lag - 1] == pytest.approx(np.linalg.norm(prod, 2), rel=1e-12)


# ---- known bugs (code owned elsewhere) ---------------------------------------------------------

def _refused_or_right(build):
    """Either the solver refuses the case (ValueError / SpecError), or what it returns is
    right; ``build`` returns (values, check) and check(values) asserts the right answer."""
    try:
        values, check = build()
    except (ValueError, SpecError):
        return
    check(values)


def test_a_layer_named_input_does_not_shadow_the_input():
    rng = np.random.default_rng(0)
    net = Net((3,), (layer("linear", "input", out=3), layer("softmax", "q")))
    params, x, p = random_params(net, rng), rng.standard_normal(3), rng.dirichlet(np.ones(3))

    def build():
        values = gradient.solve(net.layers, params, x, loss="cross_entropy", target=p)

        def check(v):
            np.testing.assert_array_equal(v["input"], x)
            w = params["input.weight"]
            q = np.exp(w @ x + params["input.bias"])
            q /= q.sum()
            np.testing.assert_allclose(v["grad.input"], w.T @ (q - p), rtol=1e-12)
        return values, check
    _refused_or_right(build)


def test_two_layers_with_the_same_default_name_are_refused_or_right():
    rng = np.random.default_rng(0)
    layers = (layer("linear", out=3), layer("tanh"), layer("linear", "fc2", out=3),
              layer("tanh"))
    params = {"linear.weight": rng.standard_normal((3, 3)), "linear.bias": np.zeros(3),
              "fc2.weight": rng.standard_normal((3, 3)), "fc2.bias": np.zeros(3)}
    x, t = rng.standard_normal(3), rng.standard_normal(3)

    def f(x_):
        h = np.tanh(params["fc2.weight"] @ np.tanh(params["linear.weight"] @ x_))
        return np.mean((h - t) ** 2)

    def build():
        values = gradient.solve(layers, params, x, loss="mse", target=t)

        def check(v):
            fd = np.array([(f(x + EPS * e) - f(x - EPS * e)) / (2 * EPS) for e in np.eye(3)])
            np.testing.assert_allclose(v["grad.input"], fd, rtol=1e-6, atol=1e-9)
        return values, check
    _refused_or_right(build)


def test_sgd_with_zero_steps_is_refused_cleanly():
    net = Net((2,), (layer("linear", "c", out=2),))
    params = {"c.weight": np.eye(2), "c.bias": np.zeros(2)}
    with pytest.raises(ValueError):
        sgd_step.solve(net.layers, params, np.ones(2), np.array([0.3, 0.7]),
                       loss="cross_entropy", lr=0.1, steps=0)


@settings(max_examples=examples(30))
@given(net=recurrent_nets(), loss=st.sampled_from(["cross_entropy", "mse"]),
       seed=st.integers(0, 2**16))
def test_recurrent_stacks_match_finite_differences(net, loss, seed):
    """rnn / lstm / gru inside stacks: every quantity's gradient, h0 and c0 included."""
    case = random_problem(net, seed, loss)
    params, x, target, rng = case.params, case.x, case.target, case.rng
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    _record("recurrent", check_all_grads(net, params, x, values, rng, loss=loss,
                                         target=target))

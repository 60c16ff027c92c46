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

The finite differences run an independent evaluator (``evaluate``) that calls the layers one
at a time and adds a perturbation at any named output, so an intermediate's gradient is the
slope of the objective along that output. The losses are written out here in numpy.

The random networks are shared with ``test_solvers_torch.py``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import reduce

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck.engine import network
from hwcheck.engine.network import NetworkError
from hwcheck.errors import SpecError
from hwcheck.engine.layers import LAYERS
from hwcheck.engine.layers.base import same_shape
from hwcheck.engine.network import layer
from hwcheck.engine import graph
from hwcheck.engine.solvers import gradient, rnn_jacobian, sgd_step

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7          # |analytic - fd| <= ATOL + RTOL * max(|analytic|, scale)
MAX_COORDS = 24                   # finite differences on at most this many entries per array


# ---- random networks ------------------------------------------------------------------------

@dataclass(frozen=True)
class Net:
    input_shape: tuple
    layers: tuple

    @property
    def summary(self):
        return network.summarize(self.input_shape, self.layers)


#: Shape-keeping layers without parameters (the activations, dropout), read from the layer
#: table so that a new activation is drawn without being listed here.
ELEMENTWISE = sorted(k for k, d in LAYERS.items() if d.shape is same_shape and not d.params)


def _elementwise(draw, name: str):
    """One of ELEMENTWISE, with torch's default options or with its table example's."""
    kind = draw(st.sampled_from(ELEMENTWISE))
    return layer(kind, name, **draw(st.sampled_from([{}, dict(LAYERS[kind].example[1])])))


def _fits(shape, layers) -> bool:
    try:
        network.summarize(shape, layers)
    except NetworkError:
        return False
    return True


def _out_shape(shape, layers):
    return network.summarize(shape, layers).output_shape


class _Names:
    def __init__(self):
        self.n = 0

    def __call__(self, kind):
        self.n += 1
        return f"{kind}{self.n}"


def _pair(draw, low, high):
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return [draw(st.integers(low, high)), draw(st.integers(low, high))]


def _conv(draw, name, c):
    divisors = [g for g in range(1, c + 1) if c % g == 0]
    groups = draw(st.sampled_from(divisors))
    out = groups * draw(st.integers(1, max(1, 4 // groups)))
    return layer("conv2d", name, out=out, kernel=_pair(draw, 1, 3), stride=_pair(draw, 1, 2),
                 padding=_pair(draw, 0, 1), dilation=_pair(draw, 1, 2), groups=groups,
                 bias=draw(st.booleans()))


def _pool(draw, name):
    kernel = draw(st.integers(1, 3))
    opts = dict(kernel=kernel, stride=draw(st.sampled_from([None, 1, 2])),
                padding=draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans()))
    if draw(st.booleans()):
        return layer("maxpool2d", name, dilation=draw(st.integers(1, 2)), **opts)
    return layer("avgpool2d", name, count_include_pad=draw(st.booleans()), **opts)


def _residual(draw, names, shape):
    """body: conv (3x3, pad 1, stride s) [→ batchnorm] → act [→ conv 1x1];
    shortcut: identity when the shape is kept, else a 1x1 conv with the same stride."""
    c = shape[0]
    stride = draw(st.integers(1, 2))
    out = draw(st.integers(1, 3))
    body = [layer("conv2d", names("conv"), out=out, kernel=3, padding=1, stride=stride,
                  bias=draw(st.booleans()))]
    side = [(n - 1) // stride + 1 for n in shape[1:]]
    if side[0] * side[1] > 1 and draw(st.booleans()):    # batch statistics need 2+ values
        body.append(layer("batchnorm2d", names("bn"), affine=draw(st.booleans())))
    body.append(_elementwise(draw, names("act")))
    if draw(st.booleans()):
        body.append(layer("conv2d", names("conv"), out=out, kernel=1))
    shortcut = None
    if stride != 1 or out != c or draw(st.booleans()):
        shortcut = (layer("conv2d", names("proj"), out=out, kernel=1, stride=stride,
                          bias=draw(st.booleans())),)
    return dataclasses.replace(layer("residual", names("res")), body=tuple(body),
                               shortcut=shortcut)


@st.composite
def image_nets(draw, max_side=7):
    """(C, H, W) input → conv / pool / activation / batchnorm / residual / softmax blocks,
    then either a flatten → linear head or the image itself as the output."""
    names = _Names()
    shape = (draw(st.integers(1, 3)), draw(st.integers(3, max_side)),
             draw(st.integers(3, max_side)))
    layers: list = []
    for _ in range(draw(st.integers(1, 4))):
        cur = _out_shape(shape, layers)
        what = draw(st.sampled_from(["conv", "conv", "pool", "act", "bn", "res", "softmax"]))
        if what == "conv":
            new = _conv(draw, names("conv"), cur[0])
        elif what == "pool":
            new = _pool(draw, names("pool"))
        elif what == "act":
            new = _elementwise(draw, names("act"))
        elif what == "bn":
            if cur[1] * cur[2] < 2:
                continue
            new = layer("batchnorm2d", names("bn"), affine=draw(st.booleans()))
        elif what == "res":
            new = _residual(draw, names, cur)
        else:
            new = layer("softmax", names("softmax"), dim=draw(st.integers(-3, 2)))
        if _fits(shape, layers + [new]):
            layers.append(new)
    if draw(st.booleans()):
        layers.append(layer("flatten", names("flatten")))
        layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4)),
                            bias=draw(st.booleans())))
        if draw(st.booleans()):
            layers.append(_elementwise(draw, names("act")))
            layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4))))
    if draw(st.booleans()):
        layers.append(layer("softmax", names("softmax")))
    return Net(shape, tuple(layers))


@st.composite
def sequence_nets(draw):
    """(C, L) input: linear on the last axis, batchnorm1d over channels, activations, softmax
    along either axis, then flatten → linear, optionally softmax."""
    names = _Names()
    shape = (draw(st.integers(1, 3)), draw(st.integers(2, 5)))
    layers: list = []
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["linear", "bn", "act", "softmax", "dropout"]))
        if what == "linear":
            new = layer("linear", names("lin"), out=draw(st.integers(2, 4)),
                        bias=draw(st.booleans()))
        elif what == "bn":
            new = layer("batchnorm1d", names("bn"), affine=draw(st.booleans()))
        elif what == "act":
            new = _elementwise(draw, names("act"))
        elif what == "dropout":
            new = layer("dropout", names("drop"), p=0.5)
        else:
            new = layer("softmax", names("softmax"), dim=draw(st.integers(-2, 1)))
        layers.append(new)
    if draw(st.booleans()):
        layers += [layer("flatten", names("flatten")),
                   layer("linear", names("fc"), out=draw(st.integers(2, 4)))]
        if draw(st.booleans()):
            layers.append(layer("softmax", names("softmax")))
    return Net(shape, tuple(layers))


def vector_nets():
    """A (F,) input through linear layers and activations, ending in softmax or logits."""
    @st.composite
    def build(draw):
        names = _Names()
        layers = []
        for _ in range(draw(st.integers(1, 3))):
            layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4)),
                                bias=draw(st.booleans())))
            layers.append(_elementwise(draw, names("act")))
        layers.append(layer("linear", names("fc"), out=draw(st.integers(2, 4))))
        if draw(st.booleans()):
            layers.append(layer("softmax", names("softmax")))
        return Net((draw(st.integers(1, 4)),), tuple(layers))
    return build()


def any_nets():
    return st.one_of(image_nets(), sequence_nets(), vector_nets())


# ---- random values --------------------------------------------------------------------------

def random_params(net: Net, rng) -> dict:
    """Every parameter of ``net``: weights ~ N(0, 1/fan_in), batchnorm gamma near 1."""
    params = {}
    for row in net.summary.layers:
        for pname, shape in row.param_shapes.items():
            key = f"{row.name}.{pname}"
            if row.kind.startswith("batchnorm"):
                params[key] = (1.0 if pname == "weight" else 0.0) + 0.3 * rng.standard_normal(shape)
            else:
                fan_in = int(np.prod(row.param_shapes["weight"][1:]))
                params[key] = rng.standard_normal(shape) / np.sqrt(fan_in) \
                    + (0.1 * rng.standard_normal(shape) if pname == "bias" else 0.0)
    return params


def probability_target(shape, rng) -> np.ndarray:
    """Positive, summing to 1 along the class axis (axis 0 of an unbatched output)."""
    p = rng.dirichlet(np.ones(shape[0]), size=tuple(shape[1:]) or None)
    return np.moveaxis(p, -1, 0) if len(shape) > 1 else p


def all_layers(layers):
    return [lay for lay, _ in network.walk(layers)]


def ends_in_softmax(layers) -> bool:
    return bool(layers) and layers[-1].kind == "softmax"


# ---- an independent evaluator for finite differences -----------------------------------------

def evaluate(layers, params, x, perturb=None) -> tuple[np.ndarray, dict]:
    """Run ``layers`` one at a time (each through graph.forward on its own), adding
    ``perturb[name]`` to the output of the layer called ``name``. Returns the output and
    every named output (unbatched)."""
    perturb = perturb or {}
    outs = {"input": np.asarray(x, dtype=float) + perturb.get("input", 0.0)}

    def run(seq, h):
        for lay in seq:
            if lay.kind == "residual":
                body = run(lay.body, h)
                short = run(lay.shortcut, h) if lay.shortcut else h
                y = body + short
            else:
                y = graph.forward([lay], params, h).values[lay.name][0]
            if lay.name in perturb:
                y = y + perturb[lay.name]
            outs[lay.name] = y
            h = y
        return h

    return run(layers, outs["input"]), outs


def loss_value(kind, out, target, softmax_last) -> float:
    """The losses, written out: CE = −Σ p ln q (q = out after a final softmax, else the
    softmax of out over its class axis 0); mse = mean((out − target)²)."""
    if kind == "mse":
        return float(np.mean((out - target) ** 2))
    if softmax_last:
        return float(-np.sum(target * np.log(out)))
    z = out - out.max(axis=0, keepdims=True)
    logq = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    return float(-np.sum(target * logq))


def objective(net, params, x, perturb=None, *, loss=None, target=None, upstream=None,
              at=None) -> float:
    out, outs = evaluate(net.layers, params, x, perturb)
    if loss is not None:
        return loss_value(loss, out, target, ends_in_softmax(net.layers))
    return float(np.sum(upstream * outs[at]))


def fd_check(f, base: np.ndarray, analytic: np.ndarray, rng, what: str) -> float:
    """Compare ``analytic`` with central differences of ``f(delta)`` (delta shaped like
    ``base``) on up to MAX_COORDS entries and along one random direction. Returns the
    largest difference seen, relative to max(1, max |analytic|).

    An entry where the objective has a kink (a relu output that is exactly 0 and feeds
    another relu, tied zeros in a max-pool window) has no derivative to compare: there the
    one-sided slopes disagree by O(1) instead of O(EPS), and the entry is skipped.
    """
    analytic = np.asarray(analytic, dtype=float)
    assert analytic.shape == np.shape(base), f"{what}: shape {analytic.shape} != {np.shape(base)}"
    size = analytic.size
    coords = range(size) if size <= MAX_COORDS else rng.choice(size, MAX_COORDS, replace=False)
    scale = max(1.0, float(np.abs(analytic).max(initial=0.0)))
    f0 = f(np.zeros(analytic.shape))
    smooth = np.ones(size, dtype=bool)
    worst = 0.0
    for k in coords:
        d = np.zeros(size)
        d[k] = EPS
        d = d.reshape(analytic.shape)
        plus, minus = f(d), f(-d)
        if abs((plus - f0) - (f0 - minus)) / EPS > 1e-3 * scale:
            smooth[k] = False
            continue
        num = (plus - minus) / (2 * EPS)
        got = analytic.reshape(-1)[k]
        diff = abs(got - num)
        worst = max(worst, diff / scale)
        assert diff <= ATOL + RTOL * scale, \
            f"{what}[{np.unravel_index(k, analytic.shape)}]: solver {got!r}, fd {num!r}"
    if not smooth.all():
        return worst    # a random direction would cross the kink
    v = rng.standard_normal(analytic.shape)
    plus, minus = f(EPS * v), f(-EPS * v)
    if abs((plus - f0) - (f0 - minus)) / EPS > 1e-3 * scale * np.sqrt(size):
        return worst
    num = (plus - minus) / (2 * EPS)
    got = float(np.sum(analytic * v))
    diff = abs(got - num)
    assert diff <= ATOL + RTOL * scale * np.sqrt(size), \
        f"{what}: directional derivative {got!r}, fd {num!r}"
    return max(worst, diff / scale / np.sqrt(size))


def check_all_grads(net, params, x, values, rng, **objective_kw) -> float:
    """Every grad.Q in ``values`` (input, layer outputs, parameters) against differences of
    the objective; a parameter or layer without a reported gradient must have a zero one."""
    worst = 0.0
    for name in ["input"] + [lay.name for lay in all_layers(net.layers)]:
        key = f"grad.{name}"
        base = values[name]
        if key not in values:
            # only layers beyond the upstream point may lack a gradient
            assert objective_kw.get("at") is not None, f"no {key}"
            continue

        def f(d, name=name):
            return objective(net, params, x, {name: d}, **objective_kw)
        worst = max(worst, fd_check(f, base, values[key], rng, key))
    for pname, p in params.items():
        key = f"grad.{pname}"
        if key not in values:
            assert objective_kw.get("at") is not None, f"no {key}"
            continue

        def f(d, pname=pname):
            moved = dict(params)
            moved[pname] = params[pname] + d
            return objective(net, moved, x, **objective_kw)
        worst = max(worst, fd_check(f, p, values[key], rng, key))
    return worst


def _missing_grads_are_zero(net, params, x, values, at, rng):
    """A quantity after the upstream point has no reported gradient: its true one is 0."""
    for name in [lay.name for lay in all_layers(net.layers)] + list(params):
        if f"grad.{name}" in values:
            continue
        if name in params:
            def f(d, name=name):
                moved = dict(params)
                moved[name] = params[name] + d
                return objective(net, moved, x, upstream=values["upstream"], at=at)
            base = params[name]
        else:
            def f(d, name=name):
                return objective(net, params, x, {name: d}, upstream=values["upstream"], at=at)
            base = values[name]
        fd_check(f, base, np.zeros(np.shape(base)), rng, f"grad.{name} (unreported)")


WORST: dict = {}   # largest |solver − fd| / max(1, |grad|) per kind of test, for the report


def _record(test, worst):
    WORST[test] = max(WORST.get(test, 0.0), worst)


# ---- gradient.solve ---------------------------------------------------------------------------

@SETTINGS
@given(net=any_nets(), loss=st.sampled_from(["cross_entropy", "mse"]), seed=st.integers(0, 2**16))
def test_gradient_with_a_loss_matches_finite_differences(net, loss, seed):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    x = rng.standard_normal(net.input_shape)
    out_shape = net.summary.output_shape
    target = probability_target(out_shape, rng) if loss == "cross_entropy" \
        else rng.standard_normal(out_shape)
    values = gradient.solve(net.layers, params, x, loss=loss, target=target)
    want = loss_value(loss, evaluate(net.layers, params, x)[0], target,
                      ends_in_softmax(net.layers))
    assert values["loss"] == pytest.approx(want, rel=1e-12, abs=1e-12)
    _record("loss", check_all_grads(net, params, x, values, rng, loss=loss, target=target))


@SETTINGS
@given(net=any_nets(), data=st.data(), seed=st.integers(0, 2**16))
def test_gradient_from_an_upstream_gradient_matches_finite_differences(net, data, seed):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    x = rng.standard_normal(net.input_shape)
    rows = [r for r in net.summary.layers]
    at = data.draw(st.sampled_from([r.name for r in rows]), label="upstream_at")
    shape = next(r.output_shape for r in rows if r.name == at)
    up = rng.standard_normal(shape)
    values = gradient.solve(net.layers, params, x, upstream=up, upstream_at=at)
    assert np.array_equal(values["grad." + at], up)
    _record("upstream", check_all_grads(net, params, x, values, rng, upstream=up, at=at))
    _missing_grads_are_zero(net, params, x, values, at, rng)


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
    rng = np.random.default_rng(5)
    params = random_params(net, rng)
    x = rng.standard_normal(net.input_shape)
    target = probability_target((3,), rng)
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
    DESIGN §1, evaluated with explicit loops (the reference formulas of p1.yaml)."""
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


@st.composite
def small_nets(draw):
    """Sequential networks small enough for full finite differences at every step."""
    return draw(st.one_of(vector_nets(), image_nets(max_side=5), sequence_nets()))


@settings(SETTINGS, max_examples=20)
@given(net=small_nets(), loss=st.sampled_from(["cross_entropy", "mse"]),
       lr=st.sampled_from([0.02, 0.1, 0.5]), momentum=st.sampled_from([0.0, 0.9]),
       weight_decay=st.sampled_from([0.0, 1e-2]), steps=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_sgd_matches_a_hand_rolled_loop_on_finite_differences(net, loss, lr, momentum,
                                                             weight_decay, steps, seed):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    x = rng.standard_normal(net.input_shape)
    out_shape = net.summary.output_shape
    target = probability_target(out_shape, rng) if loss == "cross_entropy" \
        else rng.standard_normal(out_shape)
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

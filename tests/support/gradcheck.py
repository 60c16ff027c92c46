"""Central finite differences for checking backward passes (a test helper, not a test).

For one op: ``numeric_vjp`` returns dy . d f / d args[i] for every array argument, computed
as sum(dy * (f(a + eps e_k) - f(a - eps e_k))) / (2 eps), differencing elementwise before
the sum so that rounding error in a large output does not swamp the slope; ``assert_vjp``
compares an op's backward with it.

For a whole layer stack: ``check_all_grads`` compares every ``grad.Q`` that a solver reports
(the input, every layer's output, every parameter) with the slope of the scalar objective,
computed by ``evaluate``, an evaluator independent of the solver that runs the layers one at
a time and can add a perturbation at any named output.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine import graph
from tests.support.nets import all_layers, ends_in_softmax

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-7          # |analytic - fd| <= ATOL + RTOL * max(|analytic|, scale)
MAX_COORDS = 24                   # finite differences on at most this many entries per array
KINK_MARGIN = 4                   # a failed entry is looked at again over this many EPS


def numeric_vjp(fn, args, dy, wrt, eps=1e-6):
    """Gradient of <dy, fn(*args)> with respect to args[i] for i in ``wrt``, by central differences.

    fn returns an array (or a float); args is a list whose entries at ``wrt`` are float arrays.
    """
    args = [np.array(a, dtype=float) if i in wrt else a for i, a in enumerate(args)]
    dy = np.asarray(dy, dtype=float)
    grads = []
    for i in wrt:
        a = args[i]
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = np.array(fn(*args), dtype=float)  # a copy: fn may return a view of a
            flat[k] = orig - eps
            minus = np.array(fn(*args), dtype=float)
            flat[k] = orig
            gflat[k] = np.sum(dy * (plus - minus)) / (2 * eps)
        grads.append(g)
    return grads


def assert_vjp(forward, backward, args, kwargs=None, wrt=None, rng=None, dy=None,
               rtol=1e-6, atol=1e-8, eps=1e-6):
    """Check backward(dy, cache) against central differences of forward for a random dy.

    ``wrt`` lists positions in ``args`` that are differentiated (default: every ndarray) and
    are also the positions of the grads that backward returns, in order.
    """
    kwargs = kwargs or {}
    rng = rng if rng is not None else np.random.default_rng(0)
    if wrt is None:
        wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    y, cache = forward(*args, **kwargs)
    if dy is None:
        dy = rng.standard_normal(np.shape(y)) if np.ndim(y) else 1.0 + rng.random()
    analytic = backward(dy, cache)
    numeric = numeric_vjp(lambda *a: forward(*a, **kwargs)[0], list(args), dy, wrt, eps)
    for i, num in zip(wrt, numeric):
        got = analytic[i]
        assert got is not None, f"backward returned None for argument {i}"
        assert np.shape(got) == np.shape(num), f"arg {i}: grad shape {np.shape(got)} != {np.shape(num)}"
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"gradient of argument {i}")
    return analytic


# ---- layer stacks -----------------------------------------------------------------------------

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
    softmax of out over its class axis 0), averaged over the positions as torch's default
    reduction 'mean' (out.size / C of them); mse = mean((out − target)²)."""
    if kind == "mse":
        return float(np.mean((out - target) ** 2))
    positions = out.size // out.shape[0]
    if softmax_last:
        return float(-np.sum(target * np.log(out))) / positions
    z = out - out.max(axis=0, keepdims=True)
    logq = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    return float(-np.sum(target * logq)) / positions


def objective(net, params, x, perturb=None, *, loss=None, target=None, upstream=None,
              at=None) -> float:
    out, outs = evaluate(net.layers, params, x, perturb)
    if loss is not None:
        return loss_value(loss, out, target, ends_in_softmax(net.layers))
    return float(np.sum(upstream * outs[at]))


def _kink(f, f0: float, d: np.ndarray, threshold: float) -> bool:
    """Do the one-sided slopes of f along ``d`` (a step of EPS) disagree by more than
    ``threshold``? Where they do, f has no derivative to compare."""
    plus, minus = f(d), f(-d)
    return abs((plus - f0) - (f0 - minus)) / EPS > threshold


def fd_check(f, base: np.ndarray, analytic: np.ndarray, rng, what: str) -> float:
    """Compare ``analytic`` with central differences of ``f(delta)`` (delta shaped like
    ``base``) on up to MAX_COORDS entries and along one random direction. Returns the
    largest difference seen, relative to max(1, max |analytic|).

    An entry where the objective has a kink (a relu output that is exactly 0 and feeds
    another relu, tied zeros in a max-pool window) has no derivative to compare: there the
    one-sided slopes disagree by O(1) instead of O(EPS), and the entry is skipped.

    A kink just inside the step (at distance δ < EPS) is easy to miss that way: the slopes
    over ±EPS then disagree by only (1 − δ/EPS) of the jump, yet the central difference is
    still off by half of that. So an entry that fails is looked at once more over
    KINK_MARGIN·EPS, where such a kink shows at least 3/4 of its jump; it is skipped only if
    a kink shows there. A smooth entry whose gradient is wrong still fails.
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
        if diff > ATOL + RTOL * scale and _kink(f, f0, KINK_MARGIN * d, 1e-3 * scale):
            smooth[k] = False
            continue
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
    tol = ATOL + RTOL * scale * np.sqrt(size)
    if diff > tol and _kink(f, f0, KINK_MARGIN * EPS * v, 1e-3 * scale * np.sqrt(size)):
        return worst
    assert diff <= tol, f"{what}: directional derivative {got!r}, fd {num!r}"
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


def check_missing_grads_are_zero(net, params, x, values, at, rng):
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

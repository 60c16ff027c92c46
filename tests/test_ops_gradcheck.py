"""Every backward in hwcheck.engine.ops against central finite differences (float64), and every
forward of conv and pooling against naive loop references written from torch's C kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.engine import ops
from tests.support.gradcheck import assert_vjp
from tests.support.profiles import examples
from tests.support.strategies import conv_cases, pool_cases, seeds

FAST = settings(max_examples=examples(40))


# ---------------------------------------------------------------- naive references

def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, cout, ho, wo))
    og = cout // groups
    for a in range(n):
        for o in range(cout):
            g = o // og
            for r in range(ho):
                for s in range(wo):
                    acc = 0.0 if b is None else b[o]
                    for c in range(cin_g):
                        for i in range(kh):
                            for j in range(kw):
                                rr, cc = r * sh + i * dh - ph, s * sw + j * dw - pw
                                if 0 <= rr < h and 0 <= cc < wd:
                                    acc += w[o, c, i, j] * x[a, g * cin_g + c, rr, cc]
                    y[a, o, r, s] = acc
    return y


def naive_maxpool2d(x, k, s, p, d, ho, wo):
    """torch's cpu_max_pool loop: start at -inf, first valid cell, update on > or NaN.

    A window with no input cell (possible with dilation) gets index -1; torch leaves a
    meaningless index there and sends its gradient nowhere."""
    n, c, h, wd = x.shape
    y = np.zeros((n, c, ho, wo))
    arg = np.zeros((n, c, ho, wo), dtype=int)
    for a in range(n):
        for ch in range(c):
            for r in range(ho):
                for q in range(wo):
                    h0, w0 = r * s[0] - p[0], q * s[1] - p[1]
                    h1, w1 = min(h0 + (k[0] - 1) * d[0] + 1, h), min(w0 + (k[1] - 1) * d[1] + 1, wd)
                    while h0 < 0:
                        h0 += d[0]
                    while w0 < 0:
                        w0 += d[1]
                    best, idx = -math.inf, (h0 * wd + w0 if h0 < h1 and w0 < w1 else -1)
                    for ih in range(h0, h1, d[0]):
                        for iw in range(w0, w1, d[1]):
                            v = x[a, ch, ih, iw]
                            if v > best or math.isnan(v):
                                best, idx = v, ih * wd + iw
                    y[a, ch, r, q], arg[a, ch, r, q] = best, idx
    return y, arg


def naive_avgpool2d(x, k, s, p, ho, wo, count_include_pad=True, divisor_override=None):
    """torch's cpu_avg_pool loop."""
    n, c, h, wd = x.shape
    y = np.zeros((n, c, ho, wo))
    for r in range(ho):
        for q in range(wo):
            h0, w0 = r * s[0] - p[0], q * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], wd + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, wd)
            div = divisor_override or (size if count_include_pad else (h1 - h0) * (w1 - w0))
            y[:, :, r, q] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / div
    return y


# ---------------------------------------------------------------- values

def distinct(rng, shape):
    """Values at least 0.05 apart, so no finite-difference step crosses a max-pool tie."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.05 + rng.uniform(-1, 0)


# ---------------------------------------------------------------- conv

@FAST
@given(conv_cases())
def test_conv2d_forward_matches_naive_and_gradients(case):
    xs, ws, bias, opts, (s, p, d), seed = case
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    y, _ = ops.conv2d_forward(x, w, b, **opts)
    np.testing.assert_allclose(y, naive_conv2d(x, w, b, s, p, d, opts["groups"]), rtol=1e-12, atol=1e-12)
    args = (x, w, b) if bias else (x, w)
    grads = assert_vjp(ops.conv2d_forward, ops.conv2d_backward, args, opts, rng=rng)
    assert len(grads) == 3 and (grads[2] is None) == (not bias)


def test_conv2d_single_channel_fast_path_and_need_dx():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 1, 9, 8)), rng.standard_normal((1, 1, 3, 3))
    for opts in ({}, {"stride": 2, "padding": 1, "dilation": (2, 1)}):
        y, cache = ops.conv2d_forward(x, w, None, **opts)
        np.testing.assert_allclose(y, naive_conv2d(x, w, None, *(
            ops.conv.pair(opts.get(key, dflt)) for key, dflt in
            (("stride", 1), ("padding", 0), ("dilation", 1))), 1), atol=1e-12)
        assert_vjp(ops.conv2d_forward, ops.conv2d_backward, (x, w), opts, rng=rng)
        dy = rng.standard_normal(y.shape)
        dx0, dw0, _ = ops.conv2d_backward(dy, cache)
        dx1, dw1, _ = ops.conv2d_backward(dy, cache, need_dx=False)
        assert dx1 is None and np.array_equal(dw0, dw1)


@pytest.mark.parametrize("bad", [
    dict(x=(1, 3, 5, 5), w=(2, 2, 3, 3)),                 # channels do not match
    dict(x=(1, 4, 5, 5), w=(3, 2, 3, 3), groups=2),       # Cout not divisible by groups
    dict(x=(1, 1, 2, 2), w=(1, 1, 3, 3)),                 # kernel bigger than input
    dict(x=(1, 5, 5), w=(1, 1, 3, 3)),                    # no batch axis
])
def test_conv2d_rejects_bad_shapes(bad):
    groups = bad.pop("groups", 1)
    with pytest.raises(ValueError):
        ops.conv2d_forward(np.zeros(bad["x"]), np.zeros(bad["w"]), groups=groups)


# ---------------------------------------------------------------- pooling

@FAST
@given(pool_cases(with_dilation=True))
def test_maxpool2d_matches_torch_loop_and_gradients(case):
    shape, k, s, p, d, ceil, seed = case
    rng = np.random.default_rng(seed)
    x = distinct(rng, shape)
    y, cache = ops.maxpool2d_forward(x, k, s, p, d, ceil)
    ho, wo = y.shape[2:]
    assert (ho, wo) == tuple(ops.output_size(shape[2 + a], k[a], s[a], p[a], d[a], ceil) for a in (0, 1))
    ref, arg = naive_maxpool2d(x, k, s, p, d, ho, wo)
    np.testing.assert_array_equal(y, ref)
    base = (np.arange(shape[0] * shape[1]) * shape[2] * shape[3]).reshape(shape[:2] + (1, 1))
    flat_arg = np.where(cache.flat < 0, -1, cache.flat - base)
    np.testing.assert_array_equal(flat_arg, arg)

    def finite_forward(*a, **kw):   # a window of padding only is -inf; its slope is 0, not nan
        out, c = ops.maxpool2d_forward(*a, **kw)
        return np.where(np.isneginf(out), 0.0, out), c

    assert_vjp(finite_forward, ops.maxpool2d_backward, (x,),
               dict(kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil), rng=rng)


def test_maxpool2d_ties_nan_and_minus_inf_follow_torch():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [-np.inf, -np.inf, -np.inf]]]])
    for opts in (dict(kernel=2, stride=1, padding=1), dict(kernel=2, ceil_mode=True), dict(kernel=3, padding=1)):
        y, cache = ops.maxpool2d_forward(x, **opts)
        ref, arg = naive_maxpool2d(x, ops.conv.pair(opts["kernel"]),
                                   ops.conv.pair(opts.get("stride", opts["kernel"])),
                                   ops.conv.pair(opts.get("padding", 0)), (1, 1), *y.shape[2:])
        np.testing.assert_array_equal(y, ref)
        np.testing.assert_array_equal(cache.flat, arg)
    xn = np.array([[[[np.nan, 2.0], [np.nan, 3.0]]]])
    y, cache = ops.maxpool2d_forward(xn, 2)
    assert np.isnan(y).all() and cache.flat.item() == 2      # the last NaN, as torch
    (dx,) = ops.maxpool2d_backward(np.ones((1, 1, 1, 1)), cache)
    assert dx.sum() == 1.0 and dx[0, 0, 1, 0] == 1.0
    # Dilation 2 over a 1-wide input with padding 1: the window holds only padding.
    y, cache = ops.maxpool2d_forward(np.full((1, 1, 1, 1), 0.5), (1, 2), 1, (0, 1), (1, 2))
    assert y.item() == -np.inf
    assert ops.maxpool2d_backward(np.ones((1, 1, 1, 1)), cache)[0].item() == 0.0


@FAST
@given(pool_cases(with_dilation=False), st.sampled_from([(True, None), (False, None), (True, 3)]))
def test_avgpool2d_matches_torch_loop_and_gradients(case, variant):
    shape, k, s, p, _, ceil, seed = case
    include_pad, override = variant
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    opts = dict(kernel=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=include_pad,
                divisor_override=override)
    y, _ = ops.avgpool2d_forward(x, **opts)
    ref = naive_avgpool2d(x, k, s, p, *y.shape[2:], include_pad, override)
    np.testing.assert_allclose(y, ref, rtol=1e-13, atol=1e-14)
    assert_vjp(ops.avgpool2d_forward, ops.avgpool2d_backward, (x,), opts, rng=rng)


def test_pool_output_size_ceil_rule():
    # 5 wide, kernel 2, stride 2: floor gives 2, ceil 3 (the last window starts inside).
    assert ops.output_size(5, 2, 2) == 2
    assert ops.output_size(5, 2, 2, ceil_mode=True) == 3
    # A ceil window that would start in the right padding is dropped: 4 + pad 1, k 2, s 3.
    assert ops.output_size(4, 2, 3, padding=1, ceil_mode=True) == 2
    with pytest.raises(ValueError):
        ops.maxpool2d_forward(np.zeros((1, 1, 4, 4)), 2, padding=2)


# ---------------------------------------------------------------- activations

@FAST
@given(st.sampled_from(["relu", "sigmoid", "tanh", "softmax"]),
       st.lists(st.integers(1, 4), min_size=2, max_size=4), seeds)
def test_activation_gradients(name, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    if name == "relu":
        x = np.where(np.abs(x) < 1e-3, 0.5, x)   # keep finite differences off the kink
    fwd, bwd = getattr(ops, f"{name}_forward"), getattr(ops, f"{name}_backward")
    kwargs = {"axis": int(rng.integers(-len(shape), len(shape)))} if name == "softmax" else {}
    assert_vjp(fwd, bwd, (x,), kwargs, rng=rng)


def test_activation_edge_values():
    (dx,) = ops.relu_backward(np.ones(3), ops.relu_forward(np.array([-1.0, 0.0, 2.0]))[1])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = ops.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
        q = ops.softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(q, [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(ops.softmax(np.arange(3.0), axis=0).sum(), 1.0)


# ---------------------------------------------------------------- losses

@FAST
@given(st.sampled_from([(5,), (3, 4), (2, 3, 2)]), st.sampled_from(["sum", "mean"]), seeds)
def test_loss_gradients(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    axis = 0 if len(shape) == 1 else 1
    p = ops.softmax(rng.standard_normal(shape), axis=axis)
    q = ops.softmax(rng.standard_normal(shape), axis=axis)
    z = rng.standard_normal(shape) * 2
    kw = {"reduction": reduction}
    assert_vjp(ops.cross_entropy_forward, ops.cross_entropy_backward, (q, p), kw, wrt=[0], rng=rng)
    assert_vjp(ops.cross_entropy_logits_forward, ops.cross_entropy_logits_backward, (z, p), kw, wrt=[0], rng=rng)
    assert_vjp(ops.mse_forward, ops.mse_backward, (z, p), kw, wrt=[0], rng=rng)


def test_loss_values_and_conventions():
    z, p = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.3, 0.5])
    q = ops.softmax(z, axis=0)
    e1, c1 = ops.cross_entropy_forward(q, p)
    e2, c2 = ops.cross_entropy_logits_forward(z, p)
    assert isinstance(e1, float) and e1 == pytest.approx(e2, rel=1e-14)
    np.testing.assert_allclose(ops.cross_entropy_logits_backward(1.0, c2)[0], q - p, atol=1e-15)
    # A one-hot target with q = 0 where p = 0 stays finite.
    e, c = ops.cross_entropy_forward(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert e == 0.0 and np.array_equal(ops.cross_entropy_backward(1.0, c)[0], [0.0, -1.0])
    # Huge logits: log-softmax keeps the loss finite.
    e, _ = ops.cross_entropy_logits_forward(np.array([1000.0, -1000.0]), np.array([0.0, 1.0]))
    assert e == pytest.approx(2000.0)
    y, t = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    assert ops.mse_forward(y, t, "mean")[0] == pytest.approx(np.sum((y - t) ** 2) / 6)
    with pytest.raises(ValueError):
        ops.mse_forward(y, t, "max")


def test_p5_sgd_step_from_ops():
    """The seed homework: the right p5 step gives W ≈ [[0.99138, -0.00862], [0, -1]], B ≈ [-0.00862, 0]."""
    w, b, x, p = np.array([[1.0, 0.0], [0.0, -1.0]]), np.zeros(2), np.ones(2), np.array([0.3, 0.7])
    c, lc = ops.linear_forward(x, w, b)
    z, rc = ops.relu_forward(c)
    _, ec = ops.cross_entropy_logits_forward(z, p)
    (dz,) = ops.cross_entropy_logits_backward(1.0, ec)
    (dc,) = ops.relu_backward(dz, rc)
    _, dw, db = ops.linear_backward(dc, lc)
    np.testing.assert_allclose(w - 0.02 * dw, [[0.99138, -0.00862], [0, -1]], atol=5e-6)
    np.testing.assert_allclose(b - 0.02 * db, [-0.00862, 0], atol=5e-6)


# ---------------------------------------------------------------- linear, flatten, batchnorm

@FAST
@given(st.sampled_from([(4,), (3, 4), (2, 3, 4)]), st.integers(1, 3), st.booleans(), seeds)
def test_linear_and_flatten_gradients(xshape, out, bias, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(xshape), rng.standard_normal((out, xshape[-1]))
    args = (x, w, rng.standard_normal(out)) if bias else (x, w)
    assert_vjp(ops.linear_forward, ops.linear_backward, args, rng=rng)
    if len(xshape) > 1:
        y, _ = ops.flatten_forward(x)
        assert y.shape == (xshape[0], int(np.prod(xshape[1:])))
        assert_vjp(ops.flatten_forward, ops.flatten_backward, (x,), rng=rng)


@FAST
@given(st.sampled_from([("2d", (3, 2, 2, 3)), ("2d", (1, 3, 2, 2)), ("1d", (4, 3)), ("1d", (2, 2, 3))]),
       st.booleans(), seeds)
def test_batchnorm_gradients(kind_shape, affine, seed):
    kind, shape = kind_shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    c = shape[1]
    args = (x, rng.standard_normal(c), rng.standard_normal(c)) if affine else (x,)
    fwd, bwd = getattr(ops, f"batchnorm{kind}_forward"), getattr(ops, f"batchnorm{kind}_backward")
    y, cache = fwd(*args)
    axes = (0,) + tuple(range(2, x.ndim))
    if not affine:
        np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
        np.testing.assert_allclose(cache.var, x.var(axis=axes), rtol=1e-12)
    assert_vjp(fwd, bwd, args, rng=rng, rtol=1e-5, atol=1e-7)


def test_batchnorm_needs_more_than_one_value():
    with pytest.raises(ValueError):
        ops.batchnorm1d_forward(np.ones((1, 3)))


# ---------------------------------------------------------------- rnn

@FAST
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 4), st.booleans(), seeds)
def test_rnn_gradients_and_jacobians(t_len, d, h, bias, seed):
    rng = np.random.default_rng(seed)
    xs, h0 = rng.standard_normal((t_len, d)), rng.uniform(0, 1, h)
    wi, wh = rng.standard_normal((h, d)), rng.standard_normal((h, h)) * 2
    args = (xs, h0, wi, wh) + ((rng.standard_normal(h),) if bias else ())
    hs, _ = ops.rnn_forward(*args)
    assert hs.shape == (t_len + 1, h) and np.array_equal(hs[0], h0)
    grads = assert_vjp(ops.rnn_forward, ops.rnn_backward, args, rng=rng)
    assert len(grads) == len(args)
    jac = ops.rnn_step_jacobians(hs, wh)
    assert jac.shape == (t_len, h, h)
    for j in range(1, t_len + 1):   # J_j against differentiating one step in h_{j-1}
        step = lambda hp: ops.sigmoid(wi @ xs[j - 1] + wh @ hp + (args[4] if bias else 0))
        num = np.stack([(step(hs[j - 1] + 1e-6 * e) - step(hs[j - 1] - 1e-6 * e)) / 2e-6
                        for e in np.eye(h)], axis=1)
        np.testing.assert_allclose(jac[j - 1], num, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(jac[j - 1], np.diag(hs[j] * (1 - hs[j])) @ wh, rtol=1e-14)


# ---------------------------------------------------------------- the p1 block end to end

@pytest.mark.parametrize("n,m,k", [(2, 3, 3), (1, 1, 1), (3, 2, 2)])
def test_p1_block_chain(n, m, k):
    """conv (no pad) -> sigmoid -> 2x2 avg pool; dL/dK by the chain matches finite differences
    of L = <g, P(K)>, and dL/dS is g spread over each 2x2 tile / 4 (the seed homework)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 1, 2 * n + k - 1, 2 * m + k - 1))
    kern, g = rng.standard_normal((1, 1, k, k)), rng.standard_normal((1, 1, n, m))

    def block(kk):
        c, cc = ops.conv2d_forward(x, kk)
        s, sc = ops.sigmoid_forward(c)
        p, pc = ops.avgpool2d_forward(s, 2)
        return p, (cc, sc, pc)

    def chain(g_, caches):
        cc, sc, pc = caches
        (ds,) = ops.avgpool2d_backward(g_, pc)
        (dc,) = ops.sigmoid_backward(ds, sc)
        return ds, dc, ops.conv2d_backward(dc, cc, need_dx=False)[1]

    _, caches = block(kern)
    ds, dc, dk = chain(g, caches)
    np.testing.assert_allclose(ds[0, 0], np.kron(g[0, 0], np.ones((2, 2))) / 4, rtol=1e-15)
    assert_vjp(block, lambda gg, cs: (chain(gg, cs)[2],), (kern,), dy=g)


# ---------------------------------------------------------------- padding modes

PAD_CASES = [((2, 3, 4, 5), (2, 3)), ((2, 3, 5), (4,)), ((1, 1, 2, 1), (1, 0)),
             ((1, 2, 1, 3), (0, 2))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, padding", PAD_CASES)
def test_pad_modes_copy_the_input_and_scatter_back(mode, shape, padding):
    if any(p > ops.pad.pad_limit(mode, n) for p, n in zip(padding, shape[-len(padding):])):
        return           # refused by the conv layers' shape rule, as torch refuses it
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    y, _ = ops.pad_forward(x, padding, mode)
    inner = tuple(slice(p, p + n) for p, n in zip(padding, shape[-len(padding):]))
    np.testing.assert_array_equal(y[(..., *inner)], x)
    assert_vjp(ops.pad_forward, ops.pad_backward, (x,), {"padding": padding, "mode": mode},
               rng=rng)


def test_pad_modes_on_a_row_by_hand():
    row = np.array([[1.0, 2.0, 3.0]])
    want = {("reflect", 2): [3, 2, 1, 2, 3, 2, 1], ("replicate", 2): [1, 1, 1, 2, 3, 3, 3],
            ("circular", 3): [1, 2, 3, 1, 2, 3, 1, 2, 3]}
    for (mode, p), expected in want.items():
        y, cache = ops.pad_forward(row, (p,), mode)
        assert y[0].tolist() == expected, mode
        (dx,) = ops.pad_backward(np.ones_like(y), cache)
        assert dx.sum() == y.size, mode         # every padded position copies one input

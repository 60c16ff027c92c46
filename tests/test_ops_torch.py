"""hwcheck.engine.ops against torch.nn.functional in float64: forwards and autograd backwards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwcheck.engine import ops
from tests.support.profiles import examples
from tests.support.strategies import conv_cases, pool_cases, seeds

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch

TOL = dict(rtol=1e-9, atol=1e-9)
CASES = settings(max_examples=examples(40))


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64, requires_grad=True)


def close(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    assert np.shape(ours) == np.shape(theirs)
    np.testing.assert_allclose(ours, theirs, **TOL)


def torch_vjp(fn, arrays, dy):
    """Run fn on leaf tensors, backpropagate dy; return (output, grads of every leaf)."""
    leaves = [leaf(a) for a in arrays]
    out = fn(*leaves)
    out.backward(torch.as_tensor(dy, dtype=torch.float64))
    return out, [t.grad for t in leaves]


@CASES
@given(conv_cases())
def test_conv2d(case):
    xs, ws, bias, opts, _, seed = case
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(xs), rng.standard_normal(ws)] + ([rng.standard_normal(ws[0])] if bias else [])
    y, cache = ops.conv2d_forward(*args, **opts)
    dy = rng.standard_normal(y.shape)
    ty, tgrads = torch_vjp(lambda x, w, b=None: F.conv2d(x, w, b, **opts), args, dy)
    close(y, ty)
    grads = ops.conv2d_backward(dy, cache)
    for ours, theirs in zip(grads, tgrads):
        close(ours, theirs)


def test_conv2d_many_channels():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 6, 11, 9)), rng.standard_normal((9, 2, 3, 2)), rng.standard_normal(9)
    opts = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=3)
    y, cache = ops.conv2d_forward(x, w, b, **opts)
    dy = rng.standard_normal(y.shape)
    ty, tgrads = torch_vjp(lambda *t: F.conv2d(*t, **opts), [x, w, b], dy)
    close(y, ty)
    for ours, theirs in zip(ops.conv2d_backward(dy, cache), tgrads):
        close(ours, theirs)


@CASES
@given(pool_cases(with_dilation=True), st.booleans())
def test_maxpool2d(case, ties):
    shape, k, s, p, d, ceil, seed = case
    rng = np.random.default_rng(seed)
    # Small integers make many ties, which must break the same way as torch's.
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    opts = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    y, cache = ops.maxpool2d_forward(x, k, s, p, d, ceil)
    # A window of padding only (dilation can make one) gets a bogus index in torch, whose
    # backward then writes out of bounds; tests/test_ops_gradcheck.py covers our handling.
    assume(not np.isneginf(y).any())
    dy = rng.standard_normal(y.shape)
    ty, (tdx,) = torch_vjp(lambda t: F.max_pool2d(t, **opts), [x], dy)
    close(y, ty)
    close(ops.maxpool2d_backward(dy, cache)[0], tdx)


@CASES
@given(pool_cases(with_dilation=False), st.booleans(), st.sampled_from([None, 2, 5]))
def test_avgpool2d(case, include_pad, override):
    shape, k, s, p, _, ceil, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y, cache = ops.avgpool2d_forward(x, k, s, p, ceil, include_pad, override)
    dy = rng.standard_normal(y.shape)
    ty, (tdx,) = torch_vjp(lambda t: F.avg_pool2d(t, k, s, p, ceil, include_pad, override), [x], dy)
    close(y, ty)
    close(ops.avgpool2d_backward(dy, cache)[0], tdx)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2, 2)])
def test_activations(name, shape):
    rng = np.random.default_rng([len(name), *shape])
    x = rng.standard_normal(shape) * 4
    x.flat[0] = 0.0                     # relu's subgradient at 0
    x.flat[-1] = 40.0                   # saturated sigmoid
    axis = 0 if len(shape) == 1 else 1
    if name == "softmax":
        y, cache = ops.softmax_forward(x, axis=axis)
        tfn = lambda t: F.softmax(t, dim=axis)
    else:
        y, cache = getattr(ops, f"{name}_forward")(x)
        tfn = getattr(torch, name)
    dy = rng.standard_normal(shape)
    ty, (tdx,) = torch_vjp(tfn, [x], dy)
    close(y, ty)
    close(getattr(ops, f"{name}_backward")(dy, cache)[0], tdx)


@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 3, 4)])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_losses(shape, reduction):
    rng = np.random.default_rng(len(shape) * 10 + len(reduction))
    axis = 0 if len(shape) == 1 else 1
    z, t = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    p = ops.softmax(rng.standard_normal(shape), axis=axis)
    q = ops.softmax(z, axis=axis)

    e, cache = ops.cross_entropy_logits_forward(z, p, reduction)
    te, (tdz,) = torch_vjp(lambda tz: F.cross_entropy(tz, torch.as_tensor(p), reduction=reduction), [z], 1.0)
    assert e == pytest.approx(te.item(), rel=1e-12)
    close(ops.cross_entropy_logits_backward(1.0, cache)[0], tdz)

    n_samples = q.size // q.shape[axis]
    scale = 1.0 if reduction == "sum" else 1.0 / n_samples
    e, cache = ops.cross_entropy_forward(q, p, reduction)
    te, (tdq,) = torch_vjp(lambda tq: -(torch.as_tensor(p) * torch.log(tq)).sum() * scale, [q], 1.0)
    assert e == pytest.approx(te.item(), rel=1e-12)
    close(ops.cross_entropy_backward(1.0, cache)[0], tdq)

    e, cache = ops.mse_forward(z, t, reduction)
    te, (tdy,) = torch_vjp(lambda tz: F.mse_loss(tz, torch.as_tensor(t), reduction=reduction), [z], 1.0)
    assert e == pytest.approx(te.item(), rel=1e-12)
    close(ops.mse_backward(1.0, cache)[0], tdy)


@CASES
@given(st.sampled_from([(5,), (3, 5), (2, 3, 5)]), st.integers(1, 4), st.booleans(), seeds)
def test_linear_and_flatten(xshape, out, bias, seed):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(xshape), rng.standard_normal((out, xshape[-1]))]
    if bias:
        args.append(rng.standard_normal(out))
    y, cache = ops.linear_forward(*args)
    dy = rng.standard_normal(y.shape)
    ty, tgrads = torch_vjp(F.linear, args, dy)
    close(y, ty)
    for ours, theirs in zip(ops.linear_backward(dy, cache), tgrads):
        close(ours, theirs)
    if len(xshape) > 1:
        y, cache = ops.flatten_forward(args[0])
        ty, (tdx,) = torch_vjp(torch.nn.Flatten(), [args[0]], dy := rng.standard_normal(y.shape))
        close(y, ty)
        close(ops.flatten_backward(dy, cache)[0], tdx)


@pytest.mark.parametrize("kind,shape", [("2d", (4, 3, 5, 2)), ("2d", (1, 2, 3, 3)),
                                        ("1d", (6, 4)), ("1d", (3, 2, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm(kind, shape, affine):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape) * 3 + 2
    c = shape[1]
    args = [x] + ([rng.standard_normal(c), rng.standard_normal(c)] if affine else [])
    y, cache = getattr(ops, f"batchnorm{kind}_forward")(*args)
    dy = rng.standard_normal(shape)
    ty, tgrads = torch_vjp(lambda t, g=None, b=None: F.batch_norm(t, None, None, g, b, training=True, eps=1e-5),
                           args, dy)
    close(y, ty)
    grads = getattr(ops, f"batchnorm{kind}_backward")(dy, cache)
    assert len(grads) == 3
    for ours, theirs in zip(grads, tgrads):
        close(ours, theirs)
    if not affine:
        assert grads[1] is None and grads[2] is None


@pytest.mark.parametrize("bias", [False, True])
def test_rnn(bias):
    rng = np.random.default_rng(12)
    t_len, d, h = 12, 2, 3
    args = [rng.standard_normal((t_len, d)), rng.uniform(0, 1, h),
            rng.standard_normal((h, d)), rng.standard_normal((h, h))] + ([rng.standard_normal(h)] if bias else [])

    def trnn(xs, h0, wi, wh, b=None):
        hs = [h0]
        for t in range(xs.shape[0]):
            hs.append(torch.sigmoid(wi @ xs[t] + wh @ hs[-1] + (0 if b is None else b)))
        return torch.stack(hs)

    hs, cache = ops.rnn_forward(*args)
    dhs = rng.standard_normal(hs.shape)
    ths, tgrads = torch_vjp(trnn, args, dhs)
    close(hs, ths)
    grads = ops.rnn_backward(dhs, cache)
    assert len(grads) == len(args)
    for ours, theirs in zip(grads, tgrads):
        close(ours, theirs)
    # Each step Jacobian equals torch's Jacobian of one cell step.
    jac = ops.rnn_step_jacobians(hs, args[3])
    for j in (1, t_len):
        step = lambda hp: torch.sigmoid(torch.as_tensor(args[2] @ args[0][j - 1] + (args[4] if bias else 0))
                                        + torch.as_tensor(args[3]) @ hp)
        close(jac[j - 1], torch.autograd.functional.jacobian(step, torch.as_tensor(hs[j - 1])))


def test_p1_block_against_torch():
    """conv -> sigmoid -> 2x2 avg pool at a moderate p1 size: dL/dS, dL/dC, dL/dK, dL/dX."""
    rng = np.random.default_rng(5)
    n, m, k = 20, 13, 7
    x = rng.standard_normal((1, 1, 2 * n + k - 1, 2 * m + k - 1))
    kern, g = rng.standard_normal((1, 1, k, k)) * 0.3, rng.standard_normal((1, 1, n, m))

    c, cc = ops.conv2d_forward(x, kern)
    s, sc = ops.sigmoid_forward(c)
    p, pc = ops.avgpool2d_forward(s, 2)
    (ds,) = ops.avgpool2d_backward(g, pc)
    (dc,) = ops.sigmoid_backward(ds, sc)
    dx, dk, _ = ops.conv2d_backward(dc, cc)

    tx, tk = leaf(x), leaf(kern)
    tc = F.conv2d(tx, tk)
    tc.retain_grad()
    ts = torch.sigmoid(tc)
    ts.retain_grad()
    tp = F.avg_pool2d(ts, 2)
    tp.backward(torch.as_tensor(g))
    for ours, theirs in [(p, tp), (ds, ts.grad), (dc, tc.grad), (dk, tk.grad), (dx, tx.grad)]:
        close(ours, theirs)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, padding", [((2, 3, 4, 5), (3, 4)), ((2, 3, 5), (4,)),
                                            ((1, 2, 2, 1), (1, 0)), ((1, 1, 3, 3), (3, 2))])
def test_pad_modes_match_torch(mode, shape, padding):
    if any(p > ops.pad.pad_limit(mode, n) for p, n in zip(padding, shape[-len(padding):])):
        return           # torch refuses it too (the conv shape rule says so first)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    y, cache = ops.pad_forward(x, padding, mode)
    dy = rng.standard_normal(y.shape)
    flat = [q for p in reversed(padding) for q in (p, p)]     # torch lists the last axis first
    out, (dx,) = torch_vjp(lambda t: F.pad(t, flat, mode=mode), [x], dy)
    close(y, out)
    close(ops.pad_backward(dy, cache)[0], dx)

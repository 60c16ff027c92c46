"""Central finite differences for checking backward passes (a test helper, not a test).

``numeric_vjp`` returns dy . d f / d args[i] for every array argument, computed as
sum(dy * (f(a + eps e_k) - f(a - eps e_k))) / (2 eps), differencing elementwise before the
sum so that rounding error in a large output does not swamp the slope.
"""

from __future__ import annotations

import numpy as np


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

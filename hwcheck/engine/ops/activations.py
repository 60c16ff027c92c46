"""Elementwise activations and softmax, forward and backward.

Every backward returns a 1-tuple ``(dx,)``, following the package rule that a backward
returns the gradients of all array arguments of its forward, in order.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "relu_forward", "relu_backward",
    "leakyrelu_forward", "leakyrelu_backward",
    "sigmoid", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "elu_forward", "elu_backward",
    "gelu_forward", "gelu_backward",
    "softmax", "softmax_forward", "softmax_backward",
    "log_softmax",
]


def relu_forward(x):
    """y = max(x, 0), any shape.  Returns (y, cache) with cache = (mask,), mask = x > 0."""
    x = np.asarray(x, dtype=float)
    mask = x > 0
    return np.maximum(x, 0.0), (mask,)   # maximum, not where: NaN stays NaN as in torch


def relu_backward(dy, cache):
    """(dx,) with dx = dy * [x > 0]; the subgradient at 0 is 0, as in torch."""
    (mask,) = cache
    return (np.where(mask, np.asarray(dy, dtype=float), 0.0),)


def leakyrelu_forward(x, negative_slope=0.01):
    """y = x for x > 0, negative_slope * x otherwise, as torch.nn.LeakyReLU.  Any shape.
    Returns (y, cache) with cache = (mask, negative_slope), mask = x > 0."""
    x = np.asarray(x, dtype=float)
    mask = x > 0
    return np.where(mask, x, negative_slope * x), (mask, negative_slope)


def leakyrelu_backward(dy, cache):
    """(dx,) with dx = dy where x > 0, else negative_slope * dy (at 0 too, as in torch)."""
    mask, negative_slope = cache
    dy = np.asarray(dy, dtype=float)
    return (np.where(mask, dy, negative_slope * dy),)


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), in one buffer: four passes, one allocation.

    Below x = -709, exp(-x) overflows to inf and the result is 0 (sigma(x) < 1e-308 there);
    the overflow is expected, not an error. NaN stays NaN.
    """
    x = np.asarray(x, dtype=float)
    y = np.empty_like(x)
    with np.errstate(over="ignore"):
        np.negative(x, out=y)
        np.exp(y, out=y)
    y += 1.0
    return np.reciprocal(y, out=y)


def sigmoid_forward(x):
    """y = sigma(x), any shape.  Returns (y, cache) with cache = (y,)."""
    y = sigmoid(x)
    return y, (y,)


def sigmoid_backward(dy, cache):
    """(dx,) with dx = dy * y * (1 - y)."""
    (y,) = cache
    dy = np.asarray(dy, dtype=float)
    if dy.shape != y.shape:
        return (dy * y * (1.0 - y),)
    dx = np.subtract(1.0, y)
    dx *= y
    dx *= dy
    return (dx,)


def tanh_forward(x):
    """y = tanh(x), any shape.  Returns (y, cache) with cache = (y,)."""
    y = np.tanh(np.asarray(x, dtype=float))
    return y, (y,)


def tanh_backward(dy, cache):
    """(dx,) with dx = dy * (1 - y^2)."""
    (y,) = cache
    return (np.asarray(dy, dtype=float) * (1.0 - y * y),)


def elu_forward(x, alpha=1.0):
    """y = x for x > 0, alpha·(exp(x) − 1) otherwise, as torch.nn.ELU.  Any shape.
    Returns (y, cache) with cache = (x, alpha)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))), (x, alpha)


def elu_backward(dy, cache):
    """(dx,) with dx = dy for x > 0, else dy·alpha·exp(x) (at 0 too, as in torch)."""
    x, alpha = cache
    dy = np.asarray(dy, dtype=float)
    return (np.where(x > 0, dy, dy * alpha * np.exp(np.minimum(x, 0.0))),)


_erf = np.vectorize(math.erf, otypes=[float])   # numpy has no erf; math.erf is exact
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def gelu_forward(x, approximate="none"):
    """GELU as torch.nn.GELU.  Any shape.  Returns (y, cache) with cache = (x, approximate).

    none: y = x·Φ(x) = x/2·(1 + erf(x/√2));
    tanh: y = x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    """
    x = np.asarray(x, dtype=float)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3))
        return 0.5 * x * (1.0 + t), (x, approximate)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))), (x, approximate)


def gelu_backward(dy, cache):
    """(dx,) with dx = dy·(Φ(x) + x·φ(x)) (none), or for tanh, with u = √(2/π)(x + 0.044715x³)
    and t = tanh(u): dx = dy·(½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²))."""
    x, approximate = cache
    dy = np.asarray(dy, dtype=float)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3))
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)
        return (dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du),)
    cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return (dy * (cdf + x * pdf),)


def softmax(x, axis=1):
    """q = exp(x - max) / sum exp(x - max) along ``axis``; shifting by the max cannot overflow."""
    x = np.asarray(x, dtype=float)
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=1):
    """log q = (x - max) - log sum exp(x - max) along ``axis``, exact for very negative logits."""
    x = np.asarray(x, dtype=float)
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def softmax_forward(x, axis=1):
    """q = softmax(x) along ``axis`` (default 1, torch's nn.Softmax(dim=1); pass axis=-1 or
    0 for a single vector).  Any shape.  Returns (q, cache) with cache = (q, axis)."""
    q = softmax(x, axis=axis)
    return q, (q, axis)


def softmax_backward(dy, cache):
    """(dx,) with dx = q * (dy - sum(dy * q, axis)), i.e. dy @ (diag(q) - q q^T) per slice."""
    q, axis = cache
    dy = np.asarray(dy, dtype=float)
    return (q * (dy - np.sum(dy * q, axis=axis, keepdims=True)),)

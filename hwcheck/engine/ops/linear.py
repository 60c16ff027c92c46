"""Fully connected layer and flatten, forward and backward."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["linear_forward", "linear_backward", "flatten_forward", "flatten_backward"]


class LinearCache(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    has_bias: bool


def linear_forward(x, w, b=None):
    """y = x W^T + b on the last axis, as torch.nn.functional.linear.

    Shapes: x (..., in) — typically (N, in), or a single vector (in,); w (out, in);
    b (out,) or None  ->  y (..., out).  Returns (y, LinearCache).
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input {x.shape} does not match weight {w.shape} (out, in)")
    y = x @ w.T
    if b is not None:
        b = np.asarray(b, dtype=float)
        if b.shape != (w.shape[0],):
            raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {b.shape}")
        y = y + b
    return y, LinearCache(x, w, b is not None)


def linear_backward(dy, cache: LinearCache):
    """dy (..., out) -> (dx (..., in), dw (out, in), db (out,) or None).

        dx = dy W,   dW = sum over leading axes of dy^T x,   db = sum over leading axes of dy
    """
    x, w, has_bias = cache
    dy = np.asarray(dy, dtype=float)
    if dy.shape != x.shape[:-1] + (w.shape[0],):
        raise ValueError(f"linear_backward: dy has shape {dy.shape}, expected {x.shape[:-1] + (w.shape[0],)}")
    dy2 = dy.reshape(-1, w.shape[0])
    dw = dy2.T @ x.reshape(-1, w.shape[1])
    db = dy2.sum(axis=0) if has_bias else None
    return dy @ w, dw, db


def flatten_forward(x):
    """(N, d1, d2, ...) -> (N, d1*d2*...), like torch.nn.Flatten().  Returns (y, (x.shape,))."""
    x = np.asarray(x, dtype=float)
    if x.ndim < 1:
        raise ValueError("flatten needs a batch axis")
    return x.reshape(x.shape[0], -1), (x.shape,)


def flatten_backward(dy, cache):
    """(dx,) with dx = dy reshaped back to the input's shape."""
    (shape,) = cache
    return (np.asarray(dy, dtype=float).reshape(shape),)

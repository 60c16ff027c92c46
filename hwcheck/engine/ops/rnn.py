"""Elman RNN with a sigmoid cell, h_t = sigma(Wi x_t + Wh h_{t-1} [+ b]), and its Jacobians."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import sigmoid

__all__ = ["rnn_forward", "rnn_backward", "rnn_step_jacobians"]


class RNNCache(NamedTuple):
    xs: np.ndarray      # (T, D)
    hs: np.ndarray      # (T+1, H), hs[0] = h0
    wi: np.ndarray      # (H, D)
    wh: np.ndarray      # (H, H)
    has_bias: bool


def rnn_forward(xs, h0, Wi, Wh, b=None):
    """Run the cell over a sequence.

    Shapes: xs (T, D), h0 (H,), Wi (H, D), Wh (H, H), b (H,) or None.
        h_t = sigma(Wi x_t + Wh h_{t-1} + b),  t = 1..T
    Returns (hs (T+1, H) with hs[0] = h0 and hs[t] = h_t, RNNCache).
    """
    xs, h0 = np.asarray(xs, dtype=float), np.asarray(h0, dtype=float)
    wi, wh = np.asarray(Wi, dtype=float), np.asarray(Wh, dtype=float)
    if xs.ndim != 2 or h0.ndim != 1:
        raise ValueError(f"rnn: xs must be (T, D) and h0 (H,), got {xs.shape} and {h0.shape}")
    t_len, d = xs.shape
    h = h0.shape[0]
    if wi.shape != (h, d) or wh.shape != (h, h):
        raise ValueError(f"rnn: Wi must be {(h, d)} and Wh {(h, h)}, got {wi.shape} and {wh.shape}")
    if b is not None:
        b = np.asarray(b, dtype=float)
        if b.shape != (h,):
            raise ValueError(f"rnn: b must have shape ({h},), got {b.shape}")
    # The input drive does not depend on h, so it is one matmul for the whole sequence.
    drive = xs @ wi.T + (0.0 if b is None else b)
    hs = np.empty((t_len + 1, h))
    hs[0] = h0
    for t in range(t_len):
        hs[t + 1] = sigmoid(drive[t] + wh @ hs[t])
    return hs, RNNCache(xs, hs, wi, wh, b is not None)


def rnn_backward(dhs, cache: RNNCache):
    """Backpropagation through time.

    dhs (T+1, H): the loss's direct gradient with respect to every hs[t] (row 0 is h0's).
    Returns (dxs (T, D), dh0 (H,), dWi (H, D), dWh (H, H)), plus db (H,) as a fifth entry
    when the forward had a bias.  With a_t = dh_t * h_t * (1 - h_t), where dh_t is the total
    gradient reaching h_t:
        dh_{t-1} = dhs[t-1] + Wh^T a_t,   dx_t = Wi^T a_t,
        dWi = sum_t a_t x_t^T,   dWh = sum_t a_t h_{t-1}^T,   db = sum_t a_t
    """
    xs, hs, wi, wh, has_bias = cache
    dhs = np.asarray(dhs, dtype=float)
    if dhs.shape != hs.shape:
        raise ValueError(f"rnn_backward: dhs has shape {dhs.shape}, expected {hs.shape}")
    t_len = xs.shape[0]
    da = np.empty((t_len, hs.shape[1]))
    carry = np.zeros(hs.shape[1])
    for t in range(t_len, 0, -1):
        dh = dhs[t] + carry
        da[t - 1] = dh * hs[t] * (1.0 - hs[t])
        carry = wh.T @ da[t - 1]
    grads = (da @ wi, dhs[0] + carry, da.T @ xs, da.T @ hs[:-1])
    return (grads + (da.sum(axis=0),)) if has_bias else grads


def rnn_step_jacobians(hs, Wh):
    """J_j = dh_j / dh_{j-1} = diag(h_j * (1 - h_j)) Wh for j = 1..T.

    hs (T+1, H) as returned by rnn_forward, Wh (H, H)  ->  (T, H, H), J[j-1] = J_j.
    """
    hs, wh = np.asarray(hs, dtype=float), np.asarray(Wh, dtype=float)
    d = hs[1:] * (1.0 - hs[1:])
    return d[:, :, None] * wh[None, :, :]

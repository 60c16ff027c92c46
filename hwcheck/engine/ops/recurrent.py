"""Recurrent layers as ``torch.nn.RNN``, ``LSTM`` and ``GRU`` compute them, forward and backward.

Layout: batch first. x (N, T, I) is N sequences of T steps; H is the hidden size and G the
number of gates (RNN 1, GRU 3, LSTM 4), so w_ih (G·H, I), w_hh (G·H, H), b_ih, b_hh (G·H,)
or None. Gates are stacked in torch's order. With a_x = W_ih x_t + b_ih and
a_h = W_hh h_{t−1} + b_hh, split by gate:

- ``rnn_tanh`` / ``rnn_relu``: h_t = tanh(a_x + a_h) or relu(a_x + a_h)
- ``lstm`` (i, f, g, o): i, f, o = σ(a_x + a_h), g = tanh(a_x + a_h),
  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t), or W_hr (o ⊙ tanh(c_t)) when projected
- ``gru`` (r, z, n): r, z = σ(a_x + a_h), n = tanh(a_x,n + r ⊙ a_h,n),
  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

:func:`sequence_forward` runs one layer in one direction; :func:`recurrent_forward` stacks
``num_layers`` of them, each layer reading the previous one's output, with a second
direction reading the sequence backwards when bidirectional (outputs concatenated on the
last axis, forward first). Backward is backpropagation through time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import sigmoid

__all__ = ["CELLS", "sequence_forward", "sequence_backward", "recurrent_forward",
           "recurrent_backward"]


# --- one step of each cell: forward keeps what its backward needs -------------------------
# forward(ax, ah, h, c) -> (h_new, c_new, cache); ax, ah: (N, G·H) pre-activations.
# backward(dh, dc, cache) -> (d ax, d ah, dh_prev not through W_hh, dc_prev).

def _rnn_tanh(ax, ah, h, c):
    h_new = np.tanh(ax + ah)
    return h_new, None, h_new


def _rnn_tanh_back(dh, dc, h_new):
    da = dh * (1.0 - h_new ** 2)
    return da, da, 0.0, None


def _rnn_relu(ax, ah, h, c):
    a = ax + ah
    return np.maximum(a, 0.0), None, a


def _rnn_relu_back(dh, dc, a):
    da = dh * (a > 0)
    return da, da, 0.0, None


def _lstm(ax, ah, h, c):
    i, f, g, o = np.split(ax + ah, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, c, tc)


def _lstm_back(dh, dc, cache):
    i, f, g, o, c, tc = cache
    dc = dc + dh * o * (1.0 - tc ** 2)
    da = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f),
                         dc * i * (1.0 - g ** 2), dh * tc * o * (1.0 - o)], axis=-1)
    return da, da, 0.0, dc * f


def _gru(ax, ah, h, c):
    xr, xz, xn = np.split(ax, 3, axis=-1)
    hr, hz, hn = np.split(ah, 3, axis=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1.0 - z) * n + z * h, None, (r, z, n, hn, h)


def _gru_back(dh, dc, cache):
    r, z, n, hn, h = cache
    dn = dh * (1.0 - z) * (1.0 - n ** 2)
    dr = dn * hn * r * (1.0 - r)
    dz = dh * (h - n) * z * (1.0 - z)
    return (np.concatenate([dr, dz, dn], axis=-1), np.concatenate([dr, dz, dn * r], axis=-1),
            dh * z, None)


#: cell name → (gates, step forward, step backward); the names are torch's modes, lowercase.
CELLS = {"rnn_tanh": (1, _rnn_tanh, _rnn_tanh_back), "rnn_relu": (1, _rnn_relu, _rnn_relu_back),
         "lstm": (4, _lstm, _lstm_back), "gru": (3, _gru, _gru_back)}


class SequenceCache(NamedTuple):
    cell: str
    x: np.ndarray           # (N, T, I), in the order it was read (reversed when reverse)
    hs: list                # h_{t-1} for each step
    steps: list             # each step's cache
    w_ih: np.ndarray
    w_hh: np.ndarray
    has_bias: bool
    reverse: bool
    w_hr: np.ndarray | None     # an LSTM's projection (proj_size, H), else None
    raw: list                   # o ⊙ tanh(c_t) before the projection, when projected


def sequence_forward(cell, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None,
                     reverse=False):
    """One layer, one direction: x (N, T, I), h0 (N, P), c0 (N, H) for an LSTM (else None)
    → (y (N, T, P), h_n (N, P), c_n (N, H) or None, SequenceCache). P = H, except for an
    LSTM with a projection w_hr (P, H) (torch's ``proj_size`` = P): h_t = W_hr (o ⊙ tanh c_t),
    and w_hh is then (4H, P).

    y[:, t] = h_t by the cell's rule above; with ``reverse`` the steps run from t = T−1 down
    to 0 (so y[:, 0] is the last state computed), as torch's ``_reverse`` direction does.
    """
    gates, step, _ = CELLS[cell]
    x = np.asarray(x, dtype=float)
    h = np.asarray(h0, dtype=float)
    hidden = w_hh.shape[0] // gates
    out = hidden if w_hr is None else w_hr.shape[0]
    if (w_ih.shape != (gates * hidden, x.shape[-1]) or w_hh.shape != (gates * hidden, out)
            or h.shape[-1] != out or (w_hr is not None and w_hr.shape != (out, hidden))):
        raise ValueError(f"{cell}: w_ih {w_ih.shape}, w_hh {w_hh.shape} and h0 {h.shape} "
                         f"do not fit input {x.shape}")
    if reverse:
        x = x[:, ::-1]
    ax = x @ w_ih.T + (0.0 if b_ih is None else b_ih)
    bh = 0.0 if b_hh is None else b_hh
    c = None if c0 is None else np.asarray(c0, dtype=float)
    hs, caches, ys, raw = [], [], [], []
    for t in range(x.shape[1]):
        hs.append(h)
        h, c, cache = step(ax[:, t], h @ w_hh.T + bh, h, c)
        if w_hr is not None:
            raw.append(h)
            h = h @ w_hr.T
        caches.append(cache)
        ys.append(h)
    y = np.stack(ys, axis=1)
    return (y[:, ::-1] if reverse else y), h, c, SequenceCache(
        cell, x, hs, caches, w_ih, w_hh, b_ih is not None, reverse, w_hr, raw)


def sequence_backward(dy, cache: SequenceCache):
    """dy (N, T, P), the gradient reaching every output step → (dx (N, T, I), dh0 (N, P),
    dc0 (N, H) or None, dw_ih, dw_hh, db_ih, db_hh), and dw_hr when projected; the biases'
    are None without bias. With a projection, δ(o ⊙ tanh c_t) = W_hr^T δh_t and
    dW_hr = Σ_t δh_t (o ⊙ tanh c_t)^T.

    Going back from the last step, with δh the gradient reaching h_t (dy_t plus what h_{t+1}
    sends back): each cell's step backward gives ∂/∂a_x and ∂/∂a_h; then
    δh_{t−1} = (its direct part) + W_hh^T ∂a_h,  dW_hh = Σ_t ∂a_h h_{t−1}^T,
    db_hh = Σ_t ∂a_h,  dW_ih = Σ_t ∂a_x x_t^T,  db_ih = Σ_t ∂a_x,  dx_t = W_ih^T ∂a_x.
    """
    cell, x, hs, caches, w_ih, w_hh, has_bias, reverse, w_hr, raw = cache
    gates, _, back = CELLS[cell]
    dy = np.asarray(dy, dtype=float)
    if reverse:
        dy = dy[:, ::-1]
    dh = np.zeros_like(hs[0])
    dc = np.zeros((x.shape[0], w_hh.shape[0] // gates)) if cell == "lstm" else None
    dax = np.empty(x.shape[:2] + (w_ih.shape[0],))
    dw_hh = np.zeros_like(w_hh)
    db_hh = np.zeros(w_hh.shape[0])
    dw_hr = None if w_hr is None else np.zeros_like(w_hr)
    for t in range(x.shape[1] - 1, -1, -1):
        dh = dy[:, t] + dh
        if w_hr is not None:
            dw_hr += dh.T @ raw[t]
            dh = dh @ w_hr
        dax[:, t], dah, direct, dc = back(dh, dc, caches[t])
        dw_hh += dah.T @ hs[t]
        db_hh += dah.sum(axis=0)
        dh = direct + dah @ w_hh
    dx = dax @ w_ih
    dw_ih = np.einsum("ntg,nti->gi", dax, x)
    db_ih = dax.sum(axis=(0, 1))
    if not has_bias:
        db_ih = db_hh = None
    grads = (dx[:, ::-1] if reverse else dx), dh, dc, dw_ih, dw_hh, db_ih, db_hh
    return grads if w_hr is None else grads + (dw_hr,)


def recurrent_forward(cell, x, h0, c0, weights, num_layers=1, bidirectional=False):
    """The whole module: x (N, T, I); h0 (N, D·L, P), c0 (N, D·L, H) with D = 2 if
    bidirectional else 1 and L = num_layers (c0 None unless an LSTM; P = H unless
    projected); ``weights`` a list of D·L tuples (w_ih, w_hh, b_ih, b_hh[, w_hr]), index
    k·D + d for layer k and direction d (1: reverse), as torch orders h0. Layer k > 0 reads
    the D·P-wide output of layer k − 1.

    Returns (y (N, T, D·P), h_n (N, D·L, P), c_n (N, D·L, H) or None, cache): y is torch's
    ``output``, the last layer's states, both directions concatenated (forward first).
    """
    dirs = 2 if bidirectional else 1
    if len(weights) != dirs * num_layers:
        raise ValueError(f"{cell}: {len(weights)} weight sets for {num_layers} layers and "
                         f"{dirs} directions")
    inp, caches, h_n, c_n = np.asarray(x, dtype=float), [], [], []
    for k in range(num_layers):
        outs = []
        for d in range(dirs):
            j = k * dirs + d
            y, h, c, cache = sequence_forward(cell, inp, h0[:, j],
                                              None if c0 is None else c0[:, j],
                                              *weights[j], reverse=d == 1)
            outs.append(y)
            caches.append(cache)
            h_n.append(h)
            c_n.append(c)
        inp = np.concatenate(outs, axis=-1)
    c_n_out = None if c0 is None else np.stack(c_n, axis=1)
    return inp, np.stack(h_n, axis=1), c_n_out, (caches, num_layers, dirs)


def recurrent_backward(dy, cache):
    """dy (N, T, D·P) → (dx (N, T, I), dh0 (N, D·L, P), dc0 (N, D·L, H) or None, grads):
    ``grads`` lists (dw_ih, dw_hh, db_ih, db_hh[, dw_hr]) per weight set, in ``weights``'
    order.
    A layer's input gradient is the sum over its directions of each one's dx."""
    caches, num_layers, dirs = cache
    hidden = caches[0].hs[0].shape[-1]
    dh0, dc0, grads = [None] * len(caches), [None] * len(caches), [None] * len(caches)
    d_out = np.asarray(dy, dtype=float)
    for k in range(num_layers - 1, -1, -1):
        d_in = 0.0
        for d in range(dirs):
            j = k * dirs + d
            part = d_out[..., d * hidden:(d + 1) * hidden]
            dx, dh0[j], dc0[j], *grads[j] = sequence_backward(part, caches[j])
            d_in = d_in + dx
        d_out = d_in
    dc = None if dc0[0] is None else np.stack(dc0, axis=1)
    return d_out, np.stack(dh0, axis=1), dc, [tuple(g) for g in grads]

"""Scaled dot-product attention and multi-head self-attention, forward and backward.

Layouts follow torch with ``batch_first=True``: (N, T, d) for queries, (N, S, d) for keys,
(N, S, dv) for values; multi-head attention splits E into h heads of E/h (N, h, L, E/h).
"""

from __future__ import annotations

import math

import numpy as np

from .activations import softmax

__all__ = ["attention_forward", "attention_backward", "mha_forward", "mha_backward"]


def attention_forward(q, k, v, causal=False):
    """softmax(Q Kᵀ/√d + M) V, as torch.nn.functional.scaled_dot_product_attention.

    Shapes: q (..., T, d), k (..., S, d), v (..., S, dv) → y (..., T, dv). M is 0, or with
    ``causal`` −∞ where key j comes after query i (j > i; torch's top-left causal mask).
    Returns (y, cache) with cache = (q, k, v, A, scale), A the attention weights (..., T, S).
    """
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if causal:
        t, s = scores.shape[-2:]
        scores = np.where(np.tril(np.ones((t, s), dtype=bool)), scores, -np.inf)
    a = softmax(scores, axis=-1)
    return a @ v, (q, k, v, a, scale)


def attention_backward(dy, cache):
    """(dq, dk, dv) with dV = Aᵀ dY, dA = dY Vᵀ, dZ = A ⊙ (dA − rowsum(dA ⊙ A)),
    dQ = dZ K/√d, dK = dZᵀ Q/√d (a masked weight is 0, so it passes no gradient)."""
    q, k, v, a, scale = cache
    dy = np.asarray(dy, dtype=float)
    dv = np.swapaxes(a, -1, -2) @ dy
    da = dy @ np.swapaxes(v, -1, -2)
    dz = a * (da - np.sum(da * a, axis=-1, keepdims=True))
    return (dz @ k) * scale, (np.swapaxes(dz, -1, -2) @ q) * scale, dv


def _heads(t, h):
    n, length, e = t.shape
    return t.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)


def _merge(t):
    n, h, length, dh = t.shape
    return t.transpose(0, 2, 1, 3).reshape(n, length, h * dh)


def mha_forward(x, in_w, in_b, out_w, out_b, num_heads):
    """Self-attention, torch.nn.MultiheadAttention(E, h, batch_first=True)(x, x, x)[0].

    Shapes: x (N, L, E), in_w (3E, E), in_b (3E,) or None, out_w (E, E), out_b (E,) or None
    → y (N, L, E).  [Q K V] = x in_wᵀ + in_b, split into h heads of E/h; each head is
    softmax(Q_h K_hᵀ/√(E/h)) V_h; the heads are concatenated (C) and y = C out_wᵀ + out_b.
    Returns (y, cache).
    """
    x = np.asarray(x, dtype=float)
    proj = x @ in_w.T + (in_b if in_b is not None else 0.0)
    q, k, v = (_heads(t, num_heads) for t in np.split(proj, 3, axis=-1))
    heads, att = attention_forward(q, k, v)
    c = _merge(heads)
    y = c @ out_w.T + (out_b if out_b is not None else 0.0)
    return y, (x, in_w, in_b is not None, out_w, out_b is not None, c, att, num_heads)


def mha_backward(dy, cache):
    """(dx, d in_w, d in_b, d out_w, d out_b), by the chain rule through the two
    projections and :func:`attention_backward`; absent biases get None."""
    x, in_w, in_bias, out_w, out_bias, c, att, h = cache
    dy = np.asarray(dy, dtype=float)
    d_out_w = np.einsum("nli,nlj->ij", dy, c)
    d_out_b = dy.sum(axis=(0, 1)) if out_bias else None
    dq, dk, dv = attention_backward(_heads(dy @ out_w, h), att)
    dproj = np.concatenate([_merge(dq), _merge(dk), _merge(dv)], axis=-1)
    d_in_w = np.einsum("nli,nlj->ij", dproj, x)
    d_in_b = dproj.sum(axis=(0, 1)) if in_bias else None
    return dproj @ in_w, d_in_w, d_in_b, d_out_w, d_out_b

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


def mha_forward(query, key, value, w_q, w_k, w_v, in_b, out_w, out_b, num_heads,
                bias_k=None, bias_v=None, zero_attn=False):
    """torch.nn.MultiheadAttention(E, h, batch_first=True)(query, key, value)[0].

    Shapes: query (N, L, E), key (N, S, kdim), value (N, S, vdim); w_q (E, E), w_k
    (E, kdim), w_v (E, vdim) (torch's in_proj_weight split in three when kdim = vdim = E);
    in_b (3E,) or None; out_w (E, E), out_b (E,) or None; bias_k, bias_v (1, 1, E) or None
    → y (N, L, E).  Q = query w_qᵀ + b_q, K = key w_kᵀ + b_k, V = value w_vᵀ + b_v; with
    bias_k and bias_v, K and V get one more position holding them (S + 1); they are split
    into h heads of E/h, and ``zero_attn`` appends a position of zeros to every head's K
    and V. Each head is softmax(Q_h K_hᵀ/√(E/h)) V_h; the heads are concatenated (C) and
    y = C out_wᵀ + out_b. Returns (y, cache).
    """
    query, key, value = (np.asarray(a, dtype=float) for a in (query, key, value))
    b_q, b_k, b_v = np.split(in_b, 3) if in_b is not None else (0.0, 0.0, 0.0)
    q, k, v = query @ w_q.T + b_q, key @ w_k.T + b_k, value @ w_v.T + b_v
    if bias_k is not None:
        n, e = k.shape[0], k.shape[-1]
        k = np.concatenate([k, np.broadcast_to(bias_k.reshape(1, 1, e), (n, 1, e))], axis=1)
        v = np.concatenate([v, np.broadcast_to(bias_v.reshape(1, 1, e), (n, 1, e))], axis=1)
    q, k, v = (_heads(t, num_heads) for t in (q, k, v))
    if zero_attn:
        k, v = (np.concatenate([t, np.zeros_like(t[:, :, :1])], axis=2) for t in (k, v))
    heads, att = attention_forward(q, k, v)
    c = _merge(heads)
    y = c @ out_w.T + (out_b if out_b is not None else 0.0)
    inputs = (query, key, value, w_q, w_k, w_v, out_w)
    flags = (in_b is not None, out_b is not None, bias_k is not None, zero_attn)
    return y, (inputs, flags, c, att, num_heads)


def mha_backward(dy, cache):
    """(d query, d key, d value, d w_q, d w_k, d w_v, d in_b, d out_w, d out_b, d bias_k,
    d bias_v), by the chain rule through the projections and :func:`attention_backward`;
    what was not given gets None. The appended zero position passes nothing back; the
    bias_k/bias_v position sums its gradient over the batch."""
    (query, key, value, w_q, w_k, w_v, out_w), flags, c, att, h = cache
    in_bias, out_bias, bias_kv, zero_attn = flags
    dy = np.asarray(dy, dtype=float)
    d_out_w = np.einsum("nli,nlj->ij", dy, c)
    d_out_b = dy.sum(axis=(0, 1)) if out_bias else None
    dq, dk, dv = attention_backward(_heads(dy @ out_w, h), att)
    if zero_attn:
        dk, dv = dk[:, :, :-1], dv[:, :, :-1]
    dq, dk, dv = _merge(dq), _merge(dk), _merge(dv)
    d_bias_k = d_bias_v = None
    if bias_kv:
        e = dk.shape[-1]
        d_bias_k, d_bias_v = (t[:, -1].sum(axis=0).reshape(1, 1, e) for t in (dk, dv))
        dk, dv = dk[:, :-1], dv[:, :-1]
    d_in_b = np.concatenate([t.sum(axis=(0, 1)) for t in (dq, dk, dv)]) if in_bias else None
    dws = [np.einsum("nli,nlj->ij", d, x) for d, x in ((dq, query), (dk, key), (dv, value))]
    return (dq @ w_q, dk @ w_k, dv @ w_v, *dws, d_in_b, d_out_w, d_out_b, d_bias_k,
            d_bias_v)

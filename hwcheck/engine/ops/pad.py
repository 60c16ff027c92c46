"""Padding of the trailing axes by copying the input (torch.nn.functional.pad's ``reflect``,
``replicate`` and ``circular`` modes), forward and backward. A conv layer with a
``padding_mode`` other than zeros pads with it and then convolves without padding, as
torch's Conv1d/Conv2d do.

Every padded position copies one input position, so the forward is a gather along each
padded axis and the backward the scatter-add of the same indices (a position copied
twice, as a reflected row is, gathers both gradients).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pad_forward", "pad_backward", "pad_limit", "MODES"]

MODES = ("reflect", "replicate", "circular")


def pad_limit(mode: str, size: int) -> int:
    """The largest padding torch accepts on an axis of ``size``: reflect needs padding <
    size (the edge is not repeated), circular padding ≤ size; replicate has no limit."""
    return {"reflect": size - 1, "circular": size}.get(mode, 1 << 31)


def _source(n: int, p: int, mode: str) -> np.ndarray:
    """For each of the n + 2p padded positions, the input position it copies."""
    j = np.arange(-p, n + p)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    if n == 1:                           # reflect needs p < n: here p = 0
        return np.zeros_like(j)
    period = 2 * (n - 1)                  # … 2 1 | 0 1 2 … n-1 | n-2 …
    j = np.abs(j) % period
    return np.where(j < n, j, period - j)


def pad_forward(x, padding, mode: str):
    """Shapes: x (..., S_1, …, S_k), padding (p_1, …, p_k) for the last k axes →
    y (..., S_1 + 2p_1, …, S_k + 2p_k), y[…, i_1, …] = x[…, s_1(i_1), …], s the mode's
    source index (reflect: about the edge, not repeating it; replicate: the edge;
    circular: wrapping round).

    Returns (y, cache) with cache = (the index arrays, x's shape).
    """
    x = np.asarray(x, dtype=float)
    k = len(padding)
    lead = x.ndim - k
    index = [np.arange(x.shape[a]).reshape((-1,) + (1,) * (x.ndim - a - 1))
             for a in range(lead)]
    for a, p in enumerate(padding):
        src = _source(x.shape[lead + a], p, mode)
        index.append(src.reshape((-1,) + (1,) * (k - a - 1)))
    index = tuple(np.broadcast_arrays(*index))
    return x[index], (index, x.shape)


def pad_backward(dy, cache):
    """(dx,): dx[s] = Σ of dy over the padded positions that copy s."""
    index, shape = cache
    dx = np.zeros(shape)
    np.add.at(dx, index, np.asarray(dy, dtype=float))
    return (dx,)

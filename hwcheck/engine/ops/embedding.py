"""Embedding lookup (torch.nn.Embedding), forward and backward.

The input holds integer indices, so it has no gradient: the backward returns None for it,
and the graph leaves ``grad.input`` out rather than inventing zeros.
"""

from __future__ import annotations

import numpy as np

__all__ = ["embedding_forward", "embedding_backward", "as_indices"]


def as_indices(x, num: int) -> np.ndarray:
    """x as an integer array, refusing anything that is not a whole number in [0, num)."""
    x = np.asarray(x)
    idx = np.rint(x).astype(np.int64) if x.dtype.kind == "f" else x.astype(np.int64)
    if x.dtype.kind == "f" and not np.array_equal(idx, x):
        raise ValueError("embedding indices must be whole numbers")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise ValueError(f"embedding indices must lie in 0..{num - 1}; got "
                         f"{idx.min()}..{idx.max()}")
    return idx


def embedding_forward(x, weight):
    """Shapes: x (...) of indices in [0, V), weight (V, D) → y (..., D), y[…] = weight[x[…]].

    Returns (y, cache) with cache = (indices, V).
    """
    weight = np.asarray(weight, dtype=float)
    idx = as_indices(x, weight.shape[0])
    return weight[idx], (idx, weight.shape[0])


def embedding_backward(dy, cache, padding_idx: int | None = None):
    """(None, dweight): dweight[v] = Σ of dy over the positions whose index is v, except
    dweight[padding_idx] = 0 (torch's padding row: read, never learned; ``padding_idx`` in
    [0, V)); the indices have no gradient."""
    idx, num = cache
    dy = np.asarray(dy, dtype=float)
    dw = np.zeros((num, dy.shape[-1]))
    np.add.at(dw, idx.reshape(-1), dy.reshape(-1, dy.shape[-1]))
    if padding_idx is not None:
        dw[padding_idx] = 0.0
    return None, dw

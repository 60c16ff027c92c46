"""Layer normalisation (torch.nn.LayerNorm), forward and backward.

The statistics are taken over the trailing ``k`` dimensions of x (k = the length of
``normalized_shape``), per leading index, with the biased variance, as torch does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["layernorm_forward", "layernorm_backward"]


def layernorm_forward(x, weight=None, bias=None, k=1, eps=1e-5):
    """Shapes: x (..., *S) with S the last ``k`` dims; weight, bias S or None → y like x.

        μ = mean_S x,  σ² = mean_S (x − μ)²,  x̂ = (x − μ)/√(σ² + ε),  y = x̂·weight + bias

    Returns (y, cache) with cache = (x̂, 1/√(σ² + ε), weight, has_bias, k).
    """
    x = np.asarray(x, dtype=float)
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
    xhat = (x - mu) * inv
    y = xhat * weight if weight is not None else xhat.copy()
    if bias is not None:
        y = y + bias
    return y, (xhat, inv, weight, bias is not None, k)


def layernorm_backward(dy, cache):
    """(dx, dweight, dbias); a gradient is None for an absent weight or bias.

        g = dy·weight,  dx = (g − mean_S g − x̂·mean_S(g·x̂)) / √(σ² + ε)
        dweight = Σ_leading dy·x̂,  dbias = Σ_leading dy
    """
    xhat, inv, weight, has_bias, k = cache
    dy = np.asarray(dy, dtype=float)
    axes = tuple(range(dy.ndim - k, dy.ndim))
    lead = tuple(range(dy.ndim - k))
    g = dy * weight if weight is not None else dy
    dx = inv * (g - g.mean(axis=axes, keepdims=True)
                - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    dw = (dy * xhat).sum(axis=lead) if weight is not None else None
    db = dy.sum(axis=lead) if has_bias else None
    return dx, dw, db

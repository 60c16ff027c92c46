"""Batch normalisation in training mode (batch statistics), forward and backward."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "batchnorm2d_forward", "batchnorm2d_backward",
    "batchnorm1d_forward", "batchnorm1d_backward",
]


class BatchNormCache(NamedTuple):
    xhat: np.ndarray        # normalised input, same shape as x
    inv_std: np.ndarray     # 1 / sqrt(var + eps), broadcastable to x
    gamma: np.ndarray | None
    has_beta: bool
    axes: tuple[int, ...]   # the reduced axes: all but the channel axis 1
    mean: np.ndarray        # (C,) batch mean, for a caller's running statistics
    var: np.ndarray         # (C,) biased batch variance


def _bn_forward(x, gamma, beta, eps, what):
    axes = (0,) + tuple(range(2, x.ndim))
    c = x.shape[1]
    if x.size // c <= 1:
        raise ValueError(f"{what}: expected more than 1 value per channel in training mode, got {x.shape}")
    shape = [1] * x.ndim
    shape[1] = c
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    y = xhat
    if gamma is not None:
        gamma = np.asarray(gamma, dtype=float)
        if gamma.shape != (c,):
            raise ValueError(f"{what}: gamma must have shape ({c},), got {gamma.shape}")
        y = y * gamma.reshape(shape)
    if beta is not None:
        beta = np.asarray(beta, dtype=float)
        if beta.shape != (c,):
            raise ValueError(f"{what}: beta must have shape ({c},), got {beta.shape}")
        y = y + beta.reshape(shape)
    cache = BatchNormCache(xhat, inv_std, gamma, beta is not None, axes, mean.reshape(c), var.reshape(c))
    return y, cache


def _bn_backward(dy, cache):
    xhat, inv_std, gamma, has_beta, axes, _, _ = cache
    dy = np.asarray(dy, dtype=float)
    if dy.shape != xhat.shape:
        raise ValueError(f"batchnorm backward: dy has shape {dy.shape}, expected {xhat.shape}")
    m = xhat.size // xhat.shape[1]
    dgamma = (dy * xhat).sum(axis=axes) if gamma is not None else None
    dbeta = dy.sum(axis=axes) if has_beta else None
    dxhat = dy if gamma is None else dy * gamma.reshape(inv_std.shape)
    # The mean and variance depend on every x, hence the two correction terms.
    s1 = dxhat.sum(axis=axes, keepdims=True)
    s2 = (dxhat * xhat).sum(axis=axes, keepdims=True)
    dx = inv_std * (dxhat - s1 / m - xhat * (s2 / m))
    return dx, dgamma, dbeta


def batchnorm2d_forward(x, gamma=None, beta=None, eps=1e-5):
    """Training-mode BatchNorm2d on x (N, C, H, W); gamma, beta (C,) or None (= 1, 0).

        mu_c = mean_{n,h,w} x,  var_c = mean_{n,h,w} (x - mu_c)^2   (biased, as torch normalises)
        y = gamma_c * (x - mu_c) / sqrt(var_c + eps) + beta_c

    Returns (y (N, C, H, W), BatchNormCache); the cache's mean and var are the batch
    statistics.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 4:
        raise ValueError(f"batchnorm2d expects x (N, C, H, W), got {x.shape}")
    return _bn_forward(x, gamma, beta, eps, "batchnorm2d")


def batchnorm2d_backward(dy, cache):
    """dy (N, C, H, W) -> (dx (N,C,H,W), dgamma (C,) or None, dbeta (C,) or None).

    With m = N*H*W and g = dy * gamma:
        dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)
        dgamma = sum dy * xhat,   dbeta = sum dy        (sums over n, h, w)
    """
    return _bn_backward(dy, cache)


def batchnorm1d_forward(x, gamma=None, beta=None, eps=1e-5):
    """Training-mode BatchNorm1d on x (N, F) (or (N, C, L), as torch); gamma, beta (F,) or None.

    Same formula as batchnorm2d with statistics over N (and L).  Returns (y, BatchNormCache).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3):
        raise ValueError(f"batchnorm1d expects x (N, F) or (N, C, L), got {x.shape}")
    return _bn_forward(x, gamma, beta, eps, "batchnorm1d")


def batchnorm1d_backward(dy, cache):
    """dy like x -> (dx, dgamma (F,) or None, dbeta (F,) or None); formula as batchnorm2d."""
    return _bn_backward(dy, cache)

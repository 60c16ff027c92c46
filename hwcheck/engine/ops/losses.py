"""Losses: cross-entropy on probabilities, cross-entropy on logits, mean squared error.

Each forward returns ``(E, cache)`` with E a Python float; each backward takes the upstream
scalar dE (1.0 for the loss itself) and returns ``(grad,)``, the gradient with respect to the
forward's first argument only (the target is data).

Shapes follow torch: a 1-D input is one sample whose classes lie along axis 0; an input of
shape (N, C, ...) has its classes along axis 1.  ``reduction='sum'`` adds over everything;
``'mean'`` divides by the number of samples, size / C, as torch's cross_entropy does (for a
single vector 'sum' and 'mean' agree).  MSE's 'mean' divides by every element, as MSELoss.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax

__all__ = [
    "cross_entropy_forward", "cross_entropy_backward",
    "cross_entropy_logits_forward", "cross_entropy_logits_backward",
    "mse_forward", "mse_backward",
]


def _class_axis(a):
    if a.ndim == 0:
        raise ValueError("a loss needs at least a 1-D input")
    return 0 if a.ndim == 1 else 1


def _scale(a, reduction, per_element=False):
    if reduction == "sum":
        return 1.0
    if reduction == "mean":
        count = a.size if per_element else a.size // a.shape[_class_axis(a)]
        return 1.0 / max(count, 1)
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def _pair(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"{what}: input {a.shape} and target {b.shape} must have the same shape")
    return a, b


def cross_entropy_forward(q, p, reduction="sum"):
    """E = -sum p * ln q on probabilities q (the output of a softmax), target p; same shapes.

    Terms with p = 0 count as 0 even where q = 0 (the x log y convention), so a one-hot
    target does not poison E with 0 * -inf.  Returns (E, cache) with cache = (q, p, scale),
    scale = 1 for 'sum' and 1/samples for 'mean'.
    """
    q, p = _pair(q, p, "cross_entropy")
    scale = _scale(q, reduction)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p == 0, 0.0, p * np.log(q))
    return float(-scale * terms.sum()), (q, p, scale)


def cross_entropy_backward(dE, cache):
    """(dq,) with dq = -dE * scale * p / q (0 where p = 0)."""
    q, p, scale = cache
    with np.errstate(divide="ignore", invalid="ignore"):
        dq = np.where(p == 0, 0.0, -p / q)
    return (float(dE) * scale * dq,)


def cross_entropy_logits_forward(z, p, reduction="sum"):
    """E = -sum p * log_softmax(z) over the class axis, i.e. softmax folded into the loss.

    Stable for any logits (log-softmax subtracts the max).  Shapes of z and p agree; p is a
    probability target like torch.nn.functional.cross_entropy(z, p).  Returns (E, cache) with
    cache = (q, p, scale, axis), q = softmax(z).
    """
    z, p = _pair(z, p, "cross_entropy_logits")
    axis = _class_axis(z)
    scale = _scale(z, reduction)
    logq = log_softmax(z, axis=axis)
    terms = np.where(p == 0, 0.0, p * logq)
    return float(-scale * terms.sum()), (np.exp(logq), p, scale, axis)


def cross_entropy_logits_backward(dE, cache):
    """(dz,) with dz = dE * scale * (q * sum_class(p) - p); for sum(p) = 1 that is q - p."""
    q, p, scale, axis = cache
    dz = q * p.sum(axis=axis, keepdims=True) - p
    return (float(dE) * scale * dz,)


def mse_forward(y, t, reduction="sum"):
    """E = sum (y - t)^2, divided by y.size for 'mean' (torch's MSELoss; no 1/2 factor).

    Any shape, y and t equal.  Returns (E, cache) with cache = (diff, scale), diff = y - t.
    """
    y, t = _pair(y, t, "mse")
    scale = _scale(y, reduction, per_element=True)
    diff = y - t
    return float(scale * np.sum(diff * diff)), (diff, scale)


def mse_backward(dE, cache):
    """(dy,) with dy = 2 * dE * scale * (y - t)."""
    diff, scale = cache
    return (2.0 * float(dE) * scale * diff,)

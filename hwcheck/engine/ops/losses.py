"""Loss op pairs: cross-entropy (probabilities or logits), nll, mse, bce (probabilities or
logits), l1, smooth L1 and Huber. The registry that names them is ``engine/losses.py``.

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
    "mse_forward", "mse_backward", "one_hot", "nll_forward", "nll_backward",
    "bce_forward", "bce_backward", "bce_logits_forward", "bce_logits_backward",
    "l1_forward", "l1_backward", "smooth_l1_forward", "smooth_l1_backward",
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


def _mean_scale(a, reduction):
    return _scale(a, reduction, per_element=True)


def one_hot(index, like):
    """Class indices → a one-hot array shaped as ``like`` (classes on torch's class axis).

    ``index`` has ``like``'s shape without the class axis; every entry must be a whole
    number in [0, C).
    """
    like = np.asarray(like, dtype=float)
    axis = _class_axis(like)
    index = np.asarray(index, dtype=float)
    classes = like.shape[axis]
    want = like.shape[:axis] + like.shape[axis + 1:]
    if index.shape != want:
        raise ValueError(f"class indices of shape {index.shape}; the output {like.shape} "
                         f"needs {want}")
    if np.any(index != np.round(index)) or np.any(index < 0) or np.any(index >= classes):
        raise ValueError(f"class indices must be whole numbers from 0 to {classes - 1}")
    hot = np.arange(classes) == index.astype(int)[..., None]
    return np.moveaxis(hot.astype(float), -1, axis)


def nll_forward(x, p, reduction="mean"):
    """E = -sum p * x on log-probabilities x with a one-hot target p (torch's nll_loss).

    Same shapes; 'mean' divides by the number of samples.  Returns (E, cache).
    """
    x, p = _pair(x, p, "nll")
    scale = _scale(x, reduction)
    return float(-scale * np.sum(p * x)), (p, scale)


def nll_backward(dE, cache):
    """(dx,) with dx = -dE * scale * p."""
    p, scale = cache
    return (-float(dE) * scale * p,)


def bce_forward(y, t, reduction="mean"):
    """E = -sum [t ln y + (1 - t) ln(1 - y)], y in [0, 1] (torch's binary_cross_entropy).

    Each log is clamped at -100 as torch does, so y = 0 or 1 gives a finite E.
    'mean' divides by every element.  Returns (E, cache) with cache = (y, t, scale).
    """
    y, t = _pair(y, t, "bce")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("bce needs an output between 0 and 1 (a probability)")
    scale = _mean_scale(y, reduction)
    with np.errstate(divide="ignore"):
        logy, log1y = np.maximum(np.log(y), -100.0), np.maximum(np.log1p(-y), -100.0)
    return float(-scale * np.sum(t * logy + (1 - t) * log1y)), (y, t, scale)


def bce_backward(dE, cache):
    """(dy,) with dy = dE * scale * (y - t) / max(y (1 - y), 1e-12), as torch."""
    y, t, scale = cache
    return (float(dE) * scale * (y - t) / np.maximum(y * (1 - y), 1e-12),)


def bce_logits_forward(z, t, reduction="mean"):
    """E = sum [max(z, 0) - z t + ln(1 + e^-|z|)] = bce(sigmoid(z), t), stable for any z.

    'mean' divides by every element.  Returns (E, cache) with cache = (sigmoid(z), t, scale).
    """
    z, t = _pair(z, t, "bce_with_logits")
    scale = _mean_scale(z, reduction)
    terms = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    s = np.exp(-np.logaddexp(0.0, -z))
    return float(scale * np.sum(terms)), (s, t, scale)


def bce_logits_backward(dE, cache):
    """(dz,) with dz = dE * scale * (sigmoid(z) - t)."""
    s, t, scale = cache
    return (float(dE) * scale * (s - t),)


def l1_forward(y, t, reduction="mean"):
    """E = sum |y - t|, over every element for 'mean' (torch's l1_loss)."""
    y, t = _pair(y, t, "l1")
    scale = _mean_scale(y, reduction)
    return float(scale * np.sum(np.abs(y - t))), (y - t, scale)


def l1_backward(dE, cache):
    """(dy,) with dy = dE * scale * sign(y - t) (0 where y = t, as torch)."""
    diff, scale = cache
    return (float(dE) * scale * np.sign(diff),)


def smooth_l1_forward(y, t, reduction="mean", beta=1.0, huber=False):
    """Per element d = y - t: |d| < beta → d²/(2 beta), else |d| - beta/2 (smooth_l1_loss).

    With ``huber`` (huber_loss, delta = beta): |d| < delta → d²/2, else
    delta (|d| - delta/2), i.e. smooth_l1 times delta.  beta = 0 gives l1 (smooth_l1 only).
    """
    y, t = _pair(y, t, "huber" if huber else "smooth_l1")
    if beta < 0 or (huber and beta == 0):
        raise ValueError("beta (delta) must be positive")
    scale = _mean_scale(y, reduction)
    d = y - t
    a = np.abs(d)
    if beta == 0:
        terms = a
    elif huber:
        terms = np.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
    else:
        terms = np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
    return float(scale * np.sum(terms)), (d, scale, beta, huber)


def smooth_l1_backward(dE, cache):
    """(dy,) with dy = dE * scale * (d/beta inside, sign(d) outside).

    Huber: d inside, delta * sign(d) outside.
    """
    d, scale, beta, huber = cache
    if beta == 0:
        g = np.sign(d)
    elif huber:
        g = np.where(np.abs(d) < beta, d, beta * np.sign(d))
    else:
        g = np.where(np.abs(d) < beta, d / beta, np.sign(d))
    return (float(dE) * scale * g,)

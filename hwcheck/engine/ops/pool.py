"""2-D max and average pooling with PyTorch's exact rules, forward and backward.

Layout (N, C, H, W).  Like conv, both pools loop over the kh*kw kernel offsets and touch whole
strided views of the image per offset; nothing loops over pixels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .shapes import output_size, pair

__all__ = [
    "maxpool2d_forward", "maxpool2d_backward",
    "avgpool2d_forward", "avgpool2d_backward",
]


def _geometry(x, kernel, stride, padding, dilation, ceil_mode, what):
    if x.ndim != 4:
        raise ValueError(f"{what} expects x of shape (N, C, H, W), got {x.shape}")
    k = pair(kernel, "kernel")
    s = k if stride is None else pair(stride, "stride")
    p, d = pair(padding, "padding"), pair(dilation, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"{what}: kernel, stride and dilation must be >= 1 and padding >= 0")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        # torch refuses this too: a window could then lie wholly in the padding.
        raise ValueError(f"{what}: padding {p} must be at most half the kernel {k}")
    out = tuple(output_size(x.shape[2 + a], k[a], s[a], p[a], d[a], ceil_mode) for a in (0, 1))
    if min(out) < 1:
        raise ValueError(f"{what}: output would be {out[0]}x{out[1]} for input {x.shape[2:]}")
    return k, s, p, d, out


class MaxPoolCache(NamedTuple):
    x_shape: tuple[int, ...]
    flat: np.ndarray        # (N, C, Ho, Wo) flat index into x of each window's argmax, -1 if none


def maxpool2d_forward(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling, as torch.nn.functional.max_pool2d.

    x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = output_size(H, kh, sh, ph, dh, ceil_mode).
        y[n,c,r,s] = max_{i,j valid} x[n, c, r*sh + i*dh - ph, s*sw + j*dw - pw]
    stride defaults to kernel.  Padding cells never win.  Ties go to the first maximum in
    row-major window order; a NaN wins (the last NaN, as in torch's CPU kernel).
    Returns (y, MaxPoolCache).
    """
    x = np.asarray(x, dtype=float)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = _geometry(
        x, kernel, stride, padding, dilation, ceil_mode, "maxpool2d")
    n, c, h, wd = x.shape
    # Absolute input row/col that tap (i, j) reads for each output row/col.
    rows = np.arange(ho)[:, None] * sh + np.arange(kh)[None, :] * dh - ph   # (Ho, kh)
    cols = np.arange(wo)[:, None] * sw + np.arange(kw)[None, :] * dw - pw   # (Wo, kw)
    rvalid, cvalid = (rows >= 0) & (rows < h), (cols >= 0) & (cols < wd)
    rows_c, cols_c = np.clip(rows, 0, h - 1), np.clip(cols, 0, wd - 1)

    best = np.full((n, c, ho, wo), -np.inf)
    arg_r = np.full((n, c, ho, wo), -1, dtype=np.intp)
    arg_c = np.full((n, c, ho, wo), -1, dtype=np.intp)
    for i in range(kh):
        for j in range(kw):
            valid = rvalid[:, i, None] & cvalid[None, :, j]                     # (Ho, Wo)
            val = x[:, :, rows_c[:, i, None], cols_c[None, :, j]]             # (N, C, Ho, Wo)
            upd = valid & ((val > best) | np.isnan(val))
            best = np.where(upd, val, best)
            arg_r = np.where(upd, rows_c[:, i, None], arg_r)
            arg_c = np.where(upd, cols_c[None, :, j], arg_c)
    # Windows whose valid cells are all -inf never updated: torch points them at the first
    # valid cell, which is the first in-range row and column of the window.
    first_r = rows_c[np.arange(ho), rvalid.argmax(axis=1)]
    first_c = cols_c[np.arange(wo), cvalid.argmax(axis=1)]
    untouched = arg_r < 0
    arg_r = np.where(untouched, first_r[:, None], arg_r)
    arg_c = np.where(untouched, first_c[None, :], arg_c)
    base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * (h * wd)
    flat = base[:, :, None, None] + arg_r * wd + arg_c
    # With dilation a window can hold no input cell at all; torch outputs -inf there and its
    # gradient goes nowhere, which flat = -1 records.
    empty = ~rvalid.any(axis=1)[:, None] | ~cvalid.any(axis=1)[None, :]
    flat = np.where(empty, -1, flat)
    return best, MaxPoolCache(x.shape, flat)


def maxpool2d_backward(dy, cache: MaxPoolCache):
    """dy (N, C, Ho, Wo) -> (dx,) with dx (N, C, H, W): each dy goes to its window's argmax.

        dx[argmax(n,c,r,s)] += dy[n,c,r,s]     (overlapping windows accumulate)
    """
    dy = np.asarray(dy, dtype=float)
    if dy.shape != cache.flat.shape:
        raise ValueError(f"maxpool2d_backward: dy has shape {dy.shape}, expected {cache.flat.shape}")
    size = int(np.prod(cache.x_shape))
    flat, dy = cache.flat.ravel(), dy.ravel()
    keep = flat >= 0
    dx = np.bincount(flat[keep], weights=dy[keep], minlength=size)
    return (dx.reshape(cache.x_shape),)


class AvgPoolCache(NamedTuple):
    x_shape: tuple[int, ...]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    divisor: np.ndarray     # (Ho, Wo)


def _avg_divisor(size, k, s, p, out, count_include_pad):
    """Per-output divisor along one axis, torch's avg_pool2d rule.

    With count_include_pad the window is clipped to [-p, size + p) (padding counts, overhang
    past it does not); without, to [0, size).
    """
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avgpool2d_forward(x, kernel, stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None):
    """Average pooling, as torch.nn.functional.avg_pool2d (same defaults).

    x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = output_size(H, kh, sh, ph, 1, ceil_mode).
        y[n,c,r,s] = sum_{i,j} xpad[n, c, r*sh + i, s*sw + j] / D[r,s]
    with zero padding, and D = divisor_override, or the window's area clipped as in
    _avg_divisor (padding counted iff count_include_pad).  Returns (y, AvgPoolCache).
    """
    x = np.asarray(x, dtype=float)
    (kh, kw), (sh, sw), (ph, pw), _, (ho, wo) = _geometry(
        x, kernel, stride, padding, 1, ceil_mode, "avgpool2d")
    xp = _pad_to(x, (kh, kw), (sh, sw), (ph, pw), (ho, wo))
    y = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(kh):
        for j in range(kw):
            y += xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
    if divisor_override is not None:
        divisor = np.full((ho, wo), float(divisor_override))
    else:
        dr = _avg_divisor(x.shape[2], kh, sh, ph, ho, count_include_pad)
        dc = _avg_divisor(x.shape[3], kw, sw, pw, wo, count_include_pad)
        divisor = np.outer(dr, dc).astype(float)
    y /= divisor
    return y, AvgPoolCache(x.shape, (kh, kw), (sh, sw), (ph, pw), divisor)


def avgpool2d_backward(dy, cache: AvgPoolCache):
    """dy (N, C, Ho, Wo) -> (dx,): dxpad[n,c,r*sh+i, s*sw+j] += dy[n,c,r,s] / D[r,s]."""
    x_shape, (kh, kw), (sh, sw), (ph, pw), divisor = cache
    ho, wo = divisor.shape
    dy = np.asarray(dy, dtype=float)
    if dy.shape != x_shape[:2] + (ho, wo):
        raise ValueError(f"avgpool2d_backward: dy has shape {dy.shape}, expected {x_shape[:2] + (ho, wo)}")
    g = dy / divisor
    hp = max(x_shape[2] + 2 * ph, sh * (ho - 1) + kh)
    wp = max(x_shape[3] + 2 * pw, sw * (wo - 1) + kw)
    dxp = np.zeros(x_shape[:2] + (hp, wp))
    if (kh, kw) == (sh, sw) and not (ph or pw):
        # Non-overlapping tiles (p1's 2x2): one broadcast write instead of k^2 adds.
        tiles = dxp[:, :, :ho * kh, :wo * kw].reshape(*x_shape[:2], ho, kh, wo, kw)
        tiles[...] = g[:, :, :, None, :, None]
    else:
        for i in range(kh):
            for j in range(kw):
                dxp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += g
    return (np.ascontiguousarray(dxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]]),)


def _pad_to(x, k, s, p, out):
    """Zero-pad so every window, including ceil_mode's overhanging last one, is in range."""
    pads = []
    for a in (0, 1):
        need = s[a] * (out[a] - 1) + k[a]
        pads.append((p[a], max(p[a], need - x.shape[2 + a] - p[a])))
    if not any(l or r for l, r in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))

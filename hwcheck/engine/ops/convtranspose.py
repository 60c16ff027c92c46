"""2-D transposed convolution (torch.nn.ConvTranspose2d), forward and backward.

Layout (N, C, H, W). Each kernel tap scatters the whole input, scaled by that tap's weights,
into a strided view of the (padded) output: kh·kw whole-image operations, no pixel loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["convtranspose2d_forward", "convtranspose2d_backward", "convtranspose_size"]


def convtranspose_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """(size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1 (torch's)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def _view(t, i, j, hw, stride, dilation):
    (h, w), (sh, sw), (dh, dw) = hw, stride, dilation
    return t[..., i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (w - 1) + 1:sw]


def convtranspose2d_forward(x, w, b=None, stride=(1, 1), padding=(0, 0),
                            output_padding=(0, 0), dilation=(1, 1), groups=1):
    """Shapes: x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw), b (Cout,) or None
    → y (N, Cout, Ho, Wo), Ho = :func:`convtranspose_size` (same for Wo).

        full[n, g·Og + o, r·sh + i·dh, s·sw + j·dw] += Σ_c x[n, g·Cg + c, r, s]·w[g·Cg + c, o, i, j]
        y = full cropped by ``padding`` at the start of each axis, + b[o]

    Returns (y, cache).
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = cin // groups
    ho, wo = (convtranspose_size(s, k, st, p, op, d) for s, k, st, p, op, d in
              zip((h, wd), (kh, kw), stride, padding, output_padding, dilation))
    full = np.zeros((n, groups, og, ho + 2 * padding[0], wo + 2 * padding[1]))
    xg = x.reshape(n, groups, cg, h, wd)
    wg = w.reshape(groups, cg, og, kh, kw)
    for i in range(kh):
        for j in range(kw):
            _view(full, i, j, (h, wd), stride, dilation)[...] += \
                np.einsum("ngchw,gco->ngohw", xg, wg[..., i, j])
    y = full[..., padding[0]:padding[0] + ho, padding[1]:padding[1] + wo]
    y = y.reshape(n, groups * og, ho, wo)
    if b is not None:
        y = y + np.asarray(b, dtype=float)[None, :, None, None]
    return y, (x, w, b is not None, stride, padding, dilation, groups, full.shape)


def convtranspose2d_backward(dy, cache):
    """(dx, dw, db): each tap gathers from the same strided view of the padded dy that the
    forward scattered into.

        dx[n, g·Cg + c, r, s] = Σ_{o,i,j} dfull[n, g·Og + o, r·sh + i·dh, s·sw + j·dw]·w[…, o, i, j]
        dw[g·Cg + c, o, i, j] = Σ_{n,r,s} x[n, g·Cg + c, r, s]·dfull[n, g·Og + o, r·sh + i·dh, …]
        db[o] = Σ_{n,r,s} dy[n, o, r, s]
    """
    x, w, has_bias, stride, padding, dilation, groups, full_shape = cache
    dy = np.asarray(dy, dtype=float)
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = cin // groups
    ho, wo = dy.shape[-2:]
    dfull = np.zeros(full_shape)
    dfull[..., padding[0]:padding[0] + ho, padding[1]:padding[1] + wo] = \
        dy.reshape(n, groups, og, ho, wo)
    xg = x.reshape(n, groups, cg, h, wd)
    wg = w.reshape(groups, cg, og, kh, kw)
    dxg = np.zeros_like(xg)
    dwg = np.zeros_like(wg)
    for i in range(kh):
        for j in range(kw):
            view = _view(dfull, i, j, (h, wd), stride, dilation)
            dxg += np.einsum("ngohw,gco->ngchw", view, wg[..., i, j])
            dwg[..., i, j] = np.einsum("ngchw,ngohw->gco", xg, view)
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    return dxg.reshape(x.shape), dwg.reshape(w.shape), db

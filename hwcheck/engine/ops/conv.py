"""2-D convolution with PyTorch semantics (cross-correlation), forward and backward.

Layout is (N, C, H, W) throughout.  The kernel is applied as a loop over its kh*kw
offsets: each offset contributes one shifted, strided view of the padded input, contracted
over input channels.  That is k^2 whole-image numpy operations, never a loop over pixels, and
for the single-channel case of p1 it beats im2col because nothing of size H*W*k^2 is ever
materialised.  The single-channel path runs its k^2 passes over one cache-sized tile of
output rows at a time, so its cost grows linearly in pixels * k^2.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .shapes import output_size, pair

__all__ = ["conv2d_forward", "conv2d_backward"]


class ConvCache(NamedTuple):
    xp: np.ndarray          # zero-padded input, (N, Cin, H + 2ph, W + 2pw)
    w: np.ndarray           # (Cout, Cin/groups, kh, kw)
    has_bias: bool
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_hw: tuple[int, int]


def _offset_view(xp, i, j, geo, rows=None):
    """The input pixels that kernel tap (i, j) meets, for every output pixel: (..., Ho, Wo).

    ``rows = (r0, r1)`` narrows it to output rows r0 .. r1-1: (..., r1 - r0, Wo).
    """
    (sh, sw), (dh, dw), (ho, wo) = geo
    r0, r1 = rows or (0, ho)
    a, c0 = r0 * sh + i * dh, j * dw
    return xp[..., a:a + sh * (r1 - r0 - 1) + 1:sh, c0:c0 + sw * (wo - 1) + 1:sw]


#: Output elements per row tile in the single-channel path. A tile's accumulator, its
#: scratch buffer and the input rows it reads stay in a core's L2 cache while all k*k taps
#: pass over them, so the cost per pixel and tap stays flat as images grow (at 2n = 1024
#: whole-image passes run out of cache and cost twice as much per pixel). Large enough that
#: the extra numpy calls are noise at p1's sizes.
TILE_ELEMENTS = 32768


def _row_tiles(n: int, ho: int, wo: int) -> list[tuple[int, int]]:
    rows = max(1, TILE_ELEMENTS // max(1, n * wo))
    return [(r0, min(ho, r0 + rows)) for r0 in range(0, ho, rows)]


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation, as torch.nn.functional.conv2d.

    Shapes: x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), b (Cout,) or None
    -> y (N, Cout, Ho, Wo) with Ho = floor((H + 2ph - dh(kh-1) - 1)/sh) + 1 (same for Wo).

    Formula (group g owns output channels o and input channels c of its slice):
        y[n,o,r,s] = b[o] + sum_{c,i,j} w[o,c,i,j] * xpad[n, g*Cin_g + c, r*sh + i*dh, s*sw + j*dw]

    Returns (y, cache) with cache a ConvCache.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"conv2d expects x (N,C,H,W) and w (Cout,Cin/g,kh,kw), got {x.shape} and {w.shape}")
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    groups = int(groups)
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    if groups < 1 or cin % groups or cout % groups or cin_g != cin // groups:
        raise ValueError(f"conv2d: Cin={cin}, Cout={cout} and weight {w.shape} do not fit groups={groups}")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError("conv2d: stride and dilation must be >= 1 and padding >= 0")
    ho = output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = output_size(wd, kw, stride[1], padding[1], dilation[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d: kernel {kh}x{kw} (dilation {dilation}) is larger than padded input {h}x{wd}")
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    geo = (stride, dilation, (ho, wo))

    if groups == 1 and cin == 1 and cout == 1:
        # p1's shape: scalar taps, so each offset is one multiply-add over a row tile.
        y = np.zeros((n, 1, ho, wo))
        x2 = xp[:, 0]
        for rows in _row_tiles(n, ho, wo):
            acc = y[:, 0, rows[0]:rows[1]]
            tmp = np.empty_like(acc)
            for i in range(kh):
                for j in range(kw):
                    np.multiply(_offset_view(x2, i, j, geo, rows), w[0, 0, i, j], out=tmp)
                    acc += tmp
    else:
        # Per tap, a batched GEMM (G, Og, Cg) @ (N, G, Cg, Ho*Wo): BLAS does the channel sums.
        xg = xp.reshape(n, groups, cin_g, *xp.shape[2:])
        # Taps first and contiguous: matmul only reaches BLAS with contiguous operands.
        taps = np.ascontiguousarray(w.reshape(groups, cout // groups, cin_g, kh, kw).transpose(3, 4, 0, 1, 2))
        y = np.zeros((n, groups, cout // groups, ho * wo))
        for i in range(kh):
            for j in range(kw):
                cols = _offset_view(xg, i, j, geo).reshape(n, groups, cin_g, ho * wo)
                y += np.matmul(taps[i, j], cols)
        y = y.reshape(n, cout, ho, wo)
    if b is not None:
        b = np.asarray(b, dtype=float)
        if b.shape != (cout,):
            raise ValueError(f"conv2d: bias must have shape ({cout},), got {b.shape}")
        y += b[None, :, None, None]
    return y, ConvCache(xp, w, b is not None, stride, padding, dilation, groups, (ho, wo))


def conv2d_backward(dy, cache: ConvCache, need_dx: bool = True):
    """Gradients of conv2d_forward.

    dy (N, Cout, Ho, Wo) -> (dx (N,Cin,H,W), dw (Cout,Cin/g,kh,kw), db (Cout,) or None).

        dw[o,c,i,j] = sum_{n,r,s} dy[n,o,r,s] * xpad[n, c', r*sh + i*dh, s*sw + j*dw]
        dxpad[n,c',r*sh+i*dh, s*sw+j*dw] += sum_o dy[n,o,r,s] * w[o,c,i,j]   (then unpadded)
        db[o] = sum_{n,r,s} dy[n,o,r,s]

    need_dx=False skips dx (returned as None) when the input is data, not a parameter.
    """
    xp, w, has_bias, stride, padding, dilation, groups, (ho, wo) = cache
    n, cin = xp.shape[:2]
    cout, cin_g, kh, kw = w.shape
    dy = np.asarray(dy, dtype=float)
    if dy.shape != (n, cout, ho, wo):
        raise ValueError(f"conv2d_backward: dy has shape {dy.shape}, expected {(n, cout, ho, wo)}")
    geo = (stride, dilation, (ho, wo))
    dxp = np.zeros_like(xp) if need_dx else None

    if groups == 1 and cin == 1 and cout == 1:
        # Scalar taps: each weight gradient is a dot product over the image, and each tap's
        # share of dx a scaled add into a shifted view; both by row tile (see TILE_ELEMENTS).
        dw = np.zeros_like(w)
        dy2, x2 = dy[:, 0], xp[:, 0]
        dx2 = dxp[:, 0] if need_dx else None
        for rows in _row_tiles(n, ho, wo):
            dyt = dy2[:, rows[0]:rows[1]]
            tmp = np.empty_like(dyt) if need_dx else None
            for i in range(kh):
                for j in range(kw):
                    dw[0, 0, i, j] += np.einsum("nhw,nhw->", dyt,
                                                _offset_view(x2, i, j, geo, rows))
                    if need_dx:
                        np.multiply(dyt, w[0, 0, i, j], out=tmp)
                        target = _offset_view(dx2, i, j, geo, rows)
                        target += tmp
    else:
        xg = xp.reshape(n, groups, cin_g, *xp.shape[2:])
        og = cout // groups
        # (kh, kw, G, Cg, Og): each tap's transposed weight, contiguous for BLAS.
        taps_t = np.ascontiguousarray(w.reshape(groups, og, cin_g, kh, kw).transpose(3, 4, 0, 2, 1))
        dwg = np.empty((kh, kw, groups, og, cin_g))
        dxg = dxp.reshape(xg.shape) if need_dx else None
        # Batch folded into the GEMM's inner dimension: (G, Og, N*P) @ (G, N*P, Cg).
        dy_t = dy.reshape(n, groups, og, ho * wo).transpose(1, 2, 0, 3).reshape(groups, og, n * ho * wo)
        dy_g = dy.reshape(n, groups, og, ho * wo)
        for i in range(kh):
            for j in range(kw):
                view = _offset_view(xg, i, j, geo)
                cols = view.transpose(1, 2, 0, 3, 4).reshape(groups, cin_g, n * ho * wo)
                np.matmul(dy_t, cols.transpose(0, 2, 1), out=dwg[i, j])
                if need_dx:
                    contrib = np.matmul(taps_t[i, j], dy_g)   # (N, G, Cg, P)
                    _offset_view(dxg, i, j, geo)[...] += contrib.reshape(n, groups, cin_g, ho, wo)
        dw = dwg.transpose(2, 3, 4, 0, 1).reshape(w.shape)
    db = dy.sum(axis=(0, 2, 3)) if has_bias else None
    dx = None
    if need_dx:
        ph, pw = padding
        dx = np.ascontiguousarray(dxp[:, :, ph:dxp.shape[2] - ph, pw:dxp.shape[3] - pw])
    return dx, dw, db

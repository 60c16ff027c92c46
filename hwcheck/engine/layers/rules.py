"""Shape rules and the forward/backward glue between a layer's options and its op pair.

Arrays here are batched, as the ops expect; shapes in the rules are not (no batch dimension).
"""

from __future__ import annotations

import math

import hwcheck.engine.ops as ops
from hwcheck.engine.ops.shapes import output_size

from .base import Option, ShapeError


def image(layer, shape: tuple) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"needs a (C, H, W) input, got {shape}",
                         "put it before `flatten`, or give a 3-dimensional input: [C, H, W]")
    return shape  # type: ignore[return-value]


# --- conv2d ---------------------------------------------------------------------------------

def conv2d_shape(layer, shape):
    c, h, w = image(layer, shape)
    o = layer.options
    out, groups = o["out"], o["groups"]
    if c % groups or out % groups:
        raise ShapeError(f"groups={groups} must divide both the input channels ({c}) and "
                         f"out ({out})",
                         f"choose groups among the common divisors of {c} and {out}")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = o["kernel"], o["stride"], o["padding"], o["dilation"]
    padding_fits(o, (h, w))
    oh, ow = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    params = {"weight": (out, c // groups, kh, kw)}
    if o["bias"]:
        params["bias"] = (out,)
    return (out, oh, ow), params, oh * ow


def conv2d_forward(layer, x, p):
    o = layer.options
    x, padding, pad = padded(x, o)
    y, cache = ops.conv.conv2d_forward(x, p["weight"], p["bias"], o["stride"], padding,
                                       o["dilation"], o["groups"])
    return y, (pad, cache)


def conv2d_backward(layer, dy, cache):
    pad, cache = cache
    dx, dw, db = ops.conv.conv2d_backward(dy, cache)
    return unpadded(dx, pad), {"weight": dw, "bias": db}


# A padding_mode other than zeros pads the input with copies of itself (ops/pad.py), then
# convolves without padding, as torch's Conv1d/Conv2d do.
PADDING_MODES = ("zeros", *ops.pad.MODES)
PADDING_MODE = Option("padding_mode", "choice", "zeros", "what the padding holds: zeros, or "
                      "copies of the input (reflect about the edge, replicate the edge, "
                      "circular: wrap round)", choices=PADDING_MODES)


def padding_fits(o, sizes) -> None:
    """torch's limits: reflect padding < the input size, circular ≤ it."""
    mode, padding = o["padding_mode"], o["padding"]
    padding = padding if isinstance(padding, tuple) else (padding,)
    for p, n in zip(padding, sizes):
        if mode != "zeros" and p > ops.pad.pad_limit(mode, n):
            which = "smaller than" if mode == "reflect" else "at most"
            raise ShapeError(f"padding_mode {mode} needs padding {which} the input size; "
                             f"padding {list(padding)} on an input of size {list(sizes)}",
                             "lower padding, or use padding_mode replicate or zeros")


def padded(x, o):
    """(x padded by the mode, the padding left for the conv op, the pad cache or None)."""
    padding = o["padding"] if isinstance(o["padding"], tuple) else (o["padding"],)
    if o["padding_mode"] == "zeros":
        return x, padding, None
    xp, cache = ops.pad.pad_forward(x, padding, o["padding_mode"])
    return xp, tuple(0 for _ in padding), cache


def unpadded(dx, cache):
    return dx if cache is None else ops.pad.pad_backward(dx, cache)[0]


# --- pools ----------------------------------------------------------------------------------

def pool_shape(layer, shape):
    c, h, w = image(layer, shape)
    o = layer.options
    (kh, kw), (sh, sw), (ph, pw) = o["kernel"], o["stride"], o["padding"]
    if ph > kh // 2 or pw > kw // 2:
        raise ShapeError(f"padding {o['padding']} is more than half the kernel {o['kernel']}",
                         "PyTorch requires padding <= kernel // 2 for pooling")
    dh, dw = o.get("dilation", (1, 1))   # avgpool2d has no dilation
    ceil = o["ceil_mode"]
    return (c, output_size(h, kh, sh, ph, dh, ceil), output_size(w, kw, sw, pw, dw, ceil)), {}, 0


def maxpool2d_forward(layer, x, p):
    o = layer.options
    return ops.pool.maxpool2d_forward(x, o["kernel"], o["stride"], o["padding"], o["dilation"],
                                      o["ceil_mode"])


def maxpool2d_backward(layer, dy, cache):
    return ops.pool.maxpool2d_backward(dy, cache)[0], {}


def avgpool2d_forward(layer, x, p):
    o = layer.options
    return ops.pool.avgpool2d_forward(x, o["kernel"], o["stride"], o["padding"], o["ceil_mode"],
                                      o["count_include_pad"])


def avgpool2d_backward(layer, dy, cache):
    return ops.pool.avgpool2d_backward(dy, cache)[0], {}


def adaptive_shape(layer, shape):
    c, _, _ = image(layer, shape)
    return (c, *layer.options["output_size"]), {}, 0


def adaptive_forward(layer, x, p):
    # Adaptive pooling is plain pooling when the output size divides the input size.
    hw, out = x.shape[-2:], layer.options["output_size"]
    if any(size % o for size, o in zip(hw, out)):
        raise ValueError(f"{layer.name}: adaptiveavgpool2d from {tuple(hw)} to {tuple(out)} "
                         "has uneven windows; gradients support only even ones (use "
                         "avgpool2d, or sizes that divide evenly)")
    kernel = tuple(size // o for size, o in zip(hw, out))
    return ops.pool.avgpool2d_forward(x, kernel, kernel, 0)


# --- batchnorm ------------------------------------------------------------------------------

def batchnorm_shape(layer, shape):
    two_d = layer.kind == "batchnorm2d"
    if len(shape) not in ((3,) if two_d else (1, 2)):
        want = "(C, H, W)" if two_d else "(C,) or (C, L)"
        raise ShapeError(f"needs a {want} input, got {shape}",
                         f"use {'batchnorm1d' if two_d else 'batchnorm2d'} here instead")
    params = {"weight": (shape[0],), "bias": (shape[0],)} if layer.options["affine"] else {}
    return shape, params, 1


def batchnorm(forward_op, backward_op):
    """The glue for a batchnorm op pair: weight and bias are its gamma and beta."""

    def fwd(layer, x, p):
        return forward_op(x, p["weight"], p["bias"], layer.options["eps"])

    def bwd(layer, dy, cache):
        dx, dg, db = backward_op(dy, cache)
        return dx, {"weight": dg, "bias": db}

    return fwd, bwd


# --- flatten, linear ------------------------------------------------------------------------

def flatten_shape(layer, shape):
    return (math.prod(shape),), {}, 0


def flatten_forward(layer, x, p):
    return ops.linear.flatten_forward(x)


def flatten_backward(layer, dy, cache):
    return ops.linear.flatten_backward(dy, cache)[0], {}


def linear_shape(layer, shape):
    out = layer.options["out"]
    params = {"weight": (out, shape[-1])}
    if layer.options["bias"]:
        params["bias"] = (out,)
    return (*shape[:-1], out), params, math.prod(shape[:-1])


def linear_forward(layer, x, p):
    return ops.linear.linear_forward(x, p["weight"], p["bias"])


def linear_backward(layer, dy, cache):
    dx, dw, db = ops.linear.linear_backward(dy, cache)
    return dx, {"weight": dw, "bias": db}


# --- shape-keeping layers -------------------------------------------------------------------

def identity_forward(layer, x, p):
    return x, None


def identity_backward(layer, dy, cache):
    return dy, {}


def elementwise(forward, backward, *options: str):
    """The glue for an op pair that takes ``x`` and the given options by keyword."""

    def fwd(layer, x, p):
        return forward(x, **{name: layer.options[name] for name in options})

    def bwd(layer, dy, cache):
        return backward(dy, cache)[0], {}

    return fwd, bwd


def softmax_shape(layer, shape):
    dim = layer.options["dim"]
    if not -len(shape) <= dim < len(shape):
        raise ShapeError(f"dim={dim} is out of range for a {len(shape)}-dimensional input "
                         f"{shape}", f"use a dim from {-len(shape)} to {len(shape) - 1}")
    return shape, {}, 0


def batched_dim(dim: int) -> int:
    """``dim`` counts without the batch; the arrays and torch count with it."""
    return dim if dim < 0 else dim + 1


def softmax_forward(layer, x, p):
    return ops.activations.softmax_forward(x, axis=batched_dim(layer.options["dim"]))


def softmax_backward(layer, dy, cache):
    return ops.activations.softmax_backward(dy, cache)[0], {}


def softmax_diagonal_backward(layer, dy, cache):
    """The slip of dropping the Jacobian's cross terms: dx = dy · q(1 − q)."""
    q = cache[0]
    return dy * q * (1.0 - q), {}

""":data:`MORE`: the layers a course adds to the seed's table (issue 12), one entry each, plus
those of ``meet.py`` (``add``, ``attention``), where named quantities meet.

Mult-adds follow torchinfo's row for the namesake at batch 1 (parameters times the positions
torchinfo multiplies them by): conv1d and convtranspose2d count parameters × output
positions (torchinfo multiplies every ``Conv`` layer's parameters by its output's spatial
size, even a transposed one's); multiheadattention counts parameters × L (its output's
first dimensions; torchinfo's total leaves this row out, as the module has a child that
never runs); embedding and layernorm count their parameters once; layers without
parameters count 0.
"""

from __future__ import annotations

import hwcheck.engine.ops as ops
from hwcheck.engine.ops import activations as act
from hwcheck.engine.ops.convtranspose import convtranspose_size
from hwcheck.engine.ops.shapes import output_size

from . import rules
from .base import LayerDef, Option, Param, ShapeError, fan_in_normal, ones, zeros
from .meet import MEET
from .mha import MHA

_BIAS = Option("bias", "bool", True, "false drops the bias; an array or random draw gives its "
                                     "values")
_GROUPS = Option("groups", "count", 1, "blocked connections; must divide the input channels "
                                       "and `out`")
_FAN_IN = fan_in_normal("weight")
_WEIGHT = Param("weight", _FAN_IN, "the weight's values: an array or a seeded random draw")
_FAN_BIAS = Param("bias", _FAN_IN, "the bias's values: an array or a seeded random draw")


def _renamed(**names: str):
    return lambda options: {names.get(k, k): v for k, v in options.items()}


def _groups_fit(c: int, out: int, groups: int) -> None:
    if c % groups or out % groups:
        raise ShapeError(f"groups={groups} must divide both the input channels ({c}) and "
                         f"out ({out})",
                         f"choose groups among the common divisors of {c} and {out}")


# --- conv1d: conv2d's op pair on a height of 1 ---------------------------------------------

def _conv1d_shape(layer, shape):
    if len(shape) != 2:
        raise ShapeError(f"needs a (C, L) input, got {shape}", "give input: [C, L]")
    o = layer.options
    c, length = shape
    _groups_fit(c, o["out"], o["groups"])
    rules.padding_fits(o, (length,))
    lo = output_size(length, o["kernel"], o["stride"], o["padding"], o["dilation"])
    params = {"weight": (o["out"], c // o["groups"], o["kernel"])}
    if o["bias"]:
        params["bias"] = (o["out"],)
    return (o["out"], lo), params, lo


def _conv1d_forward(layer, x, p):
    o = layer.options
    x, (padding,), pad = rules.padded(x, o)
    y, cache = ops.conv.conv2d_forward(x[:, :, None, :], p["weight"][:, :, None, :], p["bias"],
                                       (1, o["stride"]), (0, padding), (1, o["dilation"]),
                                       o["groups"])
    return y[:, :, 0, :], (pad, cache)


def _conv1d_backward(layer, dy, cache):
    pad, cache = cache
    dx, dw, db = ops.conv.conv2d_backward(dy[:, :, None, :], cache)
    return rules.unpadded(dx[:, :, 0, :], pad), {"weight": dw[:, :, 0, :], "bias": db}


# --- convtranspose2d ------------------------------------------------------------------------

def _convtranspose2d_shape(layer, shape):
    c, h, w = rules.image(layer, shape)
    o = layer.options
    _groups_fit(c, o["out"], o["groups"])
    for s, d, op in zip(o["stride"], o["dilation"], o["output_padding"]):
        if op >= max(s, d):
            raise ShapeError(f"output_padding {o['output_padding']} must be smaller than the "
                             f"stride {o['stride']} or the dilation {o['dilation']}",
                             "PyTorch refuses it; lower output_padding")
    hw = tuple(convtranspose_size(n, k, s, p, op, d) for n, k, s, p, op, d in
               zip((h, w), o["kernel"], o["stride"], o["padding"], o["output_padding"],
                   o["dilation"]))
    params = {"weight": (c, o["out"] // o["groups"], *o["kernel"])}
    if o["bias"]:
        params["bias"] = (o["out"],)
    return (o["out"], *hw), params, hw[0] * hw[1]


def _convtranspose2d_forward(layer, x, p):
    o = layer.options
    return ops.convtranspose.convtranspose2d_forward(
        x, p["weight"], p["bias"], o["stride"], o["padding"], o["output_padding"],
        o["dilation"], o["groups"])


def _convtranspose2d_backward(layer, dy, cache):
    dx, dw, db = ops.convtranspose.convtranspose2d_backward(dy, cache)
    return dx, {"weight": dw, "bias": db}


# --- layernorm, embedding -------------------------------------------------------------------

def _layernorm_shape(layer, shape):
    o = layer.options
    norm = tuple(o["normalized_shape"])
    if tuple(shape[len(shape) - len(norm):]) != norm:
        raise ShapeError(f"normalizes over {list(norm)}, but its input {shape} does not end "
                         "in those sizes", f"set normalized_shape to the input's last sizes, "
                                           f"e.g. {list(shape[-1:])}")
    params = {"weight": norm} if o["elementwise_affine"] else {}
    if o["elementwise_affine"] and o["bias"]:
        params["bias"] = norm
    return shape, params, 1


def _layernorm_forward(layer, x, p):
    o = layer.options
    return ops.norm.layernorm_forward(x, p["weight"], p["bias"], len(o["normalized_shape"]),
                                      o["eps"])


def _layernorm_backward(layer, dy, cache):
    dx, dw, db = ops.norm.layernorm_backward(dy, cache)
    return dx, {"weight": dw, "bias": db}


def _embedding_shape(layer, shape):
    o = layer.options
    num, pad = o["num_embeddings"], o["padding_idx"]
    if pad is not None and not -num <= pad < num:
        raise ShapeError(f"padding_idx={pad} is outside the vocabulary of num_embeddings="
                         f"{num}", f"as in torch: a row from {-num} to {num - 1} "
                                   "(negative counts from the end), or leave it out")
    return (*shape, o["embedding_dim"]), {"weight": (num, o["embedding_dim"])}, 1


def _embedding_forward(layer, x, p):
    return ops.embedding.embedding_forward(x, p["weight"])


def _embedding_backward(layer, dy, cache):
    pad = layer.options["padding_idx"]
    if pad is not None and pad < 0:                # torch stores it counted from the start
        pad += layer.options["num_embeddings"]
    dx, dw = ops.embedding.embedding_backward(dy, cache, pad)
    return dx, {"weight": dw}


def _normal(shape, shapes, rng):
    return rng().standard_normal(shape)          # nn.Embedding's init: N(0, 1)


def _zero_padding_row(layer, values):
    """nn.Embedding's init zeros the padding_idx row (a given weight is kept as given)."""
    pad = layer.options["padding_idx"]
    if pad is None or "weight" not in values:
        return values
    weight = values["weight"].copy()
    weight[pad] = 0.0
    return {**values, "weight": weight}


_gelu = rules.elementwise(act.gelu_forward, act.gelu_backward, "approximate")
_elu = rules.elementwise(act.elu_forward, act.elu_backward, "alpha")

MORE: dict[str, LayerDef] = {
    "conv1d": LayerDef(
        options=(Option("out", "count", help="output channels"),
                 Option("kernel", "count", help="kernel size"),
                 Option("stride", "count", 1, "stride"),
                 Option("padding", "size", 0, "padding on each side (zeros, or as "
                                              "padding_mode says)"),
                 Option("dilation", "count", 1, "spacing between kernel taps"), _GROUPS, _BIAS,
                 rules.PADDING_MODE),
        params=(_WEIGHT, _FAN_BIAS), shape=_conv1d_shape,
        forward=_conv1d_forward, backward=_conv1d_backward,
        torch="LazyConv1d", torch_kwargs=_renamed(out="out_channels", kernel="kernel_size"),
        example=((4, 9), {"out": 6, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2,
                          "groups": 2})),
    "convtranspose2d": LayerDef(
        options=(Option("out", "count", help="output channels"),
                 Option("kernel", "pair", help="kernel size: one size, or [h, w]"),
                 Option("stride", "pair", 1, "stride: one size, or [h, w]"),
                 Option("padding", "pair0", 0, "rows and columns cropped from each side of "
                                               "the full output: one size, or [h, w]"),
                 Option("output_padding", "pair0", 0, "extra rows and columns on the bottom "
                                                      "and right: one size, or [h, w]"),
                 _GROUPS, _BIAS,
                 Option("dilation", "pair", 1, "spacing between kernel taps: one size, or "
                                               "[h, w]")),
        params=(_WEIGHT, _FAN_BIAS), shape=_convtranspose2d_shape,
        forward=_convtranspose2d_forward, backward=_convtranspose2d_backward,
        torch="LazyConvTranspose2d",
        torch_kwargs=_renamed(out="out_channels", kernel="kernel_size"),
        example=((4, 3, 4), {"out": 2, "kernel": (3, 2), "stride": (2, 3), "padding": (1, 0),
                             "output_padding": (1, 0), "groups": 2, "dilation": (1, 2)})),
    "layernorm": LayerDef(
        options=(Option("normalized_shape", "shape",
                        help="the trailing sizes normalized over: one size, or a list"),
                 Option("eps", "positive", 1e-5, "added to the variance for numerical "
                                                 "stability"),
                 Option("elementwise_affine", "bool", True, "learnable weight and bias; "
                                                           "false drops both"),
                 _BIAS),
        params=(Param("weight", ones, "the weight's (gamma's) values: an array or a seeded "
                                      "random draw"),
                Param("bias", zeros, "the bias's (beta's) values: an array or a seeded random "
                                     "draw")),
        shape=_layernorm_shape, forward=_layernorm_forward, backward=_layernorm_backward,
        torch="LayerNorm", example=((3, 2, 4), {"normalized_shape": (2, 4)})),
    "embedding": LayerDef(
        options=(Option("num_embeddings", "count", help="size of the vocabulary: indices "
                                                        "run from 0 to num_embeddings - 1"),
                 Option("embedding_dim", "count", help="length of each embedding vector"),
                 Option("padding_idx", "optional", None, "a row whose gradient is zero (read as "
                                                         "stored, never learned; zeros when "
                                                         "drawn); negative counts from the "
                                                         "end; none by default")),
        params=(Param("weight", _normal, "the embedding table's values (num_embeddings, "
                                         "embedding_dim): an array or a seeded random draw"),),
        shape=_embedding_shape, forward=_embedding_forward, backward=_embedding_backward,
        torch="Embedding", indices="num_embeddings", after_init=_zero_padding_row,
        example=((2, 3), {"num_embeddings": 4, "embedding_dim": 3, "padding_idx": 1})),
    **MHA,
    "gelu": LayerDef(
        options=(Option("approximate", "choice", "none", "none: x·Φ(x) with erf; tanh: the "
                                                         "tanh approximation",
                        choices=("none", "tanh")),),
        forward=_gelu[0], backward=_gelu[1], torch="GELU",
        example=((2, 3), {"approximate": "tanh"})),
    "elu": LayerDef(
        options=(Option("alpha", "number", 1.0, "the value approached for very negative "
                                                "inputs is -alpha"),),
        forward=_elu[0], backward=_elu[1], torch="ELU", example=((2, 3), {"alpha": 0.7})),
    "identity": LayerDef(options=(), forward=rules.identity_forward,
                         backward=rules.identity_backward, torch="Identity",
                         example=((2, 3), {})),
    **MEET,
}

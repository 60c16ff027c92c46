""":data:`MHA`: ``multiheadattention``, torch.nn.MultiheadAttention with ``batch_first``,
merged into ``MORE`` (see more.py for how mult-adds are counted: parameters × L).

It reads ``inputs: [query, key, value]`` (cross-attention), or one quantity, named or the
previous output, as all three (self-attention; ``LayerDef.self_inputs``). Shapes: query
(L, E), key (S, kdim), value (S, vdim) → (L, E); torch's ``kdim`` and ``vdim`` default to
E and must be the key's and value's widths. As in torch, when kdim = vdim = E the three
input projections are one ``in_proj_weight`` (3E, E), else ``q_proj_weight`` (E, E),
``k_proj_weight`` (E, kdim) and ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3E,) either
way. ``add_bias_kv`` adds ``bias_k`` and ``bias_v`` (1, 1, E), appended to the projected
keys and values as one more position; ``add_zero_attn`` appends a position of zeros.
"""

from __future__ import annotations

import math

import numpy as np

import hwcheck.engine.ops as ops

from .base import REQUIRED, LayerDef, Option, Param, ShapeError, fan_in_normal, zeros

_BIASES = ("in_proj_bias", "out_proj.bias")
_SEPARATE = ("q_proj_weight", "k_proj_weight", "v_proj_weight")


def _xavier_normal(shape, shapes, rng):
    """torch's xavier scale √(2/(fan_in + fan_out)) for the input projections ((3E, E),
    or (E, kdim) …), drawn normal like every other weight here."""
    return rng().standard_normal(shape) * math.sqrt(2.0 / (shape[0] + shape[1]))


def _bias_kv_init(shape, shapes, rng):
    """torch's xavier_normal_ on (1, 1, E): std √(2/(E + E)) = 1/√E."""
    return rng().standard_normal(shape) / math.sqrt(shape[-1])


def _widths(o) -> tuple[int, int, int]:
    e = o["embed_dim"]
    return e, *(e if o[k] is None else o[k] for k in ("kdim", "vdim"))


def _shape(layer, shapes):
    o = layer.options
    (e, kdim, vdim), h = _widths(o), o["num_heads"]
    query, key, value = shapes
    if any(len(s) != 2 for s in shapes):
        raise ShapeError(f"needs query (L, {e}), key (S, {kdim}) and value (S, {vdim}); got "
                         f"{query}, {key} and {value}", "one sequence each, no batch")
    for what, s, width, option in (("query", query, e, "embed_dim"), ("key", key, kdim, "kdim"),
                                   ("value", value, vdim, "vdim")):
        if s[1] != width:
            raise ShapeError(f"its {what} is {s}, but {option} is {width}",
                             f"set {option}: {s[1]} (kdim and vdim default to embed_dim)")
    if key[0] != value[0]:
        raise ShapeError(f"key {key} and value {value} must have as many positions (S)")
    if e % h:
        raise ShapeError(f"num_heads={h} must divide embed_dim={e}",
                         f"choose num_heads among the divisors of {e}")
    if kdim == e and vdim == e:
        params = {"in_proj_weight": (3 * e, e)}
    else:
        params = {"q_proj_weight": (e, e), "k_proj_weight": (e, kdim),
                  "v_proj_weight": (e, vdim)}
    params.update({"in_proj_bias": (3 * e,), "out_proj.weight": (e, e), "out_proj.bias": (e,)})
    if not o["bias"]:
        params = {k: v for k, v in params.items() if k not in _BIASES}
    if o["add_bias_kv"]:
        params.update({"bias_k": (1, 1, e), "bias_v": (1, 1, e)})
    return (query[0], e), params, query[0]


def _forward(layer, xs, p):
    o = layer.options
    weights = np.split(p["in_proj_weight"], 3) if p.get("in_proj_weight") is not None \
        else [p[k] for k in _SEPARATE]
    return ops.attention.mha_forward(*xs, *weights, p["in_proj_bias"], p["out_proj.weight"],
                                     p["out_proj.bias"], o["num_heads"], p.get("bias_k"),
                                     p.get("bias_v"), o["add_zero_attn"])


def _backward(layer, dy, cache):
    dq, dk, dv, *dws, dib, dow, dob, dbk, dbv = ops.attention.mha_backward(dy, cache)
    o = layer.options
    e, kdim, vdim = _widths(o)
    own = {"in_proj_weight": np.concatenate(dws)} if kdim == e and vdim == e \
        else dict(zip(_SEPARATE, dws))
    return (dq, dk, dv), {**own, "in_proj_bias": dib, "out_proj.weight": dow,
                          "out_proj.bias": dob, "bias_k": dbk, "bias_v": dbv}


def _call(module, xs, states):
    """torch's module on (query, key, value); one input is all three (self-attention)."""
    q, k, v = xs if len(xs) == 3 else xs * 3
    return module(q, k, v, need_weights=False)[0]


_WIDTH = "the {}'s width; defaults to embed_dim (then the projections are in_proj_weight)"

MHA: dict[str, LayerDef] = {
    "multiheadattention": LayerDef(
        options=(Option("embed_dim", "count", REQUIRED, "model width E: the query's last "
                                                        "size"),
                 Option("num_heads", "count", REQUIRED, "heads; each has embed_dim / "
                                                        "num_heads"),
                 Option("bias", "bool", True, "false drops in_proj_bias and out_proj.bias"),
                 Option("add_bias_kv", "bool", False, "learned bias_k and bias_v appended to "
                                                      "the keys and values as one more "
                                                      "position"),
                 Option("add_zero_attn", "bool", False, "a position of zeros appended to "
                                                        "every head's keys and values"),
                 Option("kdim", "optional", None, _WIDTH.format("key")),
                 Option("vdim", "optional", None, _WIDTH.format("value"))),
        params=(Param("in_proj_weight", _xavier_normal, "the stacked [W_q; W_k; W_v] "
                                                        "(3E, E), when kdim = vdim = E"),
                Param("q_proj_weight", _xavier_normal, "W_q (E, E), when kdim or vdim "
                                                       "differs from E"),
                Param("k_proj_weight", _xavier_normal, "W_k (E, kdim), when kdim or vdim "
                                                       "differs from E"),
                Param("v_proj_weight", _xavier_normal, "W_v (E, vdim), when kdim or vdim "
                                                       "differs from E"),
                Param("in_proj_bias", zeros, "the stacked [b_q; b_k; b_v] (3E,)"),
                Param("out_proj.weight", fan_in_normal("out_proj.weight"),
                      "the output projection (E, E)"),
                Param("out_proj.bias", zeros, "the output projection's bias (E,)"),
                Param("bias_k", _bias_kv_init, "the appended key (1, 1, E), with "
                                               "add_bias_kv"),
                Param("bias_v", _bias_kv_init, "the appended value (1, 1, E), with "
                                               "add_bias_kv")),
        inputs=("query", "key", "value"), self_inputs=True,
        shape=_shape, forward=_forward, backward=_backward,
        torch="MultiheadAttention",
        torch_kwargs=lambda o: {**o, "batch_first": True},
        torch_call=_call,
        example=((3, 4), {"embed_dim": 4, "num_heads": 2, "add_bias_kv": True})),
}

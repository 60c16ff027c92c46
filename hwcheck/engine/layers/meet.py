""":data:`MEET`: layers where several named quantities meet, each reading its ``inputs``
(see ``LayerDef.inputs``): ``add`` (a ResNet shortcut) and single-head ``attention``. They
have no parameters, so they count no mult-adds (torchinfo counts parameters only).
"""

from __future__ import annotations

import hwcheck.engine.ops as ops

from .base import LayerDef, Option, ShapeError

def _add_shape(layer, shapes):
    a, b = shapes
    if a != b:
        raise ShapeError(f"adds {a} and {b}; they must have the same shape",
                         "add a 1x1 conv2d or a linear layer on one branch to match them")
    return a, {}, 0


def _add_forward(layer, xs, p):
    return xs[0] + xs[1], None


def _add_backward(layer, dy, cache):
    return (dy, dy), {}


def _attention_shape(layer, shapes):
    q, k, v = shapes
    if any(len(s) != 2 for s in shapes):
        raise ShapeError(f"needs q (T, d), k (S, d) and v (S, dv); got {q}, {k} and {v}")
    if q[1] != k[1] or k[0] != v[0]:
        raise ShapeError(f"q {q} and k {k} must share d, and k and v {v} must share S",
                         "q (T, d), k (S, d), v (S, dv)")
    return (q[0], v[1]), {}, 0


def _attention_forward(layer, xs, p):
    return ops.attention.attention_forward(*xs, causal=layer.options["causal"])


def _attention_backward(layer, dy, cache):
    return ops.attention.attention_backward(dy, cache), {}


MEET: dict[str, LayerDef] = {
    "add": LayerDef(
        options=(), inputs=("a", "b"), shape=_add_shape, forward=_add_forward,
        backward=_add_backward, torch="add", example=(((2, 3), (2, 3)), {})),
    "attention": LayerDef(
        options=(Option("causal", "bool", False, "mask key j from query i when j > i"),),
        inputs=("q", "k", "v"), shape=_attention_shape, forward=_attention_forward,
        backward=_attention_backward, torch="functional.scaled_dot_product_attention",
        torch_kwargs=lambda o: {"is_causal": o["causal"]},
        example=(((3, 4), (5, 4), (5, 2)), {"causal": True})),
}

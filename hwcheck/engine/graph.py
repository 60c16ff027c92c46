"""Run a layer list forward and backward with the ops, naming every intermediate.

Values carry no batch dimension outside this module; inside, a batch of 1 is added so each
op sees PyTorch's layout. Dropout is the identity (an answer key is deterministic: eval mode).

Quantity names: ``input``, a layer's name (its output), ``NAME.weight`` and ``NAME.bias``
(parameters), ``grad.Q`` (∂loss/∂Q for any of those).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import hwcheck.engine.ops as ops
from hwcheck.engine.network import Layer

SOFTMAX_DIAGONAL = "softmax-diagonal"   # a known slip: softmax Jacobian without cross terms


@dataclass
class Trace:
    """What the forward pass kept for the backward pass (mutable, local to one solve)."""

    values: dict = field(default_factory=dict)      # name -> batched array
    tape: list = field(default_factory=list)        # (layer, input name, cache)


def forward(layers, params: dict, x: np.ndarray, variants: frozenset = frozenset()) -> Trace:
    """Forward pass of ``x`` (no batch dim) through ``layers``; params by ``NAME.weight``."""
    _check_names(layers)
    trace = Trace()
    trace.values["input"] = np.asarray(x, dtype=float)[None, ...]
    _run(layers, "input", params, trace, variants)
    return trace


def _check_names(layers) -> None:
    """Every intermediate is keyed by its layer's name, so names must be unique and must
    not hide a quantity the solvers name themselves."""
    seen = {"input", "target", "loss", "upstream", "lr"}
    stack = list(layers)
    while stack:
        layer = stack.pop()
        if layer.name in seen:
            raise ValueError(f"layer name '{layer.name}' is used twice or is reserved; "
                             "give each layer its own name")
        seen.add(layer.name)
        stack.extend(layer.body)
        stack.extend(layer.shortcut or ())


def _run(layers, src: str, params, trace: Trace, variants) -> str:
    for layer in layers:
        x = trace.values[src]
        if layer.kind == "residual":
            body = _run(layer.body, src, params, trace, variants)
            short = _run(layer.shortcut, src, params, trace, variants) if layer.shortcut else src
            y, cache = trace.values[body] + trace.values[short], (body, short)
        else:
            y, cache = _forward_one(layer, x, params, variants)
        trace.values[layer.name] = y
        trace.tape.append((layer, src, cache))
        src = layer.name
    return src


def _forward_one(layer: Layer, x, params, variants):
    o, k = layer.options, layer.kind
    w, b = params.get(f"{layer.name}.weight"), params.get(f"{layer.name}.bias")
    if k == "conv2d":
        return ops.conv.conv2d_forward(x, w, b, o["stride"], o["padding"], o["dilation"],
                                   o["groups"])
    if k == "linear":
        return ops.linear.linear_forward(x, w, b)
    if k == "maxpool2d":
        return ops.pool.maxpool2d_forward(x, o["kernel"], o["stride"], o["padding"],
                                      o.get("dilation", 1), o.get("ceil_mode", False))
    if k == "avgpool2d":
        return ops.pool.avgpool2d_forward(x, o["kernel"], o["stride"], o["padding"],
                                      o.get("ceil_mode", False),
                                      o.get("count_include_pad", True))
    if k == "adaptiveavgpool2d":
        kernel = _adaptive_kernel(layer, x.shape[-2:])
        return ops.pool.avgpool2d_forward(x, kernel, kernel, 0)
    if k == "flatten":
        return ops.linear.flatten_forward(x)
    if k in ("relu", "sigmoid", "tanh"):
        return getattr(ops.activations, f"{k}_forward")(x)
    if k == "softmax":
        dim = o.get("dim", -1)
        return ops.activations.softmax_forward(x, axis=dim if dim < 0 else dim + 1)
    if k in ("dropout",):
        return x, None
    if k in ("batchnorm2d", "batchnorm1d"):
        fn = getattr(ops.batchnorm, f"{k}_forward")
        return fn(x, w, b, o.get("eps", 1e-5))
    raise NotImplementedError(f"no forward for layer kind {k!r}")


def backward(trace: Trace, at: str, upstream: np.ndarray,
             variants: frozenset = frozenset()) -> dict:
    """∂loss/∂Q for every quantity Q up to ``at``, given ``upstream`` = ∂loss/∂(at).

    Returns unbatched arrays keyed by quantity name (``input``, layer names, parameters).
    """
    grads = {at: np.asarray(upstream, dtype=float)[None, ...]}
    for layer, src, cache in reversed(trace.tape):
        dy = grads.get(layer.name)
        if dy is None:
            continue
        if layer.kind == "residual":
            body, short = cache
            _accumulate(grads, body, dy)
            _accumulate(grads, short, dy)
            continue
        dx = _backward_one(layer, dy, cache, grads, variants)
        _accumulate(grads, src, dx)
    return {name: g[0] if not name.endswith((".weight", ".bias")) else g
            for name, g in grads.items()}


def _accumulate(grads: dict, name: str, g) -> None:
    grads[name] = grads[name] + g if name in grads else g


def _backward_one(layer: Layer, dy, cache, grads: dict, variants):
    k = layer.kind
    if k == "conv2d":
        dx, dw, db = ops.conv.conv2d_backward(dy, cache)
        return _params(grads, layer, dw, db, dx)
    if k == "linear":
        dx, dw, db = ops.linear.linear_backward(dy, cache)
        return _params(grads, layer, dw, db, dx)
    if k in ("batchnorm2d", "batchnorm1d"):
        dx, dg, db = getattr(ops.batchnorm, f"{k}_backward")(dy, cache)
        return _params(grads, layer, dg, db, dx)
    if k == "dropout":
        return dy
    if k == "softmax" and SOFTMAX_DIAGONAL in variants:
        q = cache[0]
        return dy * q * (1.0 - q)
    if k == "adaptiveavgpool2d":
        k = "avgpool2d"
    mod = {"maxpool2d": "pool", "avgpool2d": "pool", "flatten": "linear"}.get(k, "activations")
    mod = getattr(ops, mod)
    return getattr(mod, f"{k}_backward")(dy, cache)[0]


def _adaptive_kernel(layer: Layer, hw) -> tuple:
    """Adaptive pooling is plain pooling when the output size divides the input size."""
    out = layer.options["output_size"]
    if any(size % o for size, o in zip(hw, out)):
        raise ValueError(f"{layer.name}: adaptiveavgpool2d from {tuple(hw)} to {tuple(out)} "
                         "has uneven windows; gradients support only even ones (use "
                         "avgpool2d, or sizes that divide evenly)")
    return tuple(size // o for size, o in zip(hw, out))


def _params(grads: dict, layer: Layer, dw, db, dx):
    grads[f"{layer.name}.weight"] = dw
    if db is not None:
        grads[f"{layer.name}.bias"] = db
    return dx

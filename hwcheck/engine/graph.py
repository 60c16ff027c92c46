"""Run a layer list forward and backward with the ops, naming every intermediate.

Each layer's forward and backward come from the layer table; only ``residual`` is handled
here, as structure. Values carry no batch dimension outside this module; inside, a batch of 1 is added so each
op sees PyTorch's layout. Dropout is the identity (an answer key is deterministic: eval mode).

Quantity names: ``input``, a layer's name (its output), ``NAME.weight`` and ``NAME.bias``
(parameters), ``grad.Q`` (∂loss/∂Q for any of those).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwcheck.engine.layers import LAYERS, RESERVED, SOFTMAX_DIAGONAL
from hwcheck.engine.network import Layer

__all__ = ["SOFTMAX_DIAGONAL", "Trace", "backward", "forward"]


@dataclass
class Trace:
    """What the forward pass kept for the backward pass (mutable, local to one solve)."""

    values: dict = field(default_factory=dict)      # name -> batched array
    tape: list = field(default_factory=list)        # (layer, input name, cache)
    batched: bool = False                           # the caller's arrays carry N already


def forward(layers, params: dict, x: np.ndarray, variants: frozenset = frozenset(),
            batched: bool = False) -> Trace:
    """Forward pass of ``x`` (no batch dim, or (N, ...) when ``batched``) through
    ``layers``; params by ``NAME.weight``. Batchnorm takes its statistics over N."""
    _check_names(layers)
    trace = Trace(batched=batched)
    x = np.asarray(x, dtype=float)
    trace.values["input"] = x if batched else x[None, ...]
    _run(layers, "input", params, trace)
    return trace


def _check_names(layers) -> None:
    """Every intermediate is keyed by its layer's name, so names must be unique and must
    not hide a quantity the solvers name themselves."""
    seen = set(RESERVED)
    stack = list(layers)
    while stack:
        layer = stack.pop()
        if layer.name in seen:
            raise ValueError(f"layer name '{layer.name}' is used twice or is reserved; "
                             "give each layer its own name")
        seen.add(layer.name)
        stack.extend(layer.body)
        stack.extend(layer.shortcut or ())


def _run(layers, src: str, params, trace: Trace) -> str:
    for layer in layers:
        x = trace.values[src]
        if layer.kind == "residual":
            body = _run(layer.body, src, params, trace)
            short = _run(layer.shortcut, src, params, trace) if layer.shortcut else src
            y, cache = trace.values[body] + trace.values[short], (body, short)
        else:
            d = _definition(layer)
            given = {p.name: params.get(f"{layer.name}.{p.name}") for p in d.params
                     if not p.buffer}
            y, cache = d.forward(layer, x, given)
        trace.values[layer.name] = y
        trace.tape.append((layer, src, cache))
        src = layer.name
    return src


def _definition(layer: Layer):
    d = LAYERS.get(layer.kind)
    if d is None:
        raise NotImplementedError(f"no forward for layer kind {layer.kind!r}")
    return d


def backward(trace: Trace, at: str, upstream: np.ndarray,
             variants: frozenset = frozenset()) -> dict:
    """∂loss/∂Q for every quantity Q up to ``at``, given ``upstream`` = ∂loss/∂(at).

    Returns unbatched arrays keyed by quantity name (``input``, layer names, parameters).
    """
    up = np.asarray(upstream, dtype=float)
    grads = {at: up if trace.batched else up[None, ...]}
    param_grads: dict = {}     # parameters carry no batch dimension
    for layer, src, cache in reversed(trace.tape):
        dy = grads.get(layer.name)
        if dy is None:
            continue
        if layer.kind == "residual":
            body, short = cache
            _accumulate(grads, body, dy)
            _accumulate(grads, short, dy)
            continue
        d = _definition(layer)
        back = next((d.variants[v] for v in sorted(variants) if v in d.variants), d.backward)
        dx, dparams = back(layer, dy, cache)
        for pname, g in dparams.items():
            if g is not None:
                param_grads[f"{layer.name}.{pname}"] = g
        _accumulate(grads, src, dx)
    unbatch = (lambda g: g) if trace.batched else (lambda g: g[0])
    return {**{name: unbatch(g) for name, g in grads.items()}, **param_grads}


def _accumulate(grads: dict, name: str, g) -> None:
    grads[name] = grads[name] + g if name in grads else g

"""Run a layer list forward and backward with the ops, naming every intermediate.

Each layer's forward and backward come from the layer table; only ``residual`` is handled
here, as structure. A layer reads the previous layer's output, or the quantities its
``inputs:`` names (named network inputs or earlier layers), each of which gets its
gradient. Values carry no batch dimension outside this module; inside, a batch of 1 is added
so each op sees PyTorch's layout. Dropout is the identity (an answer key is deterministic: eval mode).

Quantity names: ``input``, a layer's name (its output), ``NAME.weight`` and ``NAME.bias``
(parameters, by the layer table's names, e.g. ``NAME.weight_ih_l0``), the extra values a
layer names (``NAME.h_n``), ``grad.Q`` (∂loss/∂Q for the input, outputs and parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from hwcheck.engine.layers import LAYERS, RESERVED, SOFTMAX_DIAGONAL
from hwcheck.engine.network import Layer

__all__ = ["SOFTMAX_DIAGONAL", "Trace", "backward", "forward", "states"]


@dataclass
class Trace:
    """What the forward pass kept for the backward pass (mutable, local to one solve)."""

    values: dict = field(default_factory=dict)      # name -> batched array
    tape: list = field(default_factory=list)        # (layer, input name, cache)
    batched: bool = False                           # the caller's arrays carry N already


def forward(layers, params: dict, x, variants: frozenset = frozenset(),
            batched: bool = False) -> Trace:
    """Forward pass of ``x`` (no batch dim, or (N, ...) when ``batched``) through
    ``layers``; params by ``NAME.weight``. Batchnorm takes its statistics over N.

    ``x`` is one array (the quantity ``input``) or a mapping of named inputs to arrays, the
    first of which feeds a first layer that names no ``inputs``.
    """
    named = dict(x) if isinstance(x, Mapping) else {"input": x}
    _check_names(layers, set(named) - {"input"})
    trace = Trace(batched=batched)
    for name, value in named.items():
        value = np.asarray(value, dtype=float)
        trace.values[name] = value if batched else value[None, ...]
    _run(layers, next(iter(named)), params, trace)
    return trace


def _check_names(layers, inputs: set) -> None:
    """Every intermediate is keyed by its layer's name, so names must be unique and must
    not hide a quantity the solvers name themselves, nor a named input."""
    seen = set(RESERVED) | inputs
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
        # several inputs (issue 12): a layer reads the quantities its `inputs:` names
        srcs = layer.inputs or (src,)
        src = srcs[0]
        x = trace.values[src]
        if layer.kind == "residual":
            body = _run(layer.body, src, params, trace)
            short = _run(layer.shortcut, src, params, trace) if layer.shortcut else src
            y, cache = trace.values[body] + trace.values[short], (body, short)
        else:
            d = _definition(layer)
            srcs = d.sources(layer.inputs, src)
            if d.inputs:
                x = tuple(trace.values[s] for s in srcs)
            y, cache = d.forward(layer, x, _given(layer, d, params))
            for key, value in (d.outputs(cache) if d.outputs else {}).items():
                trace.values[f"{layer.name}.{key}"] = value
        trace.values[layer.name] = y
        trace.tape.append((layer, srcs, cache))
        src = layer.name
    return src


def _given(layer: Layer, d, params: dict) -> dict:
    """The layer's parameters by their own names, None when absent; a family of names (an
    LSTM's ``weight_ih_l1_reverse``) is found among the keys with the layer's prefix."""
    given = {p.name: params.get(f"{layer.name}.{p.name}") for p in d.params
             if not p.buffer and p.pattern is None}
    if d.given_patterns:
        prefix = f"{layer.name}."
        for key, value in params.items():
            if key.startswith(prefix):
                own = d.param_for(key[len(prefix):])
                if own is not None and own.pattern is not None:
                    given[key[len(prefix):]] = value
    return given


def states(layers, params: dict) -> frozenset:
    """The keys of ``params`` that are initial states (an RNN's ``NAME.h0``): inputs that
    have a gradient but that an optimizer leaves alone, as torch's does (not parameters)."""
    found = set()
    stack = list(layers)
    while stack:
        layer = stack.pop()
        stack.extend(layer.body)
        stack.extend(layer.shortcut or ())
        d = LAYERS.get(layer.kind)
        for p in d.params if d is not None else ():
            if p.state and f"{layer.name}.{p.name}" in params:
                found.add(f"{layer.name}.{p.name}")
    return frozenset(found)


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
    for layer, srcs, cache in reversed(trace.tape):
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
        for src, g in zip(srcs, dx if d.inputs else (dx,)):
            _accumulate(grads, src, g)
    unbatch = (lambda g: g) if trace.batched else (lambda g: g[0])
    return {**{name: unbatch(g) for name, g in grads.items()}, **param_grads}


def _accumulate(grads: dict, name: str, g) -> None:
    """Sum gradients reaching ``name``; None (integer indices: no gradient) adds nothing."""
    if g is not None:
        grads[name] = grads[name] + g if name in grads else g

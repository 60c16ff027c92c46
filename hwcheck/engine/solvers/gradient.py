"""Gradients of a loss (or of a given upstream gradient) to every named quantity (p1, p4).

Returns a flat dict of quantities: ``input``, ``target``, each layer's output, each
parameter (``NAME.weight``), ``loss``, and ``grad.Q`` = ∂loss/∂Q for each of them.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine.ops import losses
from hwcheck.engine import graph

LOSSES = ("cross_entropy", "mse")


def loss_forward(kind: str, out: np.ndarray, target: np.ndarray, ends_in_softmax: bool):
    """E and ∂E/∂out (batched arrays).

    cross_entropy: E = −Σ p ln q on the probabilities of a final softmax, or on softmax(out)
    when the network ends in logits (PyTorch's ``cross_entropy`` with a probability target).
    mse: E = Σ (y − t)² / count (PyTorch's ``MSELoss``, mean).
    """
    if kind == "cross_entropy":
        if ends_in_softmax:
            e, cache = losses.cross_entropy_forward(out, target)
            return e, losses.cross_entropy_backward(1.0, cache)[0]
        e, cache = losses.cross_entropy_logits_forward(out, target)
        return e, losses.cross_entropy_logits_backward(1.0, cache)[0]
    if kind == "mse":
        e, cache = losses.mse_forward(out, target, reduction="mean")
        return e, losses.mse_backward(1.0, cache)[0]
    raise ValueError(f"unknown loss {kind!r}")


def solve(layers, params: dict, x: np.ndarray, *, loss: str | None = None,
          target: np.ndarray | None = None, upstream: np.ndarray | None = None,
          upstream_at: str | None = None, variants: frozenset = frozenset()) -> dict:
    """Forward ``x`` through ``layers``, then backward from the loss or from ``upstream``.

    Shapes: x as the network's input (no batch dim); upstream as the output of layer
    ``upstream_at``. Exactly one of ``loss`` and ``upstream`` is given.
    """
    trace = graph.forward(layers, params, x, variants)
    values = {name: v[0] for name, v in trace.values.items()}
    values.update(params)
    last = layers[-1].name if layers else "input"
    if loss is not None:
        batched_target = np.asarray(target, dtype=float)[None, ...]
        e, d_out = loss_forward(loss, trace.values[last], batched_target,
                                bool(layers) and layers[-1].kind == "softmax")
        values["loss"], values["target"] = e, np.asarray(target, dtype=float)
        grads = graph.backward(trace, last, d_out[0], variants)
    else:
        at = upstream_at or last
        grads = graph.backward(trace, at, upstream, variants)
        values["upstream"] = np.asarray(upstream, dtype=float)
    values.update({f"grad.{name}": g for name, g in grads.items()})
    return values

"""Gradients of a loss (or of a given upstream gradient) to every named quantity (p1, p4).

Returns a flat dict of quantities: ``input``, ``target``, each layer's output, each
parameter (``NAME.weight``), ``loss``, and ``grad.Q`` = ∂loss/∂Q for each of them.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine.losses import LOSSES as TABLE
from hwcheck.engine import graph

LOSSES = tuple(TABLE)        # the loss names; each entry is in engine/losses.py


def loss_forward(kind: str, out: np.ndarray, target: np.ndarray, ends_in_softmax: bool,
                 options: dict | None = None):
    """E and ∂E/∂out (batched arrays) for loss ``kind`` of the loss table.

    cross_entropy after a final softmax is cross-entropy on its probabilities (−Σ p ln q);
    otherwise on softmax(out), as torch's ``cross_entropy``.
    """
    if kind not in TABLE:
        raise ValueError(f"unknown loss {kind!r}")
    return TABLE[kind].run(out, target, options, "softmax" if ends_in_softmax else None)


def solve(layers, params: dict, x: np.ndarray, *, loss: str | None = None,
          target: np.ndarray | None = None, upstream: np.ndarray | None = None,
          upstream_at: str | None = None, variants: frozenset = frozenset(),
          loss_options: dict | None = None, batched: bool = False) -> dict:
    """Forward ``x`` through ``layers``, then backward from the loss or from ``upstream``.

    Shapes: x as the network's input (no batch dim), or (N, ...) when ``batched``; target
    and upstream likewise, upstream as the output of layer ``upstream_at``. Exactly one of
    ``loss`` and ``upstream`` is given. A batched problem keeps N in every quantity but the
    parameters and their gradients.
    """
    trace = graph.forward(layers, params, x, variants, batched=batched)
    values = {name: v if batched else v[0] for name, v in trace.values.items()}
    values.update(params)
    last = layers[-1].name if layers else "input"
    if loss is not None:
        target = np.asarray(target, dtype=float)
        e, d_out = loss_forward(loss, trace.values[last], target if batched else target[None],
                                bool(layers) and layers[-1].kind == "softmax", loss_options)
        values["loss"], values["target"] = e, target
        grads = graph.backward(trace, last, d_out if batched else d_out[0], variants)
    else:
        at = upstream_at or last
        grads = graph.backward(trace, at, upstream, variants)
        values["upstream"] = np.asarray(upstream, dtype=float)
    values.update({f"grad.{name}": g for name, g in grads.items()})
    return values

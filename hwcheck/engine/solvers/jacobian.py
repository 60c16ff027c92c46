"""The full Jacobian of one quantity of a network with respect to another.

``J[a..., b...] = ∂of[a...] / ∂wrt[b...]``, shape ``of.shape + wrt.shape`` (torch's
``autograd.functional.jacobian`` layout). Row by row: one backward pass per entry of
``of`` with a unit upstream gradient, which is exact for every layer the graph can
differentiate. ``of`` may be ``input`` or a layer's name (its output), or ``loss`` (then J
is ∂loss/∂wrt, shaped as ``wrt``); ``wrt`` may be ``input``, a layer's name or a
parameter (``NAME.weight``). A part, symbol or step names it ``jacobian(of, wrt)``, in a
``gradient`` problem; e.g. ``quantity: jacobian(q, input)`` for a softmax's Jacobian.
"""

from __future__ import annotations

import math
import re

import numpy as np

from hwcheck.engine import graph

#: Backward passes and entries one Jacobian may take: a homework Jacobian is small.
MAX_ROWS = 4096
MAX_ENTRIES = 1_000_000
NAME = re.compile(r"^jacobian\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)$")


def parse_name(name: str) -> tuple[str, str] | None:
    """``jacobian(of, wrt)`` → (of, wrt); any other quantity name → None."""
    m = NAME.match(name)
    return (m.group(1), m.group(2)) if m else None


def solve(trace: graph.Trace, of: str, wrt: str, params: dict,
          loss_grads: dict | None = None, variants: frozenset = frozenset()) -> np.ndarray:
    """``trace`` is a forward pass; ``loss_grads`` the gradients of the loss when it has one
    (``grad.Q`` keys), needed only for ``of == "loss"``."""
    known = {*trace.values, *params}
    if wrt not in known:
        raise ValueError(f"jacobian: no quantity '{wrt}' to differentiate with respect to; "
                         f"known: {', '.join(sorted(known))}")
    if of == "loss":
        if not loss_grads or f"grad.{wrt}" not in loss_grads:
            raise ValueError("jacobian(loss, …) needs a loss: give `loss:` and `target:`")
        return np.asarray(loss_grads[f"grad.{wrt}"], dtype=float)
    if of not in trace.values:
        raise ValueError(f"jacobian: no quantity '{of}' to differentiate; known: "
                         f"{', '.join(sorted(trace.values))}, loss")
    lead = 0 if trace.batched else 1      # the trace's own batch of one is not a dimension
    out_shape = trace.values[of].shape[lead:]
    wrt_shape = np.shape(params[wrt]) if wrt in params else trace.values[wrt].shape[lead:]
    rows = math.prod(out_shape)
    if rows > MAX_ROWS or rows * math.prod(wrt_shape) > MAX_ENTRIES:
        raise ValueError(f"jacobian({of}, {wrt}) would have {rows} × {math.prod(wrt_shape)} "
                         f"entries; the limit is {MAX_ROWS} rows and {MAX_ENTRIES:,} entries")
    J = np.zeros((rows, *wrt_shape))
    for k in range(rows):
        unit = np.zeros(rows)
        unit[k] = 1.0
        grads = graph.backward(trace, of, unit.reshape(out_shape), variants)
        if wrt not in grads:
            raise ValueError(f"jacobian: '{of}' does not depend on '{wrt}' (it comes later "
                             "in the network, or on another branch)")
        J[k] = grads[wrt]
    return J.reshape(*out_shape, *wrt_shape)

"""SGD on any sequential network with a loss (p5): the key is the parameters after N steps.

PyTorch's ``torch.optim.SGD`` rule, dampening 0:
    g = ∂E/∂θ + weight_decay·θ;  buf = g (first step) else momentum·buf + g;  θ ← θ − lr·buf
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine import graph
from hwcheck.engine.solvers import gradient

ASCENT = "ascent"   # a known slip: the step taken with the wrong sign (θ + lr·g)


def solve(layers, params: dict, x: np.ndarray, target: np.ndarray, *, loss: str, lr: float,
          momentum: float = 0.0, weight_decay: float = 0.0, steps: int = 1,
          variants: frozenset = frozenset()) -> dict:
    """All quantities of the first step (``gradient.solve``), plus ``new.NAME.weight`` etc.

    Shapes follow the parameters; x and target as the network's input and output.
    """
    if steps < 1:
        raise ValueError(f"sgd needs at least one step; got steps={steps}")
    first = None
    theta = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    buf: dict = {}
    sign = -1.0 if ASCENT in variants else 1.0
    fixed = graph.states(layers, params)     # h0, c0: given inputs, not learned
    for step in range(steps):
        values = gradient.solve(layers, theta, x, loss=loss, target=target, variants=variants)
        if step == 0:
            first = values
        new = {}
        for name, p in theta.items():
            if name in fixed:
                new[name] = p
                continue
            g = values[f"grad.{name}"] + weight_decay * p
            if momentum:
                buf[name] = g if step == 0 else momentum * buf[name] + g
                g = buf[name]
            new[name] = p - sign * lr * g
        theta = new
    result = dict(first)
    result["lr"] = float(lr)
    result.update({f"new.{name}": p for name, p in theta.items() if name not in fixed})
    return result

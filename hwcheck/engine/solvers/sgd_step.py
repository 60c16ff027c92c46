"""Optimizer steps on any sequential network with a loss (p5): parameters after N steps.

Any optimizer of ``engine/optimizers.OPTIMIZERS`` (``sgd`` by default), exactly as
``torch.optim``: each step takes the loss's gradient at the current parameters and
applies the optimizer's rule. Quantities, for every step K from 1:
    stepK.Q                 every value of that step's forward and backward pass
                            (``step2.grad.c.weight``; ``step2.c.weight`` before the step)
    stepK.new.P             parameter P after step K
    stepK.BUFFER.P          the optimizer's state after step K (``step2.exp_avg.c.weight``)
    stepK.SCALAR            a step's shared number (``step1.bias_correction2``)
and, as before, the first step's values unprefixed (``grad.c.weight``), ``new.P`` after the
last step and ``lr``.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine import graph
from hwcheck.engine.optimizers import OPTIMIZERS
from hwcheck.engine.solvers import gradient

ASCENT = "ascent"   # a known slip: the step taken with the wrong sign (θ + lr·g)


def solve(layers, params: dict, x: np.ndarray, target: np.ndarray, *, loss: str,
          optimizer: str = "sgd", steps: int = 1, variants: frozenset = frozenset(),
          loss_options: dict | None = None, batched: bool = False, **options) -> dict:
    """All quantities of every step, named as the module says.

    Shapes follow the parameters; x and target as the network's input and output (with
    the batch dimension first when ``batched``). ``options`` are the optimizer's own.
    """
    if steps < 1:
        raise ValueError(f"an optimizer needs at least one step; got steps={steps}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    opt = OPTIMIZERS[optimizer]
    o = opt.resolve(options)
    theta = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    state: dict = {name: {} for name in theta}
    sign = -1.0 if ASCENT in variants else 1.0
    fixed = graph.states(layers, params)     # h0, c0: given inputs, not learned
    result: dict = {}
    for t in range(1, steps + 1):
        values = gradient.solve(layers, theta, x, loss=loss, target=target,
                                variants=variants, loss_options=loss_options,
                                batched=batched)
        if t == 1:
            first = values
        result.update({f"step{t}.{k}": v for k, v in values.items()})
        new = {}
        for name, p in theta.items():
            if name in fixed:
                new[name] = p
                continue
            delta, state[name], scalars = opt.update(p, values[f"grad.{name}"], state[name],
                                                     t, o)
            new[name] = p - sign * delta
            result[f"step{t}.new.{name}"] = new[name]
            result.update({f"step{t}.{b}.{name}": v for b, v in state[name].items()})
            result.update({f"step{t}.{s}": float(v) for s, v in scalars.items()})
        theta = new
    result.update(first)
    result["lr"] = float(o["lr"])
    result.update({f"new.{name}": p for name, p in theta.items() if name not in fixed})
    return result

"""Layer stacks as test data: a ``Net``, its random parameters, input and target.

``random_problem`` is the one place that turns a seed into the values a solver test needs,
so the finite-difference tests and their torch cross-checks see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwcheck.engine import network


@dataclass(frozen=True)
class Net:
    input_shape: tuple
    layers: tuple

    @property
    def summary(self):
        return network.summarize(self.input_shape, self.layers)


def random_params(net: Net, rng) -> dict:
    """Every parameter of ``net``: weights ~ N(0, 1/fan_in), batchnorm gamma near 1."""
    params = {}
    for row in net.summary.layers:
        for pname, shape in row.param_shapes.items():
            key = f"{row.name}.{pname}"
            if row.kind.startswith("batchnorm"):
                params[key] = (1.0 if pname == "weight" else 0.0) + 0.3 * rng.standard_normal(shape)
            else:   # a recurrent layer's weights and states: the scale of their last axis
                fan_in = int(np.prod(row.param_shapes["weight"][1:])) \
                    if "weight" in row.param_shapes else shape[-1]
                params[key] = rng.standard_normal(shape) / np.sqrt(fan_in) \
                    + (0.1 * rng.standard_normal(shape) if pname == "bias" else 0.0)
    return params


def probability_target(shape, rng) -> np.ndarray:
    """Positive, summing to 1 along the class axis (axis 0 of an unbatched output)."""
    p = rng.dirichlet(np.ones(shape[0]), size=tuple(shape[1:]) or None)
    return np.moveaxis(p, -1, 0) if len(shape) > 1 else p


def random_target(shape, loss: str, rng) -> np.ndarray:
    """A probability target for cross_entropy, any real values for mse."""
    return probability_target(shape, rng) if loss == "cross_entropy" \
        else rng.standard_normal(shape)


@dataclass(frozen=True)
class Problem:
    params: dict
    x: np.ndarray
    target: np.ndarray | None    # None without a loss
    rng: np.random.Generator     # to draw more (an upstream gradient, directions)


def random_problem(net: Net, seed: int, loss: str | None = None) -> Problem:
    """Parameters, then an input, then (with a loss) a target, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    x = rng.standard_normal(net.input_shape)
    target = None if loss is None else random_target(net.summary.output_shape, loss, rng)
    return Problem(params, x, target, rng)


def all_layers(layers):
    return [lay for lay, _ in network.walk(layers)]


def ends_in_softmax(layers) -> bool:
    return bool(layers) and layers[-1].kind == "softmax"

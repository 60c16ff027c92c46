"""The layer table: every layer type's options, parameters, shape rule and op pair.

``engine/network.py`` (shapes, counts), ``engine/graph.py`` (forward and backward), the spec
loader and the JSON Schema all read :data:`LAYERS`; ``residual`` is structural and lives in
those modules, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Collection, Mapping

import numpy as np

from hwcheck.engine.ops.shapes import output_size, pair

from .base import REQUIRED, RESERVED, LayerDef, Option, Param, ShapeError
from .table import LAYERS, SOFTMAX_DIAGONAL

if TYPE_CHECKING:
    from hwcheck.engine.draws import Draws

__all__ = ["LAYERS", "LayerDef", "Option", "Param", "REQUIRED", "RESERVED", "SOFTMAX_DIAGONAL",
           "ShapeError", "initial_params", "output_size", "pair"]


def initial_params(layer, param_shapes: Mapping[str, tuple],
                   rng_for: Callable[[str], Draws],
                   given: Collection[str] = ()) -> dict[str, np.ndarray]:
    """PyTorch-style initial values for each of ``param_shapes`` (a layer's summary row)
    except those in ``given``, keyed by parameter name. All the shapes are still passed, as a
    bias's scale depends on its weight's fan-in even when the weight is given.
    ``rng_for(name)`` is asked for a generator only for the parameters whose init is random,
    so seeding stays per parameter. A layer's ``after_init`` then does what torch's
    ``reset_parameters`` does beyond the draws (an embedding zeros its padding row)."""
    d = LAYERS.get(layer.kind)     # residual: structural, and its own row has no parameters
    out = {}
    for name, shape in param_shapes.items():
        if name in given:
            continue
        own = d.param_for(name) if d is not None else None
        if own is None:
            raise ValueError(f"{layer.kind} has no parameter {name!r}")
        out[name] = own.init(shape, param_shapes, lambda n=name: rng_for(n))
    return d.after_init(layer, out) if d is not None and d.after_init else out

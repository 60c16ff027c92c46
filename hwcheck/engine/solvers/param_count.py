"""Parameter counts, shapes, mult-adds and receptive fields of a network (p3).

Every number here is a quantity a part may name (see :func:`network_quantities`).
Mult-adds follow torchinfo at batch size 1 (``engine/network.py``): a layer's parameter
count times the positions it is applied at, summed over layers; ``conv_mult_adds`` keeps
only the convolutions, the count many textbooks quote.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine.layers import LAYERS
from hwcheck.engine.layers.base import same_shape
from hwcheck.engine.network import Layer, Summary
from hwcheck.engine.solvers import Solution


def solve(summary: Summary) -> Solution:
    """Total parameters = Σ over layers of weights + biases (torchinfo's count)."""
    # The per-layer table (extra["summary"]) is the worked step here.
    return Solution(given={"input": list(summary.input_shape)}, steps=(),
                    parts={"total_params": summary.total_params},
                    extra={"summary": summary})


def network_quantities(summary: Summary, layers: tuple[Layer, ...] = ()) -> dict:
    """Every countable quantity of a network, by name.

    ``total_params``, ``total_mult_adds``, ``conv_mult_adds``, ``output_shape``, and for
    each layer ``NAME.output_shape``, ``NAME.input_shape``, ``NAME.params`` and
    ``NAME.mult_adds``; with ``layers``, ``NAME.receptive_field`` for each layer of the
    leading conv/pool stack and ``receptive_field`` at its last layer.
    """
    out: dict = {
        "total_params": summary.total_params,
        "total_mult_adds": summary.total_mult_adds,
        "conv_mult_adds": sum(r.mult_adds for r in summary.layers
                              if r.kind.startswith("conv")),
        "output_shape": np.array(summary.output_shape),
    }
    for row in summary.layers:
        out[f"{row.name}.output_shape"] = np.array(row.output_shape)
        out[f"{row.name}.input_shape"] = np.array(row.input_shape)
        out[f"{row.name}.params"] = row.params
        out[f"{row.name}.mult_adds"] = row.mult_adds
    fields: dict = {}
    _receptive(layers, None, fields)
    for name, (r, _) in fields.items():
        out[f"{name}.receptive_field"] = _shown(r)
    if fields:
        out["receptive_field"] = _shown(list(fields.values())[-1][0])
    return out


def _shown(r: tuple[int, ...]):
    """One number when every axis agrees (a square field), else one per axis."""
    return r[0] if len(set(r)) == 1 else np.array(r)


def _receptive(layers, state, fields: dict):
    """Receptive field r and jump j per axis, layer by layer:
    r' = r + (k − 1)·d·j, j' = j·s for a conv or pool with kernel k, stride s, dilation d.
    The stack ends at the first layer that mixes all positions (flatten, linear, an
    adaptive pool): after it every output sees the whole input. Returns the final state,
    or None once the stack has ended."""
    for lay in layers:
        if state is False:
            return False
        if lay.kind == "residual":
            body = _receptive(lay.body, state, fields)
            short = _receptive(lay.shortcut or (), state, fields) if lay.shortcut else state
            if body is False or short is False:
                return False
            if body is None or short is None:
                state = body or short
            else:  # the sum sees what either branch sees
                state = (tuple(map(max, body[0], short[0])), body[1])
            if state is not None:
                fields[lay.name] = state
            continue
        opts = lay.options
        if "kernel" in opts and "transpose" not in lay.kind:
            k = _axes(opts["kernel"])
            s = _axes(opts.get("stride") or opts["kernel"], len(k))
            d = _axes(opts.get("dilation", 1), len(k))
            r, j = state or ((1,) * len(k), (1,) * len(k))
            state = (tuple(ri + (ki - 1) * di * ji for ri, ki, di, ji in zip(r, k, d, j)),
                     tuple(ji * si for ji, si in zip(j, s)))
        elif not _keeps_positions(lay):
            return False
        if state is not None:
            fields[lay.name] = state
    return state


def _axes(v, n: int = 1) -> tuple[int, ...]:
    if isinstance(v, (tuple, list)):
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _keeps_positions(lay: Layer) -> bool:
    """Activations, batchnorm, dropout: each output position depends on that position
    alone, so the receptive field passes through unchanged."""
    d = LAYERS.get(lay.kind)
    return d is not None and (d.shape is same_shape or lay.kind.startswith("batchnorm"))

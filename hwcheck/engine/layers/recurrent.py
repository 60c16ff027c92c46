"""The recurrent layers ``rnn``, ``lstm`` and ``gru``: :data:`RECURRENT`, merged into the table.

Each is its ``torch.nn`` namesake with torch's options, defaults and parameter names
(``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, and ``_reverse`` for the
backward direction of a bidirectional layer), so a spec gives weights keyed exactly as a
``state_dict`` is.

Shapes carry no batch dimension: the input is one sequence, (T, input_size), and the
output is torch's ``output`` for it, (T, D·hidden_size), D = 2 when bidirectional (the last
layer's states at every step, forward direction first). ``batch_first`` is accepted for
torch's sake and changes nothing: a value written in a spec is always (T, input_size).
``h0`` (and an LSTM's ``c0``) has torch's unbatched shape (D·num_layers, hidden_size;
proj_size for a projected LSTM's h0), defaults to zeros, and gets a gradient ``grad.NAME.h0`` like a parameter, but is not counted
as one. The final states are the values ``NAME.h_n`` (and ``NAME.c_n``), of the same shape;
nothing is differentiated with respect to them (the loss reads the output).

Parameter count: Σ over layers and directions of G·H·(I_k + H) + 2·G·H with bias, G the
gates (rnn 1, gru 3, lstm 4), I_0 = input_size and I_k = D·H after. An LSTM with
``proj_size`` P > 0 projects h to P (``weight_hr_l{k}``, (P, H)): W_hh is then (4H, P), the
states and outputs are P wide (I_k = D·P), and each set adds P·H. Mult-adds as torchinfo
counts them for nn.RNN/LSTM/GRU at batch 1: the parameter count times T (torchinfo
multiplies by the output's first two dimensions, N·T).
"""

from __future__ import annotations

import math

import numpy as np

from hwcheck.engine.ops import recurrent as rec

from .base import REQUIRED, LayerDef, Option, Param, ShapeError, zeros

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _suffixes(options) -> list[str]:
    """torch's name suffix for each weight set, in torch's order (layer, then direction)."""
    dirs = ("", "_reverse") if options["bidirectional"] else ("",)
    return [f"_l{k}{d}" for k in range(options["num_layers"]) for d in dirs]


def _dirs(options) -> int:
    return 2 if options["bidirectional"] else 1


def _shape(layer, shape):
    if len(shape) != 2:
        raise ShapeError(f"needs one sequence (T, input_size), got {shape}",
                         "give the input as [T, input_size], without a batch dimension")
    o = layer.options
    steps, hidden, gates = shape[0], o["hidden_size"], _GATES[layer.kind]
    proj = o.get("proj_size", 0)      # an LSTM's option only
    if proj >= hidden:
        raise ShapeError(f"proj_size={o['proj_size']} must be smaller than hidden_size="
                         f"{hidden}", "as in torch; proj_size: 0 turns the projection off")
    out = proj or hidden
    params: dict[str, tuple] = {}
    for j, sfx in enumerate(_suffixes(o)):     # torch's order within a layer and direction
        width = shape[1] if j < _dirs(o) else _dirs(o) * out
        params[f"weight_ih{sfx}"] = (gates * hidden, width)
        params[f"weight_hh{sfx}"] = (gates * hidden, out)
        if o["bias"]:
            params[f"bias_ih{sfx}"] = (gates * hidden,)
            params[f"bias_hh{sfx}"] = (gates * hidden,)
        if out != hidden:
            params[f"weight_hr{sfx}"] = (out, hidden)
    params["h0"] = (_dirs(o) * o["num_layers"], out)
    if layer.kind == "lstm":
        params["c0"] = (_dirs(o) * o["num_layers"], hidden)
    return (steps, _dirs(o) * out), params, steps


def _cell(layer) -> str:
    return f"rnn_{layer.options['nonlinearity']}" if layer.kind == "rnn" else layer.kind


def _forward(layer, x, p):
    o = layer.options
    weights = [(p[f"weight_ih{s}"], p[f"weight_hh{s}"], p.get(f"bias_ih{s}"),
                p.get(f"bias_hh{s}"), p.get(f"weight_hr{s}")) for s in _suffixes(o)]

    def state(name, width):  # one state for every sequence of the batch, as torch's unbatched
        shape = (x.shape[0], _dirs(o) * o["num_layers"], width)
        given = p.get(name)
        return np.zeros(shape) if given is None else np.broadcast_to(given, shape)

    hidden = o["hidden_size"]
    c0 = state("c0", hidden) if layer.kind == "lstm" else None
    y, h_n, c_n, cache = rec.recurrent_forward(
        _cell(layer), x, state("h0", o.get("proj_size") or hidden), c0, weights,
        o["num_layers"], o["bidirectional"])
    return y, (cache, h_n, c_n)


def _backward(layer, dy, cache):
    dx, dh0, dc0, grads = rec.recurrent_backward(dy, cache[0])
    out = {"h0": dh0.sum(axis=0)}     # h0 is shared by the batch: its gradients add up
    if dc0 is not None:
        out["c0"] = dc0.sum(axis=0)
    for sfx, own in zip(_suffixes(layer.options), grads):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        out.update({f"{name}{sfx}": g for name, g in zip(names, own)})
    return dx, out


def _final_states(cache):
    _, h_n, c_n = cache
    return {"h_n": h_n} if c_n is None else {"h_n": h_n, "c_n": c_n}


def _init(gates: int):
    """torch draws every weight and bias from U(−1/√H, 1/√H), H = hidden_size; like the
    other layers we draw N(0, 1) at that scale."""

    def init(shape, shapes, rng):
        return rng().standard_normal(shape) / math.sqrt(shapes["weight_hh_l0"][0] // gates)

    return init


def _torch_kwargs(options):
    # The graph's arrays put the batch first whatever the option says (see the module doc).
    return {**options, "batch_first": True}


def _call(module, xs, states):
    """torch's batched h0 is (D·L, N, H); ours is one state shared by the N sequences
    (``_forward`` broadcasts it), so it is expanded, and autograd sums its gradients over
    the batch as ``_backward`` does."""
    x = xs[0]

    def batched(s):
        return s.unsqueeze(1).expand(-1, x.shape[0], -1)

    if "c0" in states:
        return module(x, (batched(states["h0"]), batched(states["c0"])))[0]
    return module(x, batched(states["h0"]))[0]


_OPTIONS = (
    Option("hidden_size", "count", REQUIRED, "features of the hidden state h (torch's "
                                              "hidden_size); the output has D·hidden_size"),
    Option("num_layers", "count", 1, "stacked recurrent layers, each reading the one below"),
    Option("bias", "bool", True, "false drops both bias vectors, bias_ih and bias_hh"),
    Option("batch_first", "bool", False, "accepted as torch has it, but a spec's input is "
                                         "one sequence [T, input_size] either way"),
    Option("dropout", "prob", 0.0, "dropout between stacked layers in training; the identity "
                                   "here (answer keys are deterministic: eval)"),
    Option("bidirectional", "bool", False, "a second direction reads the sequence backwards "
                                           "(`_reverse` parameters); D = 2"),
)
_PROJ_SIZE = Option("proj_size", "size", 0, "an LSTM's projection of h to this size "
                                           "(weight_hr_l{k}); 0: none")
_NONLINEARITY = Option("nonlinearity", "choice", "tanh", "the cell's activation: tanh or relu",
                       choices=("tanh", "relu"))


def _params(kind: str) -> tuple[Param, ...]:
    init = _init(_GATES[kind])
    out = (
        Param("weight_ih_l{k}", init, "layer k's input weights (G·hidden_size, its input "
              "width), torch's gate order stacked; _reverse: the backward direction",
              pattern=r"weight_ih_l\d+(_reverse)?"),
        Param("weight_hh_l{k}", init, "layer k's hidden weights (G·hidden_size, "
              "hidden_size); _reverse: the backward direction",
              pattern=r"weight_hh_l\d+(_reverse)?"),
        Param("bias_ih_l{k}", init, "layer k's input bias (G·hidden_size,); _reverse: the "
              "backward direction", pattern=r"bias_ih_l\d+(_reverse)?"),
        Param("bias_hh_l{k}", init, "layer k's hidden bias (G·hidden_size,); _reverse: "
              "the backward direction", pattern=r"bias_hh_l\d+(_reverse)?"),
        Param("h0", zeros, "initial hidden state (D·num_layers, hidden_size, or proj_size "
              "when projected); zeros by default", state=True),
    )
    if kind == "lstm":
        out += (Param("weight_hr_l{k}", init, "layer k's projection (proj_size, "
                      "hidden_size), with proj_size > 0; _reverse: the backward direction",
                      pattern=r"weight_hr_l\d+(_reverse)?"),
                Param("c0", zeros, "initial cell state (D·num_layers, hidden_size); zeros by "
                      "default", state=True),)
    return out


def _entry(kind: str, options, example) -> LayerDef:
    return LayerDef(options=options, params=_params(kind), shape=_shape,
                    forward=_forward, backward=_backward, torch=kind.upper(),
                    torch_kwargs=_torch_kwargs, torch_mode="eval", torch_input="input_size",
                    torch_call=_call, outputs=_final_states, example=example)


RECURRENT: dict[str, LayerDef] = {
    "rnn": _entry("rnn", (*_OPTIONS[:2], _NONLINEARITY, *_OPTIONS[2:]),   # torch's order
                  ((4, 3), {"hidden_size": 3, "num_layers": 2, "bidirectional": True})),
    "lstm": _entry("lstm", (*_OPTIONS, _PROJ_SIZE),
                   ((3, 2), {"hidden_size": 3, "num_layers": 2, "bidirectional": True,
                             "proj_size": 2})),
    "gru": _entry("gru", _OPTIONS,
                  ((4, 3), {"hidden_size": 2, "num_layers": 2, "bidirectional": True})),
}

"""The vocabulary of the layer table: options, parameters and the record for one layer type.

Nothing here knows a particular layer; ``table.py`` fills :data:`LAYERS` with them.
"""

from __future__ import annotations

import math
import re
from dataclasses import field
from typing import Any, Callable, Mapping

import numpy as np

from hwcheck.engine.draws import Draws
from hwcheck.frozen import frozen

REQUIRED = object()

#: Quantity names the solvers give themselves; a layer named like one would hide it.
RESERVED = ("input", "target", "loss", "upstream", "lr", "grad", "new")


@frozen
class Option:
    """One layer option with PyTorch's default. ``type``: count (int ≥ 1), size (int ≥ 0),
    int, pair (count or [h, w]), pair0 (size or [h, w]), shape (count or a list of counts),
    bool, prob (0 ≤ p ≤ 1), positive (float > 0), number (any finite float), optional (an
    int or null, the layer's rule checks it) or choice (one of ``choices``). A ``None``
    default is filled in by the layer's own rule (a pool's stride is its kernel), except an
    ``optional``'s, which is torch's None. ``help`` is the sentence an editor shows."""

    name: str
    type: str
    default: Any = REQUIRED
    help: str = ""
    choices: tuple[str, ...] = ()


# Init rules: (shape, the layer's parameter shapes, a zero-argument rng factory) → array.
# The factory gives an engine.draws.Draws (np.random.Generator here would import
# numpy.random, ~9 ms of a grade, just to build this alias).
Init = Callable[[tuple, Mapping[str, tuple], Callable[[], Draws]], np.ndarray]


def ones(shape, shapes, rng) -> np.ndarray:
    return np.ones(shape)


def zeros(shape, shapes, rng) -> np.ndarray:
    return np.zeros(shape)


def fan_in_normal(of: str = "weight") -> Init:
    """A seeded N(0, 1) draw scaled by 1/√fan_in, fan_in being the product of all but the
    first dimension of parameter ``of`` (PyTorch's init scale for conv and linear; the draw is
    normal rather than torch's uniform, so existing keys keep their values)."""

    def init(shape, shapes, rng):
        fan_in = math.prod(shapes[of][1:])
        return rng().standard_normal(shape) / np.sqrt(fan_in)

    return init


@frozen
class Param:
    """A learned or given array of a layer. A ``buffer`` (batchnorm's running statistics) may
    be given in a spec but is neither learned nor counted. A ``state`` (an RNN's h0) is an
    input given like a parameter and differentiated like one, but torch does not count it
    as a parameter (nor do we). A ``pattern`` (a regular expression) makes this one entry
    stand for a family of names that depends on the options, such as an LSTM's
    ``weight_ih_l1_reverse``; ``name`` is then the family's name as the docs show it."""

    name: str
    init: Init
    help: str = ""
    buffer: bool = False
    state: bool = False
    pattern: str | None = None

    def matches(self, key: str) -> bool:
        return key == self.name if self.pattern is None else \
            re.fullmatch(self.pattern, key) is not None


class ShapeError(ValueError):
    """A shape rule refuses its input; the caller places it at the layer."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


# A shape rule maps (layer, input shape) to (output shape, parameter shapes, positions): the
# parameters present with these options, and how many positions they are applied at, which
# makes the mult-adds (torchinfo at batch 1: parameter count × positions).
Rule = Callable[[Any, tuple], tuple[tuple, dict, int]]
# forward(layer, x, params) → (y, cache) on batched arrays; params by name, None when absent.
Forward = Callable[[Any, Any, Mapping[str, Any]], tuple[Any, Any]]
# backward(layer, dy, cache) → (dx, {param name: gradient}); absent parameters are left out.
Backward = Callable[[Any, Any, Any], tuple[Any, dict]]


def same_shape(layer, shape: tuple) -> tuple[tuple, dict, int]:
    return shape, {}, 0


@frozen
class LayerDef:
    """Everything about one layer type.

    ``torch`` names its ``torch.nn`` namesake (a ``Lazy`` class when torch needs the input
    size) and ``torch_kwargs`` turns our normalised options into its keyword arguments;
    ``torch_mode`` is the mode whose arithmetic ``forward`` reproduces (batchnorm uses batch
    statistics: train; dropout is the identity: eval). ``example`` is a small input shape
    (no batch dimension; a tuple of shapes for several inputs) and options that the
    completeness tests run it on. ``variants`` are known-slip backward passes, keyed by the
    variant name a spec may ask for.

    ``torch`` is looked up under ``torch.nn`` and then ``torch`` (``functional.xxx``,
    ``add``): a class is built with ``torch_kwargs`` and its parameters set, a function is
    called with the inputs and ``torch_kwargs``. For a class that is not ``Lazy``,
    ``torch_input`` names the keyword that takes the input's last dimension
    (``input_size``). ``torch_call(module, inputs, states)`` calls a module whose call or
    result differs from ``module(*inputs)``: MultiheadAttention takes (x, x, x) and returns a
    tuple; an RNN takes its ``state`` tensors (unbatched, by name) too. ``outputs(cache)``
    names extra values a forward computes (an LSTM's ``h_n``, batched), shown as
    ``NAME.h_n``.

    ``inputs`` names the several inputs of a layer where quantities meet (add: a, b;
    attention: q, k, v): its shape rule then gets a tuple of shapes, its forward a tuple of
    arrays, and its backward returns a tuple of gradients; empty means one input, the usual
    case. ``indices`` names the option that bounds an integer-index input (embedding's
    num_embeddings): such an input has no gradient, and its backward returns None for it.
    With ``self_inputs`` such a layer may also read one quantity (named, or the previous
    output) as each of its ``inputs`` (multiheadattention: self-attention).
    """

    options: tuple[Option, ...]
    forward: Forward
    backward: Backward
    torch: str
    example: tuple[tuple[int, ...], Mapping[str, Any]]
    params: tuple[Param, ...] = ()
    shape: Rule = same_shape
    torch_kwargs: Callable[[Mapping[str, Any]], dict] = dict
    torch_mode: str = "train"
    variants: Mapping[str, Backward] = field(default_factory=dict)
    torch_input: str | None = None
    torch_call: Callable[[Any, tuple, Mapping[str, Any]], Any] | None = None
    outputs: Callable[[Any], Mapping[str, Any]] | None = None
    inputs: tuple[str, ...] = ()
    indices: str | None = None
    self_inputs: bool = False
    # after_init(layer, drawn values by name) → values: what torch's reset_parameters does
    # beyond each parameter's own draw; only the drawn (not given) values are passed
    after_init: Callable[[Any, dict], dict] | None = None

    @property
    def given(self) -> tuple[str, ...]:
        """Exact names a spec may give values for (parameters, buffers, states)."""
        return tuple(p.name for p in self.params if p.pattern is None)

    @property
    def given_patterns(self) -> dict[str, Param]:
        """Families of names a spec may give values for, by regular expression."""
        return {p.pattern: p for p in self.params if p.pattern is not None}

    def sources(self, named: tuple[str, ...], previous: str) -> tuple[str, ...]:
        """The quantities a layer of this type reads, one per entry of ``inputs`` (or one):
        those its ``inputs:`` names, else the previous output ``previous``."""
        srcs = tuple(named) or (previous,)
        if self.self_inputs and len(srcs) == 1:
            return srcs * len(self.inputs)
        return srcs

    def param_for(self, key: str) -> Param | None:
        """The entry that a given or computed array named ``key`` belongs to."""
        return next((p for p in self.params if p.matches(key)), None)

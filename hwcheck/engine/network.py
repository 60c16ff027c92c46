"""Layer list → shapes, parameter counts and mult-adds, exactly as PyTorch computes them.

Shapes carry no batch dimension: ``(C, H, W)`` for images, ``(F,)`` for vectors. Each layer
behaves like its ``torch.nn`` namesake applied to a batch of one:

- ``conv2d``     (C, H, W) → (out, H', W');  weight (out, C/groups, kh, kw), bias (out,)
- ``maxpool2d``, ``avgpool2d``  (C, H, W) → (C, H', W');  no parameters
- ``adaptiveavgpool2d``  (C, H, W) → (C, *output_size)
- ``batchnorm2d`` (C, H, W), ``batchnorm1d`` (C,) or (C, L): shape kept; weight and bias (C,)
  when affine. Running statistics are buffers, not parameters.
- ``flatten``    anything → (prod of all dims,)   (``nn.Flatten`` after the batch dimension)
- ``linear``     (..., F) → (..., out);  weight (out, F), bias (out,). Like ``nn.Linear`` it
  acts on the last dimension, so it does not need a flattened input.
- the activations, ``softmax`` and ``dropout``: shape kept, no parameters.
- ``residual``   body(x) + shortcut(x), shortcut = identity when absent; both must agree.
- the layers of ``engine/layers/more.py`` (embedding, layernorm, conv1d, convtranspose2d,
  multiheadattention, gelu, elu, identity, and ``add``/``attention``, which read several
  named quantities); their shapes are in that module and in the README.
- any layer may read named quantities (``Layer.inputs``: network inputs or earlier layers)
  instead of the previous output; a network may have several named inputs.
- ``rnn``, ``lstm``, ``gru``  (T, I) → (T, D·hidden_size): one sequence, torch's ``output``;
  torch's ``weight_ih_l0``... (see ``engine/layers/recurrent.py``). Their initial states
  h0, c0 are given like parameters but not counted; mult-adds are count × T.

The shape rules themselves are in the layer table (``hwcheck.engine.layers``); this module
propagates shapes through them. H' and W' follow :func:`output_size`. Mult-adds follow torchinfo at batch size 1: a layer's
parameter count times the number of positions it is applied at. So conv2d counts
H'·W'·(out·C/groups·kh·kw + out) and linear rows·(F·out + out), where rows is the product
of the leading dimensions (1 for a vector; torchinfo counts only the batch there). Batchnorm
counts its 2C parameters once, as torchinfo does, and every other layer counts 0.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any, Iterator, Mapping, Sequence

from hwcheck.engine.layers import LAYERS, REQUIRED, Option, ShapeError, output_size, pair
from hwcheck.frozen import frozen

__all__ = ["GIVEN", "OPTIONS", "REQUIRED", "Layer", "LayerSummary", "Network", "Option",
           "Summary", "layer", "normalise", "output_size", "pair", "summarize", "walk"]

#: Every layer type's options, read from the layer table; ``residual`` is structural.
OPTIONS: dict[str, tuple[Option, ...]] = {
    **{kind: d.options for kind, d in LAYERS.items()}, "residual": ()}

#: Given values (explicit arrays or seeded draws) that a layer may carry, left unresolved.
GIVEN: dict[str, tuple[str, ...]] = {kind: d.given for kind, d in LAYERS.items() if d.given}


class NetworkError(ValueError):
    """A layer list that cannot be built or run, at the layer's line when it has one; the
    spec layer turns it into a located SpecError."""

    def __init__(self, message: str, hint: str | None = None, line: int = 0,
                 col: int = 0) -> None:
        super().__init__(message)
        self.message, self.hint, self.line, self.col = message, hint, line, col


@frozen
class Layer:
    """One layer. ``options`` are normalised by :func:`normalise` (pairs are (h, w) tuples,
    every default filled in). ``given`` maps weight/bias/... to raw, unresolved values."""

    kind: str
    name: str
    options: Mapping[str, Any]
    line: int = 0
    col: int = 0
    body: tuple["Layer", ...] = ()
    shortcut: tuple["Layer", ...] | None = None
    given: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()    # quantities read (`inputs:`); empty: the previous output


@frozen
class LayerSummary:
    """One row of a summary; ``depth`` > 0 inside residual blocks."""

    name: str
    kind: str
    depth: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    mult_adds: int
    param_shapes: Mapping[str, tuple[int, ...]]


@frozen
class Summary:
    """Every layer in execution order: a residual row, then its body, then its shortcut."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[LayerSummary, ...]
    total_params: int
    total_mult_adds: int


@frozen
class Network:
    """An input shape and its layers, as parsed from a spec's ``network:``."""

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    line: int = 0
    col: int = 0
    inputs: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # named, if several

    def summary(self) -> Summary:
        return summarize(self.inputs or self.input_shape, self.layers)


def normalise(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in torch's defaults and turn every pair option into an (h, w) tuple.

    Idempotent. Expects checked values (netspec checks types and ranges with line numbers);
    a missing required option or an unknown one is a NetworkError without a position.
    """
    if kind not in OPTIONS:
        raise NetworkError(f"unknown layer type {kind!r}", hint="types: " + ", ".join(OPTIONS))
    schema = {o.name: o for o in OPTIONS[kind]}
    for name in options:
        if name not in schema:
            raise NetworkError(f"{kind} has no option {name!r}",
                            hint="options: " + (", ".join(schema) or "none"))
    out: dict[str, Any] = {}
    for opt in OPTIONS[kind]:
        value = options.get(opt.name, opt.default)
        if value is REQUIRED:
            raise NetworkError(f"{kind} needs `{opt.name}:`")
        if opt.type in ("pair", "pair0") and value is not None:
            value = pair(value)
        if opt.type == "shape" and value is not None:
            value = (int(value),) if isinstance(value, int) else tuple(int(v) for v in value)
        if opt.type == "choice" and value not in opt.choices:
            raise NetworkError(f"{kind} `{opt.name}` must be one of: "
                               + ", ".join(opt.choices) + f"; got {value!r}")
        out[opt.name] = value
    if "stride" in out and out["stride"] is None:  # pools: stride defaults to the kernel
        out["stride"] = out["kernel"]
    return out


def layer(kind: str, name: str = "", **options: Any) -> Layer:
    """Build a normalised layer in code, e.g. ``layer("conv2d", out=8, kernel=3)``."""
    return Layer(kind, name or kind, normalise(kind, options))


def walk(layers: Sequence[Layer], depth: int = 0) -> Iterator[tuple[Layer, int]]:
    """Every layer with its depth, in execution order (body before shortcut)."""
    for lay in layers:
        yield lay, depth
        if lay.kind == "residual":
            yield from walk(lay.body, depth + 1)
            yield from walk(lay.shortcut or (), depth + 1)


def summarize(input_shape, layers: Sequence[Layer]) -> Summary:
    """Propagate ``input_shape`` through ``layers``; a NetworkError names the layer that fails.

    ``input_shape`` is one shape (the quantity ``input``) or a mapping of named inputs to
    shapes, the first of which feeds a first layer that names no ``inputs``.
    """
    named = dict(input_shape) if isinstance(input_shape, Mapping) else {"input": input_shape}
    for shape in named.values():
        shape = tuple(shape)
        if not shape or any(type(d) is not int or d < 1 for d in shape):
            raise NetworkError(f"input shape {shape} must be one or more whole numbers ≥ 1",
                               hint="e.g. input: [3, 32, 32]")
    env = {name: tuple(shape) for name, shape in named.items()}
    rows: list[LayerSummary] = []
    first = next(iter(env))
    out = _run(layers, env[first], 0, rows, env)
    return Summary(env[first], out, tuple(rows), sum(r.params for r in rows),
                   sum(r.mult_adds for r in rows))


# --- several named inputs (issue 12): where a layer reads its input from --------------------

def _in_shape(lay: Layer, shape: tuple[int, ...], env: dict):
    """The shape ``lay`` reads: the previous output's, the one it names in ``inputs:``, or,
    for a layer with several inputs (add, attention), a tuple of the ones it names."""
    d = LAYERS.get(lay.kind)
    want = d.inputs if d is not None else ()
    alone = d is not None and d.self_inputs and len(lay.inputs) <= 1
    if want and len(lay.inputs) != len(want) and not alone:
        either = " or one" if d.self_inputs else ""
        raise _fail(lay, f"reads {len(want)} inputs ({', '.join(want)}){either}; its "
                         f"`inputs:` names {len(lay.inputs)}",
                    f"e.g. inputs: [{', '.join(want)}], each an input or an earlier layer")
    if not want and len(lay.inputs) > 1:
        raise _fail(lay, f"reads one input; its `inputs:` names {len(lay.inputs)}",
                    "name one input or earlier layer, or use `add` to sum two")
    for name in lay.inputs:
        if name not in env:
            raise _fail(lay, f"reads '{name}', which is no input and no earlier layer",
                        "known here: " + ", ".join(env))
    if want:       # self-attention: the one quantity read is each of the inputs
        shapes = tuple(env[n] for n in lay.inputs) or (shape,)
        return shapes * len(want) if len(shapes) < len(want) else shapes
    return env[lay.inputs[0]] if lay.inputs else shape


# ---------------------------------------------------------------------------------------------

def _run(layers: Sequence[Layer], shape: tuple[int, ...], depth: int,
         rows: list[LayerSummary], env: dict) -> tuple[int, ...]:
    for lay in layers:
        shape = _in_shape(lay, shape, env)
        if lay.kind == "residual":
            shape = env[lay.name] = _residual(lay, shape, depth, rows, env)
            continue
        if lay.kind not in LAYERS:
            raise _fail(lay, f"unknown layer type {lay.kind!r}", "types: " + ", ".join(OPTIONS))
        try:
            out, params, positions = LAYERS[lay.kind].shape(lay, shape)
        except ShapeError as err:
            raise _fail(lay, err.message, err.hint) from None
        if any(d < 1 for d in out):
            raise _fail(lay, f"shrinks its input {shape} to {out}: a size collapses to zero "
                             "or below", "use a smaller kernel, stride or dilation, more "
                             "padding, or a larger input")
        own = LAYERS[lay.kind].param_for
        count = sum(math.prod(s) for n, s in params.items() if not own(n).state)
        first = shape[0] if LAYERS[lay.kind].inputs else shape   # several: the first's shape
        rows.append(LayerSummary(lay.name, lay.kind, depth, first, out, count,
                                 count * positions, params))
        shape = env[lay.name] = out
    return shape


def _residual(lay: Layer, shape: tuple[int, ...], depth: int,
              rows: list[LayerSummary], env: dict) -> tuple[int, ...]:
    """body(x) + shortcut(x): the container row first, then the body's and shortcut's rows."""
    at = len(rows)
    rows.append(None)  # type: ignore[arg-type]  # placeholder, filled once the shape is known
    body = _run(lay.body, shape, depth + 1, rows, env)
    identity = lay.shortcut is None
    short = shape if identity else _run(lay.shortcut, shape, depth + 1, rows, env)
    if body != short:
        other = "the identity shortcut keeps" if identity else "the shortcut gives"
        raise _fail(lay, f"its body gives {body} but {other} {short}; they are added, so "
                         "they must agree",
                    "add a `shortcut:`, e.g. a 1x1 conv2d with the body's stride and channels"
                    if identity else "make the shortcut's channels and stride match the body's")
    rows[at] = LayerSummary(lay.name, lay.kind, depth, shape, body, 0, 0, {})
    return body


def _fail(lay: Layer, message: str, hint: str | None = None) -> NetworkError:
    return NetworkError(f"{lay.kind} '{lay.name}': {message}", line=lay.line, col=lay.col,
                     hint=hint)

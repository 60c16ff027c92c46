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
- ``relu``, ``sigmoid``, ``tanh``, ``softmax``, ``dropout``: shape kept, no parameters.
- ``residual``   body(x) + shortcut(x), shortcut = identity when absent; both must agree.

H' and W' follow :func:`output_size`. Mult-adds follow torchinfo at batch size 1: a layer's
parameter count times the number of positions it is applied at. So conv2d counts
H'·W'·(out·C/groups·kh·kw + out) and linear rows·(F·out + out), where rows is the product
of the leading dimensions (1 for a vector; torchinfo counts only the batch there). Batchnorm
counts its 2C parameters once, as torchinfo does, and every other layer counts 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from hwcheck.errors import SpecError

REQUIRED = object()


@dataclass(frozen=True)
class Option:
    """One layer option. ``type``: count (int ≥ 1), size (int ≥ 0), int, pair (count or
    [h, w]), pair0 (size or [h, w]), bool, prob (0 ≤ p ≤ 1) or positive (float > 0)."""

    name: str
    type: str
    default: Any = REQUIRED


_POOL = (Option("kernel", "pair"), Option("stride", "pair", None),
         Option("padding", "pair0", 0), Option("ceil_mode", "bool", False))
_NORM = (Option("eps", "positive", 1e-5), Option("momentum", "prob", 0.1),
         Option("affine", "bool", True))

#: Every layer type and its options, with torch's defaults. ``residual`` is structural.
OPTIONS: dict[str, tuple[Option, ...]] = {
    "conv2d": (Option("out", "count"), Option("kernel", "pair"), Option("stride", "pair", 1),
               Option("padding", "pair0", 0), Option("dilation", "pair", 1),
               Option("groups", "count", 1), Option("bias", "bool", True)),
    "maxpool2d": _POOL + (Option("dilation", "pair", 1),),
    "avgpool2d": _POOL + (Option("count_include_pad", "bool", True),),
    "adaptiveavgpool2d": (Option("output_size", "pair"),),
    "batchnorm2d": _NORM, "batchnorm1d": _NORM,
    "dropout": (Option("p", "prob", 0.5),),
    "flatten": (),
    "linear": (Option("out", "count"), Option("bias", "bool", True)),
    "relu": (), "sigmoid": (), "tanh": (),
    "softmax": (Option("dim", "int", -1),),
    "residual": (),
}

#: Given values (explicit arrays or seeded draws) that a layer may carry, left unresolved.
GIVEN: dict[str, tuple[str, ...]] = {
    "conv2d": ("weight", "bias"), "linear": ("weight", "bias"),
    **dict.fromkeys(("batchnorm2d", "batchnorm1d"),
                    ("weight", "bias", "running_mean", "running_var")),
}


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Summary:
    """Every layer in execution order: a residual row, then its body, then its shortcut."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[LayerSummary, ...]
    total_params: int
    total_mult_adds: int


@dataclass(frozen=True)
class Network:
    """An input shape and its layers, as parsed from a spec's ``network:``."""

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    line: int = 0
    col: int = 0

    def summary(self) -> Summary:
        return summarize(self.input_shape, self.layers)


def pair(value: int | Sequence[int]) -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``[3, 5]`` → ``(3, 5)``."""
    if isinstance(value, int):
        return (value, value)
    h, w = value
    return (int(h), int(w))


def normalise(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in torch's defaults and turn every pair option into an (h, w) tuple.

    Idempotent. Expects checked values (netspec checks types and ranges with line numbers);
    a missing required option or an unknown one is a SpecError without a position.
    """
    if kind not in OPTIONS:
        raise SpecError(f"unknown layer type {kind!r}", hint="types: " + ", ".join(OPTIONS))
    schema = {o.name: o for o in OPTIONS[kind]}
    for name in options:
        if name not in schema:
            raise SpecError(f"{kind} has no option {name!r}",
                            hint="options: " + (", ".join(schema) or "none"))
    out: dict[str, Any] = {}
    for opt in OPTIONS[kind]:
        value = options.get(opt.name, opt.default)
        if value is REQUIRED:
            raise SpecError(f"{kind} needs `{opt.name}:`")
        if opt.type in ("pair", "pair0") and value is not None:
            value = pair(value)
        out[opt.name] = value
    if "stride" in out and out["stride"] is None:  # pools: stride defaults to the kernel
        out["stride"] = out["kernel"]
    return out


def layer(kind: str, name: str = "", **options: Any) -> Layer:
    """Build a normalised layer in code, e.g. ``layer("conv2d", out=8, kernel=3)``."""
    return Layer(kind, name or kind, normalise(kind, options))


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                ceil_mode: bool = False) -> int:
    """Length of a conv or pool output along one axis, by torch's rule.

    ``floor((size + 2·pad − dilation·(kernel − 1) − 1 [+ stride − 1 if ceil]) / stride) + 1``;
    in ceil mode the last window must start inside the input or the left padding, else it is
    dropped. A result below 1 means the axis collapsed.
    """
    if kernel < 1 or stride < 1 or dilation < 1 or padding < 0:
        raise ValueError("kernel, stride and dilation must be ≥ 1 and padding ≥ 0")
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def walk(layers: Sequence[Layer], depth: int = 0) -> Iterator[tuple[Layer, int]]:
    """Every layer with its depth, in execution order (body before shortcut)."""
    for lay in layers:
        yield lay, depth
        if lay.kind == "residual":
            yield from walk(lay.body, depth + 1)
            yield from walk(lay.shortcut or (), depth + 1)


def summarize(input_shape: tuple[int, ...], layers: Sequence[Layer]) -> Summary:
    """Propagate ``input_shape`` through ``layers``; a SpecError names the layer that fails."""
    shape = tuple(input_shape)
    if not shape or any(type(d) is not int or d < 1 for d in shape):
        raise SpecError(f"input shape {shape} must be one or more whole numbers ≥ 1",
                        hint="e.g. input: [3, 32, 32]")
    rows: list[LayerSummary] = []
    out = _run(layers, shape, 0, rows)
    return Summary(shape, out, tuple(rows), sum(r.params for r in rows),
                   sum(r.mult_adds for r in rows))


def _run(layers: Sequence[Layer], shape: tuple[int, ...], depth: int,
         rows: list[LayerSummary]) -> tuple[int, ...]:
    for lay in layers:
        if lay.kind == "residual":
            shape = _residual(lay, shape, depth, rows)
            continue
        rule = _RULES.get(lay.kind)
        if rule is None:
            raise _fail(lay, f"unknown layer type {lay.kind!r}", "types: " + ", ".join(OPTIONS))
        out, params, positions = rule(lay, shape)
        if any(d < 1 for d in out):
            raise _fail(lay, f"shrinks its input {shape} to {out}: a size collapses to zero "
                             "or below", "use a smaller kernel, stride or dilation, more "
                             "padding, or a larger input")
        count = sum(math.prod(s) for s in params.values())
        rows.append(LayerSummary(lay.name, lay.kind, depth, shape, out, count,
                                 count * positions, params))
        shape = out
    return shape


def _residual(lay: Layer, shape: tuple[int, ...], depth: int,
              rows: list[LayerSummary]) -> tuple[int, ...]:
    """body(x) + shortcut(x): the container row first, then the body's and shortcut's rows."""
    at = len(rows)
    rows.append(None)  # type: ignore[arg-type]  # placeholder, filled once the shape is known
    body = _run(lay.body, shape, depth + 1, rows)
    identity = lay.shortcut is None
    short = shape if identity else _run(lay.shortcut, shape, depth + 1, rows)
    if body != short:
        other = "the identity shortcut keeps" if identity else "the shortcut gives"
        raise _fail(lay, f"its body gives {body} but {other} {short}; they are added, so "
                         "they must agree",
                    "add a `shortcut:`, e.g. a 1x1 conv2d with the body's stride and channels"
                    if identity else "make the shortcut's channels and stride match the body's")
    rows[at] = LayerSummary(lay.name, lay.kind, depth, shape, body, 0, 0, {})
    return body


def _fail(lay: Layer, message: str, hint: str | None = None) -> SpecError:
    return SpecError(f"{lay.kind} '{lay.name}': {message}", line=lay.line, col=lay.col,
                     hint=hint)


def _image(lay: Layer, shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise _fail(lay, f"needs a (C, H, W) input, got {shape}",
                    "put it before `flatten`, or give a 3-dimensional input: [C, H, W]")
    return shape  # type: ignore[return-value]


# A rule maps (layer, input shape) to (output shape, parameter shapes, positions applied at).
Rule = Callable[[Layer, tuple], tuple[tuple, dict, int]]


def _conv2d(lay: Layer, shape: tuple[int, ...]):
    c, h, w = _image(lay, shape)
    o = lay.options
    out, groups = o["out"], o["groups"]
    if c % groups or out % groups:
        raise _fail(lay, f"groups={groups} must divide both the input channels ({c}) and "
                         f"out ({out})", f"choose groups among the common divisors of {c} "
                                         f"and {out}")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = o["kernel"], o["stride"], o["padding"], o["dilation"]
    oh, ow = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    params = {"weight": (out, c // groups, kh, kw)}
    if o["bias"]:
        params["bias"] = (out,)
    return (out, oh, ow), params, oh * ow


def _pool(lay: Layer, shape: tuple[int, ...]):
    c, h, w = _image(lay, shape)
    o = lay.options
    (kh, kw), (sh, sw), (ph, pw) = o["kernel"], o["stride"], o["padding"]
    if ph > kh // 2 or pw > kw // 2:
        raise _fail(lay, f"padding {o['padding']} is more than half the kernel {o['kernel']}",
                    "PyTorch requires padding <= kernel // 2 for pooling")
    dh, dw = o.get("dilation", (1, 1))
    ceil = o["ceil_mode"]
    return (c, output_size(h, kh, sh, ph, dh, ceil), output_size(w, kw, sw, pw, dw, ceil)), {}, 0


def _adaptive(lay: Layer, shape: tuple[int, ...]):
    c, _, _ = _image(lay, shape)
    return (c, *lay.options["output_size"]), {}, 0


def _batchnorm(lay: Layer, shape: tuple[int, ...]):
    ranks = (3,) if lay.kind == "batchnorm2d" else (1, 2)
    if len(shape) not in ranks:
        want = "(C, H, W)" if lay.kind == "batchnorm2d" else "(C,) or (C, L)"
        other = "batchnorm1d" if lay.kind == "batchnorm2d" else "batchnorm2d"
        raise _fail(lay, f"needs a {want} input, got {shape}", f"use {other} here instead")
    params = {"weight": (shape[0],), "bias": (shape[0],)} if lay.options["affine"] else {}
    return shape, params, 1


def _flatten(lay: Layer, shape: tuple[int, ...]):
    return (math.prod(shape),), {}, 0


def _linear(lay: Layer, shape: tuple[int, ...]):
    out = lay.options["out"]
    params = {"weight": (out, shape[-1])}
    if lay.options["bias"]:
        params["bias"] = (out,)
    return (*shape[:-1], out), params, math.prod(shape[:-1])


def _softmax(lay: Layer, shape: tuple[int, ...]):
    dim = lay.options["dim"]
    if not -len(shape) <= dim < len(shape):
        raise _fail(lay, f"dim={dim} is out of range for a {len(shape)}-dimensional input "
                         f"{shape}", f"use a dim from {-len(shape)} to {len(shape) - 1}")
    return shape, {}, 0


def _same(lay: Layer, shape: tuple[int, ...]):
    return shape, {}, 0


_RULES: dict[str, Rule] = {
    "conv2d": _conv2d, "maxpool2d": _pool, "avgpool2d": _pool, "adaptiveavgpool2d": _adaptive,
    "batchnorm2d": _batchnorm, "batchnorm1d": _batchnorm, "flatten": _flatten,
    "linear": _linear, "softmax": _softmax, "dropout": _same, "relu": _same,
    "sigmoid": _same, "tanh": _same,
}

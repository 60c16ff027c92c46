"""A spec's ``network:`` mapping (a yamlio Node) → :class:`hwcheck.engine.network.Network`.

Every error is a SpecError at the line of the offending layer, option or value. Given values
(``weight:``, ``bias:`` as an array or a seeded draw) are kept as raw Nodes in
``Layer.given``; resolving them is the caller's business. Unnamed layers are called
``<kind>_<n>``, numbered per kind from 1 in execution order (``conv2d_1``, ``relu_1``,
``conv2d_2``…), skipping any name that a layer carries explicitly.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from hwcheck.errors import SpecError
from hwcheck.engine.layers import LAYERS, RESERVED
from hwcheck.engine.network import (GIVEN, OPTIONS, REQUIRED, Layer, Network, NetworkError, Option,
                                    normalise, walk)
from hwcheck.spec.option_values import option_value
from hwcheck.spec.yamlio import Node

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_RESIDUAL_KEYS = ("layers", "shortcut")
_NOT_INPUTS = tuple(n for n in RESERVED if n != "input")   # an input may be called input


def parse_network(node: Node, sizes: Mapping[str, int] | None = None) -> Network:
    """Parse and check a ``network:`` mapping; string sizes are evaluated with ``sizes``.

    The whole network is propagated once, so a shape that collapses or a residual whose
    branches disagree is reported here, at its layer's line.
    """
    sizes = dict(sizes or {})
    if node.kind != "map":
        raise _err(node, "`network:` must be a mapping with `input:` and `layers:`",
                   "e.g. network: {input: [3, 32, 32], layers: [conv2d: {out: 8, kernel: 3}]}")
    for key in node.value:
        if key not in ("input", "layers"):
            raise _unknown(node, key, ("input", "layers"), "`network` has no key")
    for key, example in (("input", "input: [3, 32, 32] (C, H, W; no batch dimension)"),
                         ("layers", "layers: [flatten, linear: {out: 10}]")):
        if key not in node.value:
            raise _err(node, f"`network` has no `{key}:`", f"add {example}")
    named = _named_inputs(node.value["input"], sizes)
    shape = next(iter(named.values())) if named else _input(node.value["input"], sizes)
    parser = _Parser(sizes, _explicit_names(node.value["layers"]) | set(named))
    parser.seen.update({name: node.value["input"].line for name in named})
    net = Network(shape, parser.layers(node.value["layers"], "network"), node.line, node.col,
                  named)
    try:
        summary = net.summary()
    except NetworkError as err:
        raise _located(err, node.file, node.line, node.col) from None
    _check_given(net, summary)
    return net


def _check_given(net: Network, summary) -> None:
    """A given value that these options do not create (``weight_ih_l2`` of a 2-layer LSTM,
    ``weight_hh_l0_reverse`` of a one-way GRU) would be silently unused: refuse it."""
    rows = {row.name: row for row in summary.layers}
    for lay, _ in walk(net.layers):
        d = LAYERS.get(lay.kind)
        for key, value in lay.given.items():
            if d is None or key in rows[lay.name].param_shapes or d.param_for(key).buffer:
                continue
            have = ", ".join(rows[lay.name].param_shapes) or "none"
            why = " (its options decide which exist)" if d.given_patterns else ""
            raise _err(value, f"{lay.kind} '{lay.name}' has no `{key}` with these options",
                       f"it has: {have}{why}")


def _input(node: Node, sizes: dict[str, int]) -> tuple[int, ...]:
    dims = node.value if node.kind == "seq" else (node,)
    if node.kind == "map" or not dims:
        raise _err(node, "`input` must be a list of sizes", "e.g. input: [3, 32, 32]")
    if len(dims) > 3:
        raise _err(node, f"`input` has {len(dims)} dimensions; give C, H, W without the batch "
                         "dimension", "drop the leading batch size, e.g. [3, 32, 32]")
    return tuple(option_value(d, Option("input", "count"), sizes) for d in dims)


def _named_inputs(node: Node, sizes: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """``input: {q: [T, d], k: [S, d]}``: several named inputs (issue 12), each a quantity
    that layers read through ``inputs:``; the first feeds a first layer that names none."""
    if node.kind != "map":
        return {}
    if not node.value:
        raise _err(node, "`input` names no inputs", "e.g. input: {q: [3, 4], k: [5, 4]}")
    out = {}
    for key, shape in node.value.items():
        if not isinstance(key, str) or not _NAME.match(key) or key in _NOT_INPUTS:
            line, col = node.key_mark(key)
            raise SpecError(f"input name {key!r} is not a plain identifier, or is reserved",
                            file=node.file, line=line, col=col,
                            hint="use letters, digits and _, e.g. q, k, v; not "
                                 + ", ".join(_NOT_INPUTS))
        out[key] = _input(shape, sizes)
    return out


def _explicit_names(node: Node) -> set[str]:
    """Every ``name:`` written anywhere under ``node``, so default names can avoid them."""
    found: set[str] = set()
    children = node.value.values() if node.kind == "map" else node.value if node.kind == "seq" \
        else ()
    for child in children:
        if child.kind == "map" and "name" in child.value and child.value["name"].kind == "scalar":
            found.add(str(child.value["name"].value))
        found |= _explicit_names(child)
    return found


class _Parser:
    def __init__(self, sizes: dict[str, int], explicit: set[str]) -> None:
        self.sizes = sizes
        self.explicit = explicit
        self.seen: dict[str, int] = {}     # name → line, for duplicates
        self.counts: dict[str, int] = {}   # kind → last default number

    def layers(self, node: Node, where: str, allow_empty: bool = False) -> tuple[Layer, ...]:
        if node.kind != "seq":
            raise _err(node, f"`layers` of {where} must be a list, one layer per `- ` item",
                       "e.g. layers: [relu, linear: {out: 10}]")
        if not node.value and not allow_empty:
            raise _err(node, f"{where} has no layers", "list at least one layer")
        return tuple(self.layer(item) for item in node.value)

    def layer(self, item: Node) -> Layer:
        kind, body = self._kind(item)
        values: dict[str, Any] = {}
        given: dict[str, Node] = {}
        parts: dict[str, Node] = {}
        name = None
        inputs: tuple[str, ...] = ()
        schema = {o.name: o for o in OPTIONS[kind]}
        for key, value in body.items() if body is not None else ():
            switch = value.kind == "scalar" and isinstance(value.value, bool)  # `bias: false`
            if key == "name":
                name = self._name(value)
            elif key == "inputs":
                inputs = self._inputs(value)
            elif kind == "residual" and key in _RESIDUAL_KEYS:
                parts[key] = value
            elif _is_given(kind, key) and not switch:
                given[key] = value
            elif key in schema:
                values[key] = option_value(value, schema[key], self.sizes)
            elif key in ("weight", "bias") and kind not in GIVEN:
                line, col = body.key_mark(key)
                raise SpecError(f"{kind} has no parameters, so it takes no `{key}`",
                                file=body.file, line=line, col=col,
                                hint="give weights to conv2d, linear or batchnorm layers")
            elif key == "bias" and switch:
                raise _err(value, f"{kind} has no `bias` switch",
                           "write affine: false to drop both its weight and its bias")
            else:
                known = ("name", "inputs", *schema, *_given_names(kind),
                         *(_RESIDUAL_KEYS if kind == "residual" else ()))
                raise _unknown(body, key, known, f"{kind} has no option")
        missing = [o.name for o in OPTIONS[kind] if o.default is REQUIRED and o.name not in values]
        if missing:
            raise _err(item, f"{kind} needs `{missing[0]}:`", f"e.g. {_example(kind)}")
        if "bias" in given and "bias" in schema:    # a given bias turns conv/linear's switch on
            values["bias"] = True
        name = name or self._default_name(kind)
        if name in self.seen:
            raise _err(item, f"layer name {name!r} is already used at line {self.seen[name]}",
                       "give each layer its own name")
        self.seen[name] = item.line
        body_layers, shortcut = (), None
        if kind == "residual":
            if "layers" not in parts:
                raise _err(item, "residual needs `layers:` (its body)",
                           "e.g. residual: {layers: [conv2d: {out: 8, kernel: 3, padding: 1}]}")
            body_layers = self.layers(parts["layers"], f"residual '{name}'")
            if "shortcut" in parts and parts["shortcut"].value is not None:
                shortcut = self.layers(parts["shortcut"], f"the shortcut of '{name}'", True)
        try:
            options = normalise(kind, values)
        except NetworkError as err:
            raise _located(err, body.file if body is not None else item.file, item.line,
                           item.col) from None
        return Layer(kind, name, options, item.line, item.col, body_layers, shortcut, given,
                     inputs)

    def _inputs(self, node: Node) -> tuple[str, ...]:
        """``inputs: [q, k, v]`` (or one name): the quantities a layer reads; whether each
        exists, and how many the layer takes, is checked when the network is propagated."""
        items = node.value if node.kind == "seq" else (node,)
        names = []
        for item in items:
            if item.kind != "scalar" or not isinstance(item.value, str) \
                    or not _NAME.match(item.value):
                raise _err(item, "`inputs` lists names of network inputs or earlier layers",
                           "e.g. inputs: [q, k, v]")
            names.append(item.value)
        if not names:
            raise _err(node, "`inputs` is empty", "name at least one input or earlier layer")
        return tuple(names)

    def _kind(self, item: Node) -> tuple[str, Node | None]:
        if item.kind == "scalar" and isinstance(item.value, str):
            kind, body = item.value, None
        elif item.kind == "map" and len(item.value) == 1:
            (kind, body), = item.value.items()
        elif item.kind == "map" and item.value:
            types = [k for k in item.value if k in OPTIONS]
            stray = next((k for k in item.value if k not in OPTIONS), None)
            if len(types) == 1 and stray is not None:
                line, col = item.key_mark(stray)
                raise SpecError(f"`{stray}` sits beside `{types[0]}:` instead of under it",
                                file=item.file, line=line, col=col,
                                hint=f"indent it under `{types[0]}:`, or write "
                                     f"{types[0]}: {{{stray}: ...}}")
            raise _err(item, "a layer is a mapping with one key, its type; found "
                             + ", ".join(item.value), "write one layer per `- ` item")
        else:
            raise _err(item, "a layer must be a type such as `relu` or a mapping such as "
                             "`conv2d: {out: 8, kernel: 3}`")
        if kind not in OPTIONS:
            raise _unknown(item, kind, tuple(OPTIONS), "unknown layer type")
        if body is not None and body.kind == "scalar" and body.value is None:
            body = None
        if body is not None and body.kind != "map":
            raise _err(body, f"the options of {kind} must be a mapping",
                       f"e.g. {_example(kind)}")
        return kind, body

    def _name(self, node: Node) -> str:
        if node.kind != "scalar" or not isinstance(node.value, str) or not _NAME.match(node.value):
            raise _err(node, f"layer name {node.plain()!r} is not a plain identifier",
                       "use letters, digits and _, starting with a letter, e.g. conv1")
        if node.value in RESERVED:
            raise _err(node, f"layer name '{node.value}' is reserved",
                       "it already names a quantity (" + ", ".join(RESERVED) + "); pick another")
        return node.value

    def _default_name(self, kind: str) -> str:
        n = self.counts.get(kind, 0)
        while True:
            n += 1
            name = f"{kind}_{n}"
            if name not in self.explicit:
                self.counts[kind] = n
                return name


def _given_names(kind: str) -> tuple[str, ...]:
    """As the docs write them: ``weight``, ``h0``, ``weight_ih_l{k}``."""
    return tuple(p.name for p in LAYERS[kind].params) if kind in LAYERS else ()


def _is_given(kind: str, key: str) -> bool:
    """``key`` names a parameter, buffer or state of ``kind`` (exactly or by its family)."""
    d = LAYERS.get(kind)
    return d is not None and d.param_for(key) is not None


def _example(kind: str) -> str:
    shown = {"out": 8, "kernel": 3, "output_size": 1}
    needed = [f"{o.name}: {shown.get(o.name, 1)}" for o in OPTIONS[kind] if o.default is REQUIRED]
    return f"{kind}: {{{', '.join(needed)}}}" if needed else kind


def _err(node: Node, message: str, hint: str | None = None) -> SpecError:
    return node.error(message, hint, SpecError)  # type: ignore[return-value]


def _unknown(node: Node, key: str, known: tuple[str, ...], what: str) -> SpecError:
    """``{what} 'conv'`` at the key, with a did-you-mean hint."""
    line, col = node.key_mark(key) if node.kind == "map" else (node.line, node.col)
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    every = f"expected one of: {', '.join(known)}" if known else "it takes no options"
    hint = f"did you mean `{close[0]}`? {every}" if close else every
    return SpecError(f"{what} {key!r}", file=node.file, line=line, col=col, hint=hint)


def _located(err: NetworkError, file: str | None, line: int, col: int) -> SpecError:
    """The engine's error at the layer's own line, else at the node that holds it."""
    return SpecError(err.message, hint=err.hint, file=file, line=err.line or line,
                     col=err.col if err.line else col)

"""Naming a solver's quantities by the spec's symbols, steps and parts.

The solvers name what they compute (``grad.C``, ``new.c.weight``); a spec maps its own
symbols onto those names. ``check`` reads the same sections at load time, so a malformed
symbol is refused by ``list`` as it would be by ``solve``; only whether a quantity exists
waits for the solver.
"""

from __future__ import annotations


import numpy as np

from hwcheck.engine.solvers import Solution, Step
from hwcheck.errors import SpecError
from hwcheck.frozen import frozen
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, shape_of
from hwcheck.spec.yamlio import Node

SECTIONS = ("symbols", "given", "steps")


@frozen
class Run:
    """What a Jacobian needs: the network, its parameters, its input, solver variants, and
    whether the input carries a batch dimension."""

    net: object
    params: dict
    x: np.ndarray
    variants: frozenset = frozenset()
    batched: bool = False
ENTRY_KEYS = ("quantity", "shape")


def check(spec, inst: Instance) -> None:
    """Every symbol, step and given name, at instance ``inst``'s sizes."""
    for section in ("symbols", "steps"):
        for name, node in _items(spec, section):
            _entry(node, f"{section}.{name}", inst)
    known = [name for name, _ in _items(spec, "symbols")] + list(inst.sizes)
    for name, sym in _items(spec, "given"):
        _given_symbol(sym, name, known)


def named(spec, inst: Instance, values: dict, extra: dict, base_steps: tuple = (),
          inputs=None) -> Solution:
    """``inputs`` (network, parameters, input, variants) lets a name ``jacobian(of, wrt)``
    be computed; a network's summary in ``extra`` adds its counts and shapes."""
    values = _with_network(spec, inst, values, extra)
    _add_jacobians(spec, values, inputs)
    env = {}
    for name, node in _items(spec, "symbols"):
        q, shape = _entry(node, f"symbols.{name}", inst)
        env[name] = quantity(values, q, shape, node)
    env.update(inst.sizes)
    if spec.section("given") is not None:
        given = {name: env[_given_symbol(sym, name, list(env))]
                 for name, sym in _items(spec, "given")}
    else:
        given = {k: v for k, v in env.items() if k not in inst.sizes}
    steps = list(base_steps)
    for name, node in _items(spec, "steps"):
        q, shape = _entry(node, f"steps.{name}", inst)
        steps.append(Step(name, quantity(values, q, shape, node)))
    parts = {}
    for part in spec.parts:
        if part.answer == "text":
            parts[part.name] = [r.point for r in part.rubric]
            continue
        node = spec.section("parts").value[part.name]
        shape = shape_of(node.value.get("shape"), inst) if node.kind == "map" else None
        parts[part.name] = quantity(values, part.quantity or part.name, shape, node)
    return Solution(given=given, steps=tuple(steps), parts=parts, env=env, extra=extra)


def _with_network(spec, inst: Instance, values: dict, extra: dict) -> dict:
    """Counts, shapes, mult-adds and receptive fields of the network as quantities; the
    solver's own names win a clash."""
    if extra.get("summary") is None or spec.section("network") is None:
        return values
    from hwcheck.engine.solvers.param_count import network_quantities
    from hwcheck.kinds.network_step import network

    return {**network_quantities(extra["summary"], network(spec, inst).layers), **values}


def _requested(spec) -> list[tuple[str, Node]]:
    """Every quantity name the spec's symbols, steps and parts ask for, with its node."""
    out = []
    for section in ("symbols", "steps"):
        for name, node in _items(spec, section):
            q = node.value.get("quantity") if node.kind == "map" else node
            if q is not None and isinstance(q.value, str):
                out.append((q.value, q))
    for part in spec.parts:
        node = spec.section("parts").value[part.name]
        if part.answer != "text":
            out.append((part.quantity or part.name, node))
    return out


def _add_jacobians(spec, values: dict, inputs) -> None:
    from hwcheck.engine import graph
    from hwcheck.engine.solvers import jacobian

    trace = None
    for name, node in _requested(spec):
        pair = jacobian.parse_name(name)
        if pair is None or name in values:
            continue
        if inputs is None:
            raise node.error(f"'{name}' needs a network run forward: use kind gradient",
                             cls=SpecError)
        if trace is None:
            trace = graph.forward(inputs.net.layers, inputs.params, inputs.x,
                                  inputs.variants, batched=inputs.batched)
        try:
            values[name] = jacobian.solve(trace, *pair, inputs.params, values,
                                          inputs.variants)
        except ValueError as exc:
            raise node.error(str(exc), cls=SpecError) from None


#: What every layer of a network has (``NAME.params``…): listed once in a hint, not per layer.
PER_LAYER = ("output_shape", "input_shape", "params", "mult_adds", "receptive_field")


def quantity(values: dict, name: str, shape, node: Node):
    if name not in values:
        names = sorted(map(str, values))
        match = readers.close_match(name, names)
        raise node.error(f"unknown quantity '{name}'", cls=SpecError,
                         hint=(f"did you mean '{match}'? " if match else "") + _every(names))
    value = values[name]
    if shape is not None:
        arr = np.asarray(value, dtype=float)
        if arr.size != int(np.prod(shape)):
            raise node.error(f"quantity '{name}' has shape {arr.shape}, not {tuple(shape)}",
                             cls=SpecError)
        return arr.reshape(shape)
    return value


def _entry(node: Node, what: str, inst: Instance) -> tuple[str, tuple | None]:
    """``name: quantity`` or ``name: {quantity: q, shape: [2n, 2m]}``."""
    if node.kind != "map":
        return readers.name(node, what), None
    readers.no_unknown(node, ENTRY_KEYS, f"key of {what}")
    q = readers.name(readers.required(node, "quantity", what), f"{what}.quantity")
    return q, shape_of(node.value.get("shape"), inst)


def _given_symbol(sym: Node, name: str, known: list) -> str:
    symbol = readers.name(sym, f"given.{name}")
    if symbol not in known:
        raise sym.error(f"`given` names unknown symbol '{symbol}'", cls=SpecError,
                        hint=readers.suggest(symbol, sorted(known), "symbols"))
    return symbol


def _items(spec, key: str):
    return readers.mapping(spec.section(key), f"`{key}`").items()


def _every(names: list[str]) -> str:
    """Every quantity, with a network's per-layer ones said once (a ResNet has hundreds)."""
    def per_layer(n: str) -> bool:
        return "." in n and n.rsplit(".", 1)[1] in PER_LAYER

    layers = sorted({n.rsplit(".", 1)[0] for n in names if per_layer(n)})
    rest = [n for n in names if not per_layer(n)]
    text = "quantities: " + ", ".join(rest)
    if layers:
        text += ("; and for each layer L of " + ", ".join(layers) + ": "
                 + ", ".join(f"L.{q}" for q in PER_LAYER) + " (receptive_field in the "
                 "conv/pool stack only)")
    return text

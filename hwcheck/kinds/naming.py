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
from hwcheck.spec import readers
from hwcheck.spec.instance import Instance, shape_of
from hwcheck.spec.yamlio import Node

SECTIONS = ("symbols", "given", "steps")
ENTRY_KEYS = ("quantity", "shape")


def check(spec, inst: Instance) -> None:
    """Every symbol, step and given name, at instance ``inst``'s sizes."""
    for section in ("symbols", "steps"):
        for name, node in _items(spec, section):
            _entry(node, f"{section}.{name}", inst)
    known = [name for name, _ in _items(spec, "symbols")] + list(inst.sizes)
    for name, sym in _items(spec, "given"):
        _given_symbol(sym, name, known)


def named(spec, inst: Instance, values: dict, extra: dict, base_steps: tuple = ()) -> Solution:
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


def quantity(values: dict, name: str, shape, node: Node):
    if name not in values:
        raise node.error(f"unknown quantity '{name}'", cls=SpecError,
                         hint=readers.suggest(name, sorted(map(str, values)),
                                              "quantities"))
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

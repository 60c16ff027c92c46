"""Spec sections that several kinds read, and the load-time check of a spec's sections.

A :class:`Section` is one top-level key of a spec: its JSON Schema fragment and a check of
its shape that needs no instance. Each kind then checks its sections together, on the
spec's own instance (see ``ProblemKind.check``).
"""

from __future__ import annotations

from typing import Callable

from hwcheck.errors import SpecError
from hwcheck.frozen import frozen
from hwcheck.spec import readers
from hwcheck.spec.schema_defs import ref
from hwcheck.spec.yamlio import Node


def _mapping(what: str) -> Callable[[Node], None]:
    def check(node: Node) -> None:
        readers.mapping(node, what)
    return check


@frozen
class Section:
    """One section a kind reads from a spec: its schema and load-time check."""

    name: str
    schema: dict
    check: Callable[[Node], None] = lambda node: None
    example: str = ""               # the hint when a kind needs the section and it is missing


_TEXT = {"type": "string"}
_ENTRY = {"type": "object", "required": ["quantity"], "additionalProperties": False,
          "properties": {"quantity": _TEXT, "shape": ref("shape")}}

NETWORK = Section("network", ref("network"), _mapping("`network:`"),
                  "network: {input: [2], layers: [linear: {out: 2}]}")
INPUT = Section("input", {
    "anyOf": [ref("given_value"),
              {"type": "object", "minProperties": 1, "not": {"required": ["random"]},
               "additionalProperties": ref("given_value")}],
    "description": "the network's input; for named inputs (network.input: {q: …}) one "
                   "value per name, e.g. {q: [[1, 0]], k: {random: normal}}"},
                example="input: [1, 1], or input: {random: normal, seed: 1}")
TARGET = Section("target", {**ref("given_value"), "description": "the loss's target"},
                 example="target: [0.3, 0.7]")
SYMBOLS = Section("symbols", {
    "type": "object", "additionalProperties": {"anyOf": [_TEXT, _ENTRY]},
    "description": "formula symbol → the solver quantity it stands for, or "
                   "{quantity, shape}"}, _mapping("`symbols`"))
GIVEN = Section("given", {
    "type": "object", "additionalProperties": _TEXT,
    "description": "name → symbol: the inputs shown with the key (default: every symbol)"},
    _mapping("`given`"))
STEPS = Section("steps", {
    "type": "object", "additionalProperties": {"oneOf": [_TEXT, _ENTRY]},
    "description": "name → quantity (or {quantity, shape}): intermediate values shown with "
                   "the key"}, _mapping("`steps`"))
NAMING = (SYMBOLS, GIVEN, STEPS)


def check(spec, kind) -> None:
    """Refuse a section ``kind`` does not read or lacks, then check each one it has."""
    from hwcheck.kinds import SECTIONS

    node = spec.node
    own = {s.name: s for s in kind.requires + kind.accepts}
    for key in node.value:
        if key in SECTIONS and key not in own:
            line, col = node.key_mark(key)
            raise SpecError(f"`kind: {kind.name}` does not read `{key}:`", file=node.file,
                            line=line, col=col,
                            hint=f"{kind.name} reads: " + ", ".join(own) if own
                            else f"{kind.name} reads no section besides the parts")
    for section in kind.requires:
        if section.name not in node.value:
            raise node.error(f"`kind: {kind.name}` needs `{section.name}:`", cls=SpecError,
                             hint=f"add {section.example}" if section.example
                             else "see `hwcheck schema problem`")
    for name, section in own.items():
        if name in node.value:
            section.check(node.value[name])
    kind.check(spec)

"""Typed readers for YAML nodes: each error is a SpecError at the offending value.

Every spec section (and the answers reader, for its suggestions) goes through these, so one
mistake gets one message, one "did you mean" and one quoting style wherever it is made.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

from hwcheck.errors import SpecError
from hwcheck.spec.yamlio import Node

# Low enough that `dL/ds` finds `dL/dS` and `optimiser` finds `optimizer`; the case-blind
# fallback in close_match catches the short names a ratio cannot.
CUTOFF = 0.5
MISSING = object()


def close_match(got: str, known: Iterable[str]) -> str | None:
    """The known name that ``got`` is most likely a typo of, or None."""
    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(got), known, n=1, cutoff=CUTOFF)
    if close:
        return close[0]
    return next((k for k in known if k.lower() == str(got).lower()), None)


def suggest(got: str, known: Iterable[str], listing: str = "known") -> str:
    """A hint: "did you mean 'x'?" when one is close, then every known name, never a
    truncated list (an author fixing a spec needs to see what exists)."""
    known = [str(k) for k in known]
    match = close_match(got, known)
    every = f"{listing}: " + ", ".join(known) if known else f"nothing is {listing} here"
    return f"did you mean '{match}'? {every}" if match is not None else every


def unknown(node: Node, got: Any, known: Iterable[str], what: str) -> SpecError:
    """An unknown value (a kind, a loss, a setting name) at ``node``."""
    known = list(known)
    return node.error(f"unknown {what} '{got}'", hint=suggest(str(got), known), cls=SpecError)


def no_unknown(node: Node, allowed: Iterable[str], what: str) -> None:
    """Refuse a key of the mapping ``node`` that is not in ``allowed``, at the key itself."""
    allowed = sorted(allowed)
    for key in node.value if node.kind == "map" else ():
        if key not in allowed:
            line, col = node.key_mark(key)
            raise SpecError(f"unknown {what} '{key}'", file=node.file, line=line, col=col,
                            hint=suggest(key, allowed, "allowed"))


def mapping(node: Node | None, what: str = "") -> dict[str, Node]:
    if node is None:
        return {}
    if node.kind != "map":
        raise node.error(f"{what} must be a mapping (key: value)" if what
                         else "expected a mapping (key: value)", cls=SpecError)
    return node.value


def seq(node: Node | None, what: str = "") -> tuple[Node, ...]:
    if node is None:
        return ()
    if node.kind != "seq":
        raise node.error(f"{what} must be a list" if what else "expected a list",
                         cls=SpecError)
    return tuple(node.value)


def scalar(node: Node | None, default: Any = None) -> Any:
    if node is None:
        return default
    if node.kind != "scalar":
        raise node.error("expected a single value", cls=SpecError)
    return node.value


def text(node: Node | None, default: Any = MISSING) -> Any:
    """A string (numbers are read as their text); ``default`` for an absent or empty value."""
    if node is None:
        if default is MISSING:
            raise SpecError("missing text value")
        return default
    value = scalar(node)
    if value is None and default is not MISSING:
        return default
    if isinstance(value, bool) or value is None:
        raise node.error(f"expected text, got {value!r}", cls=SpecError)
    return str(value)


def name(node: Node, what: str) -> str:
    """A name: text that YAML did not read as a number, boolean or null."""
    if node.kind != "scalar" or not isinstance(node.value, str) or not node.value:
        raise node.error(f"{what} must be a name", cls=SpecError)
    return node.value


def number(node: Node | None, default: float = 0.0, what: str = "") -> float:
    value = scalar(node, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise node.error(f"{what + ' ' if what else ''}expected a number, got {value!r}",
                         cls=SpecError)
    return float(value)


def integer(node: Node) -> int:
    value = scalar(node)
    if isinstance(value, bool) or not isinstance(value, int):
        raise node.error(f"expected a whole number, got {value!r}", cls=SpecError)
    return value


def boolean(node: Node | None, default: bool = False) -> bool:
    value = scalar(node, default)
    if not isinstance(value, bool):
        raise node.error(f"expected true or false, got {value!r}", cls=SpecError)
    return value


def required(node: Node, key: str, what: str = "") -> Node:
    """``node[key]``, or an error at ``node`` naming the missing key."""
    if node.kind != "map" or key not in node.value:
        raise node.error(f"{what + ' ' if what else ''}missing `{key}:`", cls=SpecError)
    return node.value[key]

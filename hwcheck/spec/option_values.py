"""One layer option's value, read from its YAML node and checked against its type
(``engine.network.Option``: count, size, pair, shape, choice, bool, number, …), with size
expressions such as ``2n+1`` evaluated at the instance's sizes."""

from __future__ import annotations

import math
from typing import Any

from hwcheck.errors import FormulaError, SpecError
from hwcheck.engine.network import Option
from hwcheck.formula.notation import int_expr
from hwcheck.spec.yamlio import Node


MAX_SIZE = 1 << 31  # no real layer is bigger; keeps later products small


def option_value(node: Node, opt: Option, sizes: dict[str, int]) -> Any:
    """One option value, checked against its type (see ``network.Option``)."""
    kind = opt.type
    if kind == "shape":
        one = Option(opt.name, "count")
        items = node.value if node.kind == "seq" else (node,)
        if not items:
            raise _err(node, f"`{opt.name}` takes one size or a list of sizes")
        return tuple(option_value(v, one, sizes) for v in items)
    if kind in ("pair", "pair0"):
        one = Option(opt.name, "count" if kind == "pair" else "size")
        if node.kind == "seq":
            if len(node.value) != 2:
                raise _err(node, f"`{opt.name}` takes one size or [h, w], got {len(node.value)} "
                                 "values", f"e.g. {opt.name}: 3 or {opt.name}: [3, 5]")
            return tuple(option_value(v, one, sizes) for v in node.value)
        return option_value(node, one, sizes)
    if node.kind != "scalar":
        shape = "list" if node.kind == "seq" else "mapping"
        raise _err(node, f"`{opt.name}` must be a single value, not a {shape}")
    value = node.value
    if kind == "optional" and value is None:     # written out as torch's default: none
        return None
    if kind == "choice":
        if value not in opt.choices:
            raise _err(node, f"`{opt.name}` must be one of {', '.join(opt.choices)}, got "
                             f"{value!r}", f"write e.g. {opt.name}: {opt.choices[0]}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _err(node, f"`{opt.name}` must be true or false, got {value!r}",
                       "write true or false")
        return value
    if kind in ("prob", "positive", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise _err(node, f"`{opt.name}` must be a number, got {value!r}")
        if kind == "prob" and not 0 <= value <= 1:
            raise _err(node, f"`{opt.name}` must be between 0 and 1, got {value}")
        if kind == "positive" and value <= 0:
            raise _err(node, f"`{opt.name}` must be above 0, got {value}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _err(node, f"`{opt.name}` must be a whole number, got {value!r}",
                   "write e.g. 3, or a size expression such as 2n+1")
    text = value if isinstance(value, str) else None
    if text is not None:
        try:
            value = int_expr(text, sizes)
        except FormulaError as exc:
            raise _err(node, f"`{opt.name}`: {exc.message}", exc.hint) from None
    low = {"count": 1, "size": 0}.get(kind)
    if low is not None and value < low:
        shown = f"{text!r} is {value}" if text is not None else f"got {value}"
        raise _err(node, f"`{opt.name}` must be at least {low}; {shown}",
                   f"sizes: {_sizes(sizes)}" if text is not None else None)
    if abs(value) > MAX_SIZE:
        raise _err(node, f"`{opt.name}` is {value:,}, above the limit of {MAX_SIZE:,}")
    return value


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(sizes.items())) or "none"


def _err(node: Node, message: str, hint: str | None = None) -> SpecError:
    return node.error(message, hint, SpecError)  # type: ignore[return-value]

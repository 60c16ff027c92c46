"""Numbers as a person writes them, for every report: results hold floats and arrays, and
only the renderers turn them into text."""

from __future__ import annotations

import functools

import numpy as np


def fmt_number(x: float, digits: int = 6) -> str:
    """A number as a person writes it: 513466, 0.99138, -0.00862, 1.2e-07."""
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return str(x)
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def fmt_array(value, digits: int = 5, limit: int = 60) -> str:
    """A short one-line rendering of a number, vector or matrix."""
    if isinstance(value, (tuple, float, int)):   # results' values: hashable, and a class
        return _fmt_value(value, digits, limit)  # shares its keys, so format each once
    return _fmt(value, digits, limit)


@functools.lru_cache(maxsize=4096)
def _fmt_value(value, digits: int, limit: int) -> str:
    return _fmt(value, digits, limit)


def _fmt(value, digits: int, limit: int) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return fmt_number(arr.item(), digits)
    if arr.size > 16:
        return f"<{' x '.join(map(str, arr.shape))} array>"
    text = _nested(arr.tolist(), digits)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nested(v, digits: int) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(e, digits) for e in v) + "]"
    return fmt_number(v, digits)

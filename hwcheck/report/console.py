"""Rich consoles: colour and tables on a TTY, plain text when piped or when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

# rich.console is imported only when a console is made: `grade --format json` needs none.
if TYPE_CHECKING:
    from rich.console import Console


def _width(stream) -> int | None:
    # Piped output is read by scripts and CI logs: keep it to 80 columns.
    return None if stream.isatty() and "COLUMNS" not in os.environ else 80


def stdout() -> Console:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, width=_width(sys.stdout),
                   no_color="NO_COLOR" in os.environ, emoji=False)


def stderr() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, width=_width(sys.stderr),
                   no_color="NO_COLOR" in os.environ, emoji=False)


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
    import numpy as np

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

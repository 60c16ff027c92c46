"""The size arithmetic every windowed op shares: torch's ``_pair`` and its output-size rule.

The layer table's shape rules use these same two functions, so a network's declared shapes
and the arrays the ops produce cannot drift apart.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pair", "output_size"]


def pair(v, name: str = "value") -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``[3, 5]`` → ``(3, 5)``, like torch's ``_pair``."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    t = tuple(int(a) for a in v)
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v!r}")
    return t  # type: ignore[return-value]


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                ceil_mode: bool = False) -> int:
    """Length of a conv or pool output along one axis, torch's ``pooling_output_shape``.

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

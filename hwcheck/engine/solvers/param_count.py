"""Parameter counts and per-layer shapes of a network (p3)."""

from __future__ import annotations

from hwcheck.engine.network import Summary
from hwcheck.engine.solvers import Solution


def solve(summary: Summary) -> Solution:
    """Total parameters = Σ over layers of weights + biases (torchinfo's count)."""
    # The per-layer table (extra["summary"]) is the worked step here.
    return Solution(given={"input": list(summary.input_shape)}, steps=(),
                    parts={"total_params": summary.total_params},
                    extra={"summary": summary})

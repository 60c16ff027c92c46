"""Parameter counts and per-layer shapes of a network (p3)."""

from __future__ import annotations

from hwcheck.network import Summary
from hwcheck.solvers import Solution, Step


def solve(summary: Summary) -> Solution:
    """Total parameters = Σ over layers of weights + biases (torchinfo's count)."""
    steps = tuple(Step(f"{s.name}", s.params, f"{s.kind} → {tuple(s.output_shape)}")
                  for s in summary.layers if s.params)
    return Solution(given={"input": list(summary.input_shape)}, steps=steps,
                    parts={"total_params": summary.total_params},
                    extra={"summary": summary})

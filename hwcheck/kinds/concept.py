"""``concept``: text parts only, graded against their rubric by a person."""

from __future__ import annotations

from hwcheck.engine.solvers import Solution
from hwcheck.kinds import ProblemKind
from hwcheck.spec.instance import Instance


def _check(spec) -> None:
    """A concept problem reads nothing but its parts, which the loader has checked."""


def _solve(spec, inst: Instance, variants) -> Solution:
    parts = {p.name: [r.point for r in p.rubric] for p in spec.parts}
    return Solution(given={}, steps=(), parts=parts, env={}, extra={})


KIND = ProblemKind("concept", requires=(), accepts=(), solve=_solve, check=_check,
                   view="rubric")

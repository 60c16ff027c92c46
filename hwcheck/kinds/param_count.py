"""``param_count``: a network's parameters and output shapes, counted layer by layer."""

from __future__ import annotations

from hwcheck.engine.solvers import Solution
from hwcheck.kinds import ProblemKind, naming
from hwcheck.kinds.network_step import network
from hwcheck.kinds.sections import NAMING, NETWORK
from hwcheck.spec.instance import Instance, make_instance


def _check(spec) -> None:
    inst = make_instance(spec)
    network(spec, inst)
    naming.check(spec, inst)


def _solve(spec, inst: Instance, variants) -> Solution:
    from hwcheck.engine.solvers import param_count

    sol = param_count.solve(network(spec, inst).summary())
    return naming.named(spec, inst, dict(sol.parts), sol.extra, base_steps=sol.steps)


KIND = ProblemKind("param_count", requires=(NETWORK,), accepts=NAMING, solve=_solve,
                   check=_check, view="layers")

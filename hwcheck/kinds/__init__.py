"""The problem-kind registry: a spec and an instance in, a worked answer key out.

Each kind is one :class:`ProblemKind` in :data:`KINDS`, declared in its own module. The
loader, the JSON Schema, the grader, formula grading and ``solve``'s renderers read the
entry; nothing outside this package compares a spec's kind with a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from hwcheck.errors import HwcheckError, SpecError
from hwcheck.frozen import frozen
from hwcheck.spec.instance import Instance, make_instance

if TYPE_CHECKING:
    from hwcheck.engine.solvers import Solution
    from hwcheck.kinds.sections import Section
    from hwcheck.spec.load import Spec

#: What ``hwcheck solve`` shows besides the key: the per-layer table, the norm chart of an
#: RNN's Jacobian products, the rubric alone, or the given values and steps.
VIEWS = ("layers", "norms", "rubric", "values")
#: Formulas are graded on the spec's instance and this many random ones when a size varies.
RANDOM_WHEN_SIZES_VARY = 2


@frozen
class KindSlip:
    """A slip the grader checks every wrong answer against: the key re-solved with
    ``variant``, reported as ``slug`` with ``message``."""

    variant: str
    slug: str
    message: str


@frozen
class ProblemKind:
    """One problem kind: the sections it needs and how it solves and checks a spec."""

    name: str
    requires: tuple["Section", ...]    # spec sections it must have
    accepts: tuple["Section", ...]     # sections it may have besides those
    solve: Callable[..., "Solution"]   # (spec, instance, variants) -> Solution
    check: Callable[["Spec"], None]    # load time: every section against instance 0
    schema: dict | None = None         # JSON Schema beyond `requires` (e.g. a oneOf)
    variants: tuple[str, ...] = ()     # solver variants a part's `mistakes` may name
    slips: tuple[KindSlip, ...] = ()
    random_instances: int = 0          # random instances beyond the spec's own, sizes fixed
    view: str = "values"               # one of VIEWS

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.requires + self.accepts)


@frozen
class Solved:
    """A spec's worked key on one instance."""

    spec: "Spec"
    instance: Instance
    solution: "Solution"
    student: str | None = None

    @property
    def view(self) -> str:
        return KINDS[self.spec.kind].view

    @property
    def summary(self):
        """The network's per-layer summary, for kinds that build a network."""
        return self.solution.extra.get("summary")

    @property
    def norms(self) -> dict | None:
        """Setting → the norms of the Jacobian products over the lags (rnn_jacobian)."""
        return self.solution.extra.get("norms")


def solve_spec(spec: "Spec", student: str | None = None, number: int = 0,
               variants: frozenset = frozenset()) -> Solved:
    """Solve instance ``number`` of ``spec`` (0 = the spec's own), for ``student``."""
    inst = make_instance(spec, number, student)
    try:
        with np.errstate(all="ignore"):   # an overflow is refused below, with its part
            solution = KINDS[spec.kind].solve(spec, inst, variants)
    except HwcheckError as exc:
        raise exc.located(file=spec.file) from None
    except ValueError as exc:  # the pure solvers refuse impossible inputs this way
        raise SpecError(f"cannot solve {spec.id}: {exc}", file=spec.file) from None
    _check_finite(spec, solution, number)
    return Solved(spec, inst, solution, student if spec.variants else None)


def _check_finite(spec, solution, number: int) -> None:
    """A key that overflowed (a huge learning rate, an exploding product) would grade every
    answer wrong: the spec is refused at the part instead."""
    for part in spec.parts:
        value = solution.parts.get(part.name)
        if part.answer == "text" or value is None:
            continue
        try:
            finite = bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
        except (TypeError, ValueError):
            continue
        if not finite:
            where = "its own values" if number == 0 else f"random instance {number}"
            raise SpecError(f"the key of part '{part.name}' is not finite on {where} (an "
                            "overflow or a division by zero)", file=spec.file,
                            line=part.line, col=1,
                            hint="check the spec's numbers: a learning rate, a size or a "
                                 "random draw's scale may be too large")


def check(spec: "Spec") -> None:
    """Every kind section of ``spec``, at load time: unknown, missing or malformed sections
    are refused here, so `list` and `validate` refuse what `solve` and `grade` would."""
    from hwcheck.kinds.sections import check as check_sections

    check_sections(spec, KINDS[spec.kind])


def instances(spec: "Spec") -> int:
    """How many instances a formula for ``spec`` is graded on (the spec's own first)."""
    extra = KINDS[spec.kind].random_instances
    if spec.vary:
        extra = max(extra, RANDOM_WHEN_SIZES_VARY)
    return 1 + extra


def slips(spec: "Spec") -> tuple[KindSlip, ...]:
    return KINDS[spec.kind].slips


def all_variants() -> tuple[str, ...]:
    """Every solver variant some kind's mistakes may name (for the JSON Schema)."""
    seen: dict[str, None] = {}
    for kind in KINDS.values():
        seen.update(dict.fromkeys(kind.variants))
    return tuple(seen)


from hwcheck.kinds import concept, network_step, param_count, rnn_jacobian  # noqa: E402

KINDS: dict[str, ProblemKind] = {k.name: k for k in (
    param_count.KIND, network_step.GRADIENT, network_step.SGD_STEP, rnn_jacobian.KIND,
    concept.KIND)}
#: Every kind's sections by name; a section that two kinds read is one object.
SECTIONS = {s.name: s for k in KINDS.values() for s in k.requires + k.accepts}

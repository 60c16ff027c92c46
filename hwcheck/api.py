"""Checking answers from Python: a notebook, a script, a test.

    import hwcheck
    hwcheck.check("p5", W=W_new, B=B_new)            # numbers, lists, arrays, tensors
    hwcheck.check("p1", {"dL/dS": "g[ceil(d/2), ceil(e/2)] / 4"})   # any part name
    hwcheck.problems()                               # what can be checked

A front end like the CLI: it builds the same ``AnswerSheet`` an answers file gives and
grades it with the same ``Grader``, so a part gets the same status, feedback and
diagnosis either way. One ``Checker`` per problems folder keeps its ``Grader``, so a
second check of a problem reuses the solved keys (milliseconds); a spec file that
changes on disk (its mtime or size) is read again.

Limits: the check runs in the calling process. The CLI forks a worker per file so that
one hostile file in a class cannot stop the rest; here the input comes from the person
running the kernel, and a fork of a Jupyter kernel (threads, GPU state) is fragile and
costs more than a check. What bounds a formula string is the formula engine's own caps
(``formula.limits``: length, nodes, depth, exponents, elements per array and total work),
the same ones a worker relies on, plus the worker's CPU-time timer where this process can
take it (``grading.guard``). Values are capped in size before they are read
(``grading.pyvalues``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from hwcheck.errors import CheckError, HwcheckError
from hwcheck.frozen import frozen
from hwcheck.grading import pyvalues
from hwcheck.grading.answers import AnswerSheet
from hwcheck.grading.batch import Limits
from hwcheck.grading.results import PartResult, ProblemResult, Submission, withhold_key
from hwcheck.spec.yamlio import Node

FILE = "<check>"
CPU_SECONDS = Limits().cpu_seconds   # a batch worker's CPU-time limit
# A result with several parts takes the most urgent of their statuses.
_URGENCY = ("invalid", "wrong", "missing", "needs_review", "correct")


@frozen
class PartInfo:
    """One part a notebook can check: its name, answer kind, points and what it wants."""

    name: str
    answer: str        # number, integer, matrix, formula or text
    points: float
    wants: str         # what shape or kind of answer, in words (as `hwcheck template`)


@frozen
class ProblemInfo:
    """One problem ``hwcheck.problems()`` lists, with its parts."""

    id: str
    title: str
    kind: str
    points: float
    parts: tuple[PartInfo, ...]


@frozen
class CheckResult:
    """The checked parts of one problem. ``status``, ``score``, ``feedback``,
    ``diagnosis`` and ``read_as`` are the whole result's; ``result["W"]`` is one part's
    (a ``PartResult`` with the same attributes)."""

    problem: ProblemResult           # only the parts that were given
    key_withheld: bool = False

    @property
    def id(self) -> str:
        return self.problem.id

    @property
    def parts(self) -> tuple[PartResult, ...]:
        return self.problem.parts

    @property
    def score(self) -> float:
        return self.problem.score

    @property
    def max_score(self) -> float:
        return self.problem.max_score

    @property
    def status(self) -> str:
        return min((p.status for p in self.parts), key=_URGENCY.index)

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def feedback(self) -> str:
        return self._joined(lambda p: p.feedback) or ""

    @property
    def diagnosis(self) -> str | None:
        return self._joined(lambda p: p.diagnosis)

    @property
    def read_as(self) -> str | None:
        return self._joined(lambda p: p.read_as)

    def _joined(self, field) -> str | None:
        """One part's value as it is; several parts' as ``name: value`` lines."""
        if len(self.parts) == 1:
            return field(self.parts[0])
        lines = [f"{p.name}: {field(p)}" for p in self.parts if field(p)]
        return "\n".join(lines) or None

    def __getitem__(self, name: str) -> PartResult:
        for part in self.parts:
            if part.name == name:
                return part
        from hwcheck.spec.readers import suggest

        raise KeyError(f"no part '{name}' was checked "
                       f"({suggest(name, [p.name for p in self.parts], 'checked')})")

    def __repr__(self) -> str:
        from hwcheck.report import check_view

        return check_view.summary(self.problem)

    def __str__(self) -> str:
        from hwcheck.report import check_view

        return check_view.plain(self.problem, self.key_withheld)

    def __rich__(self):
        from hwcheck.report import check_view

        return check_view.panel(self.problem, self.key_withheld)

    def _repr_html_(self) -> str:
        from hwcheck.report import check_view

        return check_view.html_table(self.problem, self.key_withheld)

    def _repr_pretty_(self, printer, cycle: bool) -> None:   # IPython's plain-text display
        printer.text(repr(self) if cycle else str(self).rstrip("\n"))


class Checker:
    """Checks answers against the specs of one problems folder (default: ./problems, else
    the shipped copy), optionally as ``student`` (per-student variants), counting indices
    from ``indexing``, with the key hidden from the result when ``hide_expected``."""

    def __init__(self, problems: str | Path | None = None, *, student: str | None = None,
                 indexing: int = 1, hide_expected: bool = False,
                 cpu_seconds: float = CPU_SECONDS) -> None:
        if indexing not in (0, 1):
            raise CheckError("indexing is 0 (indices count from zero) or 1 (the default)")
        self.folder, self.student, self.indexing = problems, student, indexing
        self.hide_expected, self.cpu_seconds = hide_expected, cpu_seconds
        self._state: tuple | None = None       # (folder signature, specs, grader)
        self._lock = threading.Lock()

    def _grader(self):
        from hwcheck.spec.catalog import load_catalog, problems_dir

        folder = problems_dir(self.folder)
        signature = _signature(folder)
        with self._lock:
            if self._state is None or self._state[0] != signature:
                from hwcheck.grading.grader import Grader

                specs = load_catalog(folder).specs
                self._state = (signature, specs, Grader(specs, fingerprints=False))
            return self._state[1], self._state[2]

    def problems(self) -> tuple[ProblemInfo, ...]:
        """Every problem that can be checked, with its parts and what each wants."""
        with _whole_message():
            return self._problems()

    def _problems(self) -> tuple[ProblemInfo, ...]:
        from hwcheck.report.template import describe

        specs, _ = self._grader()
        return tuple(ProblemInfo(s.id, s.title, s.kind, float(s.points), tuple(
            PartInfo(p.name, p.answer, float(p.points), describe(s, p)) for p in s.parts))
            for s in specs.values())

    def check(self, problem: str, answers=None, /, **parts) -> CheckResult:
        """Grade the given parts of ``problem``: a dict of part → answer, keywords, or
        both; a problem with one part also takes its answer alone."""
        with _whole_message():
            return self._check(problem, answers, parts)

    def _check(self, problem, answers, parts: dict) -> CheckResult:
        specs, grader = self._grader()
        spec = _spec(specs, problem)
        given = _given(spec, answers, parts)
        sheet = AnswerSheet(FILE, self.student, {
            (spec.id, name): _node(spec, grader, name, value, self.student)
            for name, value in given.items()}, {}, (), self.indexing)
        result = self._grade(grader, spec, sheet)
        checked = tuple(p for p in result.parts if p.name in given)
        result = replace(result, parts=checked, score=float(sum(p.score for p in checked)),
                         max_score=float(sum(p.max_score for p in checked)))
        if self.hide_expected:
            sub = Submission(FILE, self.student, result.score, result.max_score, (result,))
            result = withhold_key(sub).problems[0]
        return CheckResult(result, self.hide_expected)

    def _grade(self, grader, spec, sheet) -> ProblemResult:
        from hwcheck.grading.guard import CpuLimit, cpu_limit

        try:
            with cpu_limit(self.cpu_seconds):
                return grader.grade_problem(spec, sheet)
        except CpuLimit:
            raise CheckError(f"{spec.id}: grading took more than {self.cpu_seconds:g} s of "
                             "CPU time", hint="write the formula more simply") from None
        except MemoryError:
            raise CheckError(f"{spec.id}: grading ran out of memory",
                             hint="write the formula more simply") from None
        except RecursionError:
            raise CheckError(f"{spec.id}: an answer is nested too deeply to grade") from None


@contextmanager
def _whole_message():
    """Any other HwcheckError (a broken spec, an unreadable problems folder) as a
    CheckError, whose text in a traceback is the whole line, file and hint included; the
    original is its ``__cause__``."""
    try:
        yield
    except CheckError:
        raise
    except HwcheckError as exc:
        raise CheckError(exc.message, file=exc.file, line=exc.line, col=exc.col,
                         hint=exc.hint) from exc


def _signature(folder: Path) -> tuple:
    files = sorted(folder.glob("*.yaml"))
    return (str(folder.resolve()),) + tuple(
        (f.name, st.st_mtime_ns, st.st_size) for f in files for st in (f.stat(),))


def _spec(specs: dict, problem):
    if not isinstance(problem, str) or problem not in specs:
        from hwcheck.spec.readers import suggest

        raise CheckError(f"unknown problem {problem!r}",
                         hint=suggest(str(problem), specs, "the problems"))
    return specs[problem]


def _given(spec, answers, parts: dict) -> dict:
    names = [p.name for p in spec.parts]
    given: dict = {}
    if isinstance(answers, Mapping):
        given.update(answers)
    elif answers is not None:
        if len(names) != 1:
            raise CheckError(f"{spec.id} has parts {', '.join(names)}: name the one you check",
                             hint=_example(spec))
        given[names[0]] = answers
    for name, value in parts.items():
        if name in given:
            raise CheckError(f"{spec.id} {name} is given twice")
        given[name] = value
    if not given:
        raise CheckError(f"no answer given for {spec.id}", hint=_example(spec))
    for name in given:
        if name not in names:
            from hwcheck.spec.readers import suggest

            raise CheckError(f"{spec.id} has no part {name!r}",
                             hint=suggest(str(name), names, f"the parts of {spec.id}"))
    return given


def _example(spec) -> str:
    name = spec.parts[0].name
    if name.isidentifier():
        return f"hwcheck.check({spec.id!r}, {name}=...)"
    return f"hwcheck.check({spec.id!r}, {{{name!r}: ...}})"


def _node(spec, grader, name: str, value, student) -> Node:
    """``value`` as the grader reads a YAML answer; a numeric value of the wrong shape is
    refused here, with both shapes named."""
    where = f"{spec.id} {name}"
    plain = pyvalues.plain(value, where)
    if spec.part(name).answer != "text":
        pyvalues.check_shape(plain, lambda: grader.key(spec, 0, student).solution.parts[name],
                             where)
    return pyvalues.to_node(plain, FILE)


_DEFAULT: dict = {}


def _checker() -> Checker:
    """The checker of ``hwcheck.check``: one per process (its folder is found per call)."""
    if "checker" not in _DEFAULT:
        _DEFAULT["checker"] = Checker()
    return _DEFAULT["checker"]


def check(problem: str, answers=None, /, **parts) -> CheckResult:
    """Grade parts of ``problem``; see the module's docstring."""
    return _checker().check(problem, answers, **parts)


def problems() -> tuple[ProblemInfo, ...]:
    """Every problem ``check`` knows (./problems, else the shipped copy)."""
    return _checker().problems()

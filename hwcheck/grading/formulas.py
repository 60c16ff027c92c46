"""Grading a formula: evaluate it on the spec's instance and on random instances.

Both sides are exact float64, so the comparison is tight. The first failing instance and
element make the counterexample. Evaluations are cached by formula text and instance, so a
class in which many students wrote the same formula is graded fast.
"""

from __future__ import annotations

import re

import numpy as np

from hwcheck.engine.draws import Draws
from hwcheck.errors import FormulaError
from hwcheck.formula import IndexOutOfRange, evaluate
from hwcheck.frozen import frozen
from hwcheck.grading.compare import Slip
from hwcheck.grading.results import Counterexample, Note
from hwcheck.kinds import instances

RTOL, ATOL = 1e-7, 1e-9


@frozen
class FormulaOutcome:
    """What evaluating one formula answer established."""

    status: str                    # correct, wrong or invalid
    message: str = ""
    details: tuple = ()            # results.Note / results.Counterexample
    values: tuple = ()             # the formula's value on each instance evaluated
    slip: Slip | None = None       # a diagnosis the evaluation itself established
    read_as: str | None = None     # the canonical formula, when it differs from the text
    notes: tuple = ()              # how an ambiguity was read; what was dropped


def context(grader, spec, part, student, extra_env=None, indexing: int = 1):
    """The names a reader may meet in ``part``: symbols with their ranks (from the
    spec's own instance), the part's index variables, sizes and declared functions."""
    from hwcheck.formula.readers import Context   # the readers load with the first formula

    env = dict(grader.key(spec, 0, student).solution.env)
    if extra_env:
        env.update(extra_env[0])
    sizes = frozenset(spec.sizes)
    symbols = {k: int(np.ndim(v)) for k, v in env.items() if k not in sizes}
    return Context(symbols, tuple(part.index), sizes,
                   dict(spec.functions), indexing)


def read(grader, spec, part, text: str, student, extra_env=None,
         indexing: int = 1) -> tuple:
    """(Formula, Reading) for what a student wrote; FormulaError if it cannot be read.
    Read once per class: students who write the same text share its reading (the context
    depends on the problem and the names in scope, not on the student)."""
    def compute():
        from hwcheck.formula.readers import parse_answer

        try:
            return parse_answer(text, context(grader, spec, part, student, extra_env, indexing))
        except FormulaError as exc:
            return exc
    scope = tuple(sorted(extra_env[0])) if extra_env else ()
    got = grader.cached(("read", text, spec.id, part.name, indexing, scope), compute)
    if isinstance(got, FormulaError):
        raise got
    return got


def outcome(grader, spec, part, text: str, student, extra_env=None,
            indexing: int = 1) -> FormulaOutcome:
    """Evaluate ``text`` for ``part`` on every instance and compare with the key."""
    try:
        f, reading = read(grader, spec, part, text, student, extra_env, indexing)
    except FormulaError as exc:
        return FormulaOutcome("invalid", _where(exc, text))
    shown = dict(read_as=reading.read_as, notes=reading.notes)
    text = reading.canonical
    values = []
    for number in range(instances(spec)):
        solved = grader.key(spec, number, student)
        want = np.asarray(solved.solution.parts[part.name], dtype=float)
        env = dict(solved.solution.env)
        if extra_env:
            env.update(extra_env[number])
        try:
            got = grader.cached(("formula", text, spec.id, part.name, number,
                                 solved.instance.student_seed, _env_id(extra_env, number)),
                                lambda: evaluate(f, env, index=list(zip(part.index, want.shape)),
                                                 shape=want.shape))
        except IndexOutOfRange as exc:
            return FormulaOutcome("wrong", exc.message, (Note(f"on {_instance(solved)}"),),
                                  tuple(values), _edge_slip(exc), **shown)
        except FormulaError as exc:
            return FormulaOutcome("invalid", _where(exc), (), tuple(values), **shown)
        values.append(got)
        bad = ~close(got, want)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            at = tuple((v, i + 1) for v, i in zip(part.index, idx))
            detail = Counterexample(_instance(solved), at, float(got[idx]), float(want[idx]))
            return FormulaOutcome("wrong", "", (detail,), tuple(values), **shown)
    return FormulaOutcome("correct", "", (), tuple(values), **shown)


def _edge_slip(exc: IndexOutOfRange) -> Slip | None:
    """Reading one past an edge (index 0, or n + 1) is the classic off-by-one."""
    if not exc.off_by_one:
        return None
    return Slip("index-off-by-one", f"An index is off by one: {exc.message}. Indices run "
                                    "from 1 to the size of each dimension.")


def allowed(want: np.ndarray) -> np.ndarray:
    """The |got − want| each entry of a formula's value may have."""
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return ATOL + RTOL * np.maximum(np.abs(want), scale)


def close(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(got - want) <= allowed(want)


def value_on(grader, spec, part, text: str, student, number: int = 0, extra_env=None,
             indexing: int = 1):
    """A formula's value on one instance (for diagnosis and carry-forward), or None."""
    try:
        f, reading = read(grader, spec, part, text, student, extra_env, indexing)
        text = reading.canonical
        solved = grader.key(spec, number, student)
        want = np.asarray(solved.solution.parts[part.name], dtype=float)
        env = dict(solved.solution.env)
        if extra_env:
            env.update(extra_env[number])
        return grader.cached(("formula", text, spec.id, part.name, number,
                              solved.instance.student_seed, _env_id(extra_env, number)),
                             lambda: evaluate(f, env, index=list(zip(part.index, want.shape)),
                                              shape=want.shape))
    except FormulaError:
        return None


def same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


_PAD = 8  # wider than any shift a formula in the homework reads past an edge


def same_formula(grader, spec, part, a: str, b: str, student) -> bool:
    """Whether two formulas are the same function of the symbols, also where the key's
    arrays end: both are evaluated on the spec's sizes with every array replaced by random
    values on a larger array, so two spellings of a mistake that reads past an edge (which
    the key's instance cannot evaluate) are recognised as one."""
    try:
        fa, _ = read(grader, spec, part, a, student)
        fb, _ = read(grader, spec, part, b, student)
        solved = grader.key(spec, 0, student)
        want = np.asarray(solved.solution.parts[part.name], dtype=float)
        rng = Draws(20240607)
        env = {}
        for name, value in sorted(solved.solution.env.items()):
            arr = np.asarray(value, dtype=float)
            env[name] = rng.standard_normal(tuple(d + _PAD for d in arr.shape)) \
                if arr.ndim else value
        index = list(zip(part.index, want.shape))
        with np.errstate(all="ignore"):
            va = evaluate(fa, env, index=index, shape=want.shape)
            vb = evaluate(fb, env, index=index, shape=want.shape)
        return bool(np.all(close(va, vb)))
    except FormulaError:
        return False


def _env_id(extra_env, number) -> object:
    if not extra_env:
        return None
    return tuple((k, np.asarray(v).tobytes()) for k, v in sorted(extra_env[number].items()))


def _instance(solved) -> str:
    sizes = ", ".join(f"{k}={v}" for k, v in solved.instance.sizes.items())
    name = "the spec's instance" if solved.instance.number == 0 else \
        f"random instance {solved.instance.number}"
    return f"{name} ({sizes})" if sizes else name


DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _where(exc: FormulaError, text_in: str = "") -> str:
    if DATE.match(text_in.strip()):
        return f"'{text_in.strip()}' is a date, not a number or a formula"
    text = exc.message
    if exc.col and "column" not in text:
        text = f"column {exc.col}: {text}"
    if exc.hint:
        text += f" (hint: {exc.hint})"
    return text

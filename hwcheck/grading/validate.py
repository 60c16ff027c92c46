"""``hwcheck validate``: specs load, reference formulas match their solvers, self-tests pass,
and answers files read cleanly."""

from __future__ import annotations

from pathlib import Path

from hwcheck.frozen import frozen
from hwcheck.grading.answers import AnswerSheet
from hwcheck.grading.sources import SOURCES, read_sheet
from hwcheck.errors import HwcheckError
from hwcheck.grading.grader import Grader
from hwcheck.grading.walk import Refused, display, walk
from hwcheck.spec.load import Spec, load_spec
from hwcheck.spec.yamlio import load_file


@frozen
class Check:
    """One check of ``hwcheck validate`` and where it applies."""

    file: str
    line: int
    ok: bool
    message: str
    col: int = 0
    details: tuple = ()   # a failing part's structured details (grading.results)


def validate(paths, specs: dict) -> list[Check]:
    """Check every spec and answers file under ``paths`` (specs are told apart by `kind:`)."""
    checks: list[Check] = []
    for path in _files(paths):
        if isinstance(path, Refused):      # a link, a FIFO, …: never followed or read
            checks.append(Check(display(path.path), 0, False, path.reason))
            continue
        try:
            if path.suffix.lower() in SOURCES:   # a notebook or document: answers only
                checks.extend(_check_answers(path, specs))
                continue
            root = load_file(path, display=display(path))
            if root.kind == "map" and "kind" in root.value and "parts" in root.value:
                checks.extend(check_spec(load_spec(path)))
            else:
                checks.extend(_check_answers(path, specs))
        except HwcheckError as exc:
            message = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            checks.append(Check(exc.file or display(path), exc.line, False, message,
                                exc.col))
    return checks


def check_spec(spec: Spec) -> list[Check]:
    """Solve the key, grade each reference formula (it must be correct) and each test."""
    grader = Grader({spec.id: spec}, fingerprints=False)   # no report keeps them
    checks = [Check(spec.file, 0, True, f"{spec.id}: key solved")]
    grader.key(spec)
    for part in spec.parts:
        if part.reference is None:
            continue
        node = spec.section("parts").value[part.name]
        ref = node.value.get("reference", node)
        result = _grade_one(grader, spec, part.name, ref)
        ok = result.status == "correct"
        checks.append(Check(spec.file, ref.line, ok,
                            f"{spec.id} {part.name}: reference formula "
                            + ("matches the solver" if ok else
                               f"is {result.status}: {result.feedback}"),
                            details=() if ok else result.details))
    for test in spec.tests:
        result = _grade_one(grader, spec, test.part, test.answer)
        ok = result.status == test.status and (test.diagnosis is None or
                                                result.diagnosis == test.diagnosis)
        want = test.status + (f" ({test.diagnosis})" if test.diagnosis else "")
        got = result.status + (f" ({result.diagnosis})" if result.diagnosis else "")
        checks.append(Check(spec.file, test.line, ok, f"{spec.id} {test.part}: test expects "
                            f"{want}, got {got}" + ("" if ok else f": {result.feedback}")))
    return checks


def _grade_one(grader: Grader, spec: Spec, part: str, node):
    sheet = AnswerSheet(spec.file, None, {(spec.id, part): node}, {}, ())
    problem = grader.grade_sheet(sheet).problems[0]
    return next(p for p in problem.parts if p.name == part)


def _check_answers(path: Path, specs: dict) -> list[Check]:
    sheet = read_sheet(path, specs, display(path))
    checks = [Check(sheet.file, n.line, False, f"{n.message}" + (f" (hint: {n.hint})"
                                                                 if n.hint else ""))
              for n in sheet.notices]
    return checks or [Check(sheet.file, 0, True, f"answers file reads cleanly "
                                                 f"({len(sheet.answers)} answers)")]


def _files(paths) -> list:
    out: list = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(walk(p, ("*.yaml", "*.yml")))
        else:
            out.append(p)
    return out

"""Answers × keys → results: statuses, scores, diagnoses and carry-forward credit.

One ``Grader`` solves each key once (per instance, student variant and slip) and caches
formula evaluations, so a whole class shares the work.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hwcheck.errors import FormulaError
from hwcheck.grading import compare
from hwcheck.grading import formulas as grade_formula
from hwcheck.grading.answers import (YAML11_WORDS, AnswerSheet, InvalidAnswer, is_blank,
                                     to_array, written_precision)
from hwcheck.grading import identity as ids
from hwcheck.grading.compare import Slip
from hwcheck.grading.identity import Identity
from hwcheck.grading.sources import read_sheet
from hwcheck.grading.numeric_text import read_numbers
from hwcheck.kinds import instances, slips, solve_spec
from hwcheck.grading.results import (Note, PartResult, ProblemResult, RubricMatch, Submission,
                                     value_of)
from hwcheck.grading.rubric import matched_points, suggested_points

FORMULA_ONLY = ("This part asks for a formula, not numbers (write it in index notation, "
                "such as q[x] - p[x]).")


def _numbers_in_text(text: str, key0) -> bool:
    """A list or matrix of numbers written as text (a notebook's printed output): numbers,
    which a formula part refuses as it refuses them written as a YAML list."""
    if not text.lstrip().startswith(("[", "\\begin")):
        return False
    try:
        return read_numbers(text, int(np.size(key0))) is not None
    except FormulaError:
        return False


class Grader:
    def __init__(self, specs: dict, only: str | None = None,
                 fingerprints: bool = True) -> None:
        """``fingerprints``: record what a later regrade compares (``grading.regrade``),
        only the JSON report keeps them; hashing every key costs a one-file grade ~5 ms."""
        self.specs = specs   # every spec reads the answers file; ``only`` one is graded
        self.graded = [s for s in specs.values() if only is None or s.id == only]
        self.fingerprints = fingerprints
        self._cache: dict = {}

    def cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def key(self, spec, number: int = 0, student: str | None = None,
            variants: frozenset = frozenset()):
        seed_student = student if spec.variants and number == 0 else None
        return self.cached(("key", spec.id, number, seed_student, variants),
                           lambda: solve_spec(spec, seed_student, number, variants))

    def warm(self, spec) -> None:
        """Solve every key a class will need (except per-student variants) up front."""
        if spec.variants:
            # Per-student keys are solved per student; solving the shared one here still
            # finds a broken spec once, blamed on the spec, before any student's file.
            self.key(spec, 0)
            return
        for number in range(instances(spec)):
            self.key(spec, number)
        for part in spec.parts:
            self._alternatives(spec, part, None)

    def grade_file(self, path: str | Path, display: str | None = None,
                   identity: Identity | None = None) -> Submission:
        """Grade one answers file (YAML, or a document: ``sources.SOURCES``). An unreadable
        file raises HwcheckError. ``identity``: see ``grade_sheet``."""
        sub = self.grade_sheet(read_sheet(path, self.specs, display), identity)
        if not self.fingerprints:
            return sub
        from hwcheck.grading.fingerprints import file_digest   # hashlib: ~3 ms

        return _with(sub, digest=file_digest(path))

    def grade_sheet(self, sheet: AnswerSheet, identity: Identity | None = None) -> Submission:
        """``identity``: the grader's (identity.py), which keys per-student variants; None
        (the library's default) keys them by the file's own ``student:``."""
        trusted = identity is not None and identity.student is not None
        student = identity.student if trusted else sheet.student
        # Students' numbers overflow and divide by zero; the comparison handles inf and
        # nan, so numpy's warnings would only be noise on stderr.
        with np.errstate(all="ignore"):
            problems = tuple(self._problem(spec, sheet, student)
                             for spec in self.graded)
        notices = sheet.notices
        if identity is not None:
            if not trusted:
                graded = problems
                problems = tuple(ids.without_identity(p, self.specs[p.id])
                                 if self.specs[p.id].variants else p for p in problems)
                ungraded = [p.id for p, g in zip(problems, graded) if p is not g]
            notices += tuple(ids.notices(identity, sheet.student, sheet.student_at,
                                         [] if trusted else ungraded))
        return Submission(file=sheet.file, student=student,
                          score=float(sum(p.score for p in problems)),
                          max_score=float(sum(p.max_score for p in problems)),
                          problems=problems, notices=notices, indexing=sheet.indexing,
                          identity=identity.source if trusted else None,
                          cells=sheet.cells)

    def grade_problem(self, spec, sheet: AnswerSheet) -> ProblemResult:
        """One problem of ``sheet`` (the Python API checks one problem at a time)."""
        with np.errstate(all="ignore"):
            return self._problem(spec, sheet, sheet.student)

    def _problem(self, spec, sheet: AnswerSheet, student: str | None) -> ProblemResult:
        done: dict = {}   # part name → (result, student value per instance or None)
        indexing = sheet.indexing
        for part in spec.parts:
            node = sheet.answers.get((spec.id, part.name))
            done[part.name] = self._part(spec, part, node, student, done, indexing)
        parts = tuple(r for r, _ in done.values())
        seed = self.key(spec, 0, student).instance.student_seed if spec.variants else None
        return ProblemResult(spec.id, spec.title, float(sum(p.score for p in parts)),
                             float(spec.points), parts, seed, sheet.problem_lines.get(spec.id, 0))

    def _part(self, spec, part, node, student, done, indexing: int = 1):
        # One fingerprint per key: per student only where the key is (per-student variants).
        keyed_by = student if spec.variants else None
        base = dict(name=part.name, max_score=float(part.points), score=0.0, fingerprint=None)
        if self.fingerprints:
            from hwcheck.grading.fingerprints import of_part

            base["fingerprint"] = self.cached(("fingerprint", spec.id, part.name, keyed_by),
                                              lambda: of_part(self, spec, part, keyed_by))
        if node is None or is_blank(node):
            where = dict(line=node.line, col=node.col) if node is not None else {}
            return PartResult(status="missing", feedback="No answer given.", **base,
                              **where), None
        base.update(line=node.line, col=node.col)
        key0 = self.key(spec, 0, student).solution.parts[part.name]
        if part.answer != "text":
            base["expected"] = self.cached(("expected", spec.id, part.name, keyed_by),
                                           lambda: value_of(key0))
        if part.answer == "text":
            return self._text(part, node, base), None
        if part.answer != "formula":
            base["tolerance"] = part.tolerance or spec.tolerance
        if node.kind == "scalar" and isinstance(node.value, str):
            if part.answer != "formula" and node.value.strip().lower() in YAML11_WORDS:
                return PartResult(status="invalid", answer=node.value, feedback=(
                    f"'{node.value}' is text, not a number (YAML 1.2 reads yes/no/on/off "
                    "as text)"), **base), None
            if part.answer != "formula":
                try:
                    written = read_numbers(node.value, int(np.size(key0)))
                except FormulaError as exc:   # too many entries, or a LaTeX cell unread
                    return PartResult(status="invalid", answer=node.value,
                                      feedback=exc.message + (f" (hint: {exc.hint})"
                                                              if exc.hint else ""), **base), None
                if written is not None:
                    base["answer"] = node.value
                    return self._judge(spec, part, *written, student, key0, base, done)
            if part.answer == "formula" and _numbers_in_text(node.value, key0):
                return PartResult(status="invalid", answer=node.value, feedback=FORMULA_ONLY,
                                  **base), None
            return self._formula(spec, part, node.value, student, base, done, indexing)
        if part.answer == "formula":   # numbers: right on one instance, printed by `solve`
            return PartResult(status="invalid", answer=_shown(node), feedback=FORMULA_ONLY,
                              **base), None
        return self._numeric(spec, part, node, student, key0, base, done)

    def _text(self, part, node, base) -> PartResult:
        if node.kind != "scalar" or not isinstance(node.value, str):
            return PartResult(status="invalid", feedback="Write this answer as text.",
                              answer=str(node.plain()), **base)
        rubric = tuple(RubricMatch(p.point, hit, float(p.points))
                       for p, hit in matched_points(node.value, part.rubric))
        suggested = suggested_points(node.value, part.rubric, part.points)
        feedback = f"Needs review by course staff; suggested {suggested:g} of {part.points:g}."
        return PartResult(status="needs_review", feedback=feedback, answer=node.value,
                          rubric=rubric, suggested=suggested, **base)

    def _numeric(self, spec, part, node, student, key0, base, done):
        want = np.asarray(key0, dtype=float)
        try:
            got = to_array(node, want.shape)
        except InvalidAnswer as exc:
            base.update(line=exc.line or base["line"], col=exc.col or base["col"])
            return PartResult(status="invalid", feedback=exc.message,
                              answer=_shown(node), **base), None
        return self._judge(spec, part, got, written_precision(node), student, key0, base, done)

    def _judge(self, spec, part, got, precision, student, key0, base, done):
        """A numeric answer (``precision``: each entry's written half-unit) against the key."""
        want = np.asarray(key0, dtype=float)
        base["answer_value"] = value_of(got)
        fitted = compare.fit_shape(got, want.shape)
        if fitted is None:
            tol = part.tolerance or spec.tolerance
            if got.shape == want.T.shape and compare.matches(got, want.T, tol):
                slip = compare.generic_slip(got, want, tol)
                return self._wrong(base, slip, ()), None
            return PartResult(status="invalid", feedback=(
                f"Shape {_shape(got.shape)} does not match the key's {_shape(want.shape)}."),
                **base), None
        ok = compare.within(fitted, want, part.tolerance or spec.tolerance)
        if ok.all():
            return PartResult(status="correct", **{**base, "score": float(part.points)}), \
                [fitted]
        details = compare.entry_feedback(fitted, want, ok) if want.ndim else ()
        slip = compare.diagnose(fitted, want, self._alternatives(spec, part, student),
                                part.tolerance or spec.tolerance,
                                np.broadcast_to(precision, got.shape).reshape(fitted.shape),
                                self._factors(spec, student))
        result = self._wrong(base, slip, details)
        if part.partial_credit and want.ndim:
            result = _with(result, score=float(part.points) * float(ok.mean()))
        return self._carry(spec, part, result, [fitted], student, done), [fitted]

    def _formula(self, spec, part, text, student, base, done, indexing: int = 1):
        base["answer"] = text
        # A class writes the same few formulas: each one's outcome and diagnosis are
        # worked out once (per student only where the key is: per-student variants).
        out, slip = self.cached(("judged", spec.id, part.name, text,
                                 student if spec.variants else None, indexing),
                                lambda: self._judged(spec, part, text, student, indexing))
        base.update(read_as=out.read_as, notes=out.notes)
        if out.status == "correct":
            return PartResult(status="correct", **{**base, "score": float(part.points)}), \
                list(out.values)
        if out.status == "invalid":
            return PartResult(status="invalid", feedback=out.message, **base), None
        details = ((Note(out.message),) if slip and out.message else ()) + out.details
        result = self._wrong(base, slip, details, fallback=out.message)
        mine = None
        if part.carry_forward or any(p.carry_forward and p.carry_forward.source == part.name
                                     for p in spec.parts):
            # Carry-forward needs this answer's value on every instance, not just up to
            # the first that failed; nothing else does, so only then is it worth computing.
            mine = [grade_formula.value_on(self, spec, part, text, student, n,
                                           indexing=indexing)
                    for n in range(instances(spec))]
            mine = None if any(v is None for v in mine) else mine
        return self._carry(spec, part, result, mine, student, done), mine

    def _judged(self, spec, part, text, student, indexing: int):
        out = grade_formula.outcome(self, spec, part, text, student, indexing=indexing)
        if out.status in ("correct", "invalid"):
            return out, None
        return out, self._formula_slip(spec, part, out.read_as or text, student, out)

    def _formula_slip(self, spec, part, text, student, out) -> Slip | None:
        for m in part.mistakes:
            if m.formula and (grade_formula.same_text(m.formula, text) or not out.values and
                              grade_formula.same_formula(self, spec, part, m.formula, text,
                                                         student)):
                return Slip(m.name, m.feedback, reveals_key=bool(m.feedback))
        if out.slip or not out.values:
            return out.slip
        want = np.asarray(self.key(spec, 0, student).solution.parts[part.name], dtype=float)
        return compare.diagnose(out.values[0], want, self._alternatives(spec, part, student),
                                part.tolerance or spec.tolerance,
                                factors=self._factors(spec, student))

    def _factors(self, spec, student) -> dict:
        """The problem's own scalars (sizes, learning rate, …): factors a slip may involve."""
        def factors():
            env = self.key(spec, 0, student).solution.env
            return {k: float(v) for k, v in env.items() if np.ndim(v) == 0}
        return self.cached(("factors", spec.id, student if spec.variants else None), factors)

    def _alternatives(self, spec, part, student):
        """Known mistakes and slips, each as the value it produces on the spec's instance."""
        return self.cached(("alternatives", spec.id, part.name,
                            student if spec.variants else None),
                           lambda: self._alternative_values(spec, part, student))

    def _alternative_values(self, spec, part, student):
        alts = []
        for m in part.mistakes:
            slip = Slip(m.name, m.feedback or m.name, reveals_key=bool(m.feedback))
            if m.value is not None:
                alts.append((slip, np.asarray(m.value, dtype=float)))
            elif m.variant:
                alts.append((slip, self.key(spec, 0, student, frozenset({m.variant}))
                             .solution.parts[part.name]))
            elif m.formula:
                alts.append((slip, grade_formula.value_on(self, spec, part, m.formula,
                                                          student)))
        for s in slips(spec):  # the kind's own slips, tried on every wrong answer
            alts.append((Slip(s.slug, s.message), self.key(spec, 0, student,
                                                          frozenset({s.variant}))
                         .solution.parts[part.name]))
        return [(s, np.asarray(a, dtype=float)) for s, a in alts if a is not None]

    def _wrong(self, base, slip, details, fallback: str = "") -> PartResult:
        feedback = slip.message if slip else (fallback or "Does not match the key.")
        return PartResult(status="wrong", feedback=feedback,
                          diagnosis=slip.slug if slip else None, details=tuple(details),
                          feedback_reveals_key=bool(slip and slip.reveals_key), **base)

    def _carry(self, spec, part, result, mine, student, done) -> PartResult:
        """Credit for a part that is right given the student's own wrong earlier part."""
        cf = part.carry_forward
        if cf is None or mine is None or cf.source not in done:
            return result
        source_result, source_values = done[cf.source]
        if source_result.status == "correct" or source_values is None:
            return result
        source_part = spec.part(cf.source)
        extra = [{cf.symbol: v} for v in source_values]
        rebuilt_all = []
        for number, value in enumerate(mine[:len(extra)]):
            rebuilt = grade_formula.value_on(self, spec, part, cf.formula, student, number,
                                             extra)
            if rebuilt is None or not grade_formula.close(value, rebuilt).all():
                return result
            rebuilt_all.append(np.ravel(rebuilt))
        if _trivial(rebuilt_all):   # all zeros (or one constant) everywhere: no real work
            return result
        return _with(result, score=cf.credit * float(part.points), diagnosis="carry-forward",
                     feedback_reveals_key=False,
                     feedback=f"Consistent with your own {source_part.name}, which was "
                              f"wrong: {cf.credit:.0%} carry-forward credit.")


def _trivial(values: list) -> bool:
    """One constant on every entry of every instance, such as the zeros that an all-zero
    earlier answer rebuilds: consistent with anything that is also constant."""
    flat = np.concatenate(values) if values else np.zeros(0)
    return flat.size == 0 or bool(np.all(flat == flat[0]))


def _with(result: PartResult, **changes) -> PartResult:
    from dataclasses import replace

    return replace(result, **changes)


def _shape(shape: tuple) -> str:
    return "a single number" if not shape else " x ".join(map(str, shape))


def _shown(node) -> str:
    return str(node.plain())

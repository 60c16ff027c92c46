"""Mistake mining: wrong answers that nothing explains, grouped by their value.

For each part, the wrong answers with no diagnosis are evaluated on the spec's instance (a
number as written, a formula by its evaluation) and grouped: two answers are one group when
each matches the group's first answer as a known mistake would (``compare.matches`` at the
part's tolerance; a formula's evaluations within the formula grader's closeness). Every
group of ``min_size`` or more students becomes a ``Cluster``: its size, an example, how it
differs from the key, and a ``mistakes:`` entry that, pasted into the spec, makes ``grade``
name it. Specs with per-student variants are skipped: each student has an instance of their
own, so equal mistakes do not have equal values.
"""

from __future__ import annotations

import json
import re

import numpy as np

from hwcheck.errors import HwcheckError
from hwcheck.frozen import frozen
from hwcheck.grading import compare
from hwcheck.grading import formulas as grade_formula
from hwcheck.grading.results import Value, value_of

MAX_STUDENTS = 50   # names kept per cluster: the count says the rest
NEAR = 0.01         # "near a known mistake": within 1 % of its largest entry


@frozen
class Cluster:
    """A group of students who gave the same unexplained wrong answer to one part."""

    problem: str
    part: str
    size: int
    students: tuple[str, ...]    # the first MAX_STUDENTS, by name (else file)
    example: str                 # one answer, as written
    value: Value                 # its value on the spec's instance
    differs: str                 # how it differs from the key, in a sentence
    name: str                    # the proposed mistake's name
    entry: str                   # the `mistakes:` entry, YAML, ready to paste
    spec_file: str = ""


def mine(grader, submissions, problem: str | None = None,
         min_size: int = 2) -> tuple[Cluster, ...]:
    """The clusters of unexplained wrong answers, biggest first within each part, parts in
    the specs' order. ``problem`` limits the search to one problem id."""
    found: dict[tuple[str, str], list] = {}
    for sub in submissions:
        if sub.error is not None:
            continue
        for pr in sub.problems:
            spec = grader.specs.get(pr.id)
            if spec is None or spec.variants or (problem and pr.id != problem):
                continue
            for p in pr.parts:
                if p.status == "wrong" and p.diagnosis is None:
                    found.setdefault((pr.id, p.name), []).append((sub, p))
    clusters: list[Cluster] = []
    for spec in grader.specs.values():
        for part in spec.parts:
            rows = found.get((spec.id, part.name))
            if rows:
                clusters += _part_clusters(grader, spec, part, rows, min_size)
    return tuple(clusters)


def _part_clusters(grader, spec, part, rows, min_size) -> list[Cluster]:
    want = np.asarray(grader.key(spec, 0).solution.parts[part.name], dtype=float)
    tol = part.tolerance or spec.tolerance
    groups: list[list] = []            # [representative value, [(sub, part result), ...]]
    exact: dict[bytes, list] = {}
    reps = _Reps()                     # each group's value, and the error it allows
    for sub, result in rows:
        value = _value(grader, spec, part, result, want.shape, sub.indexing)
        if value is None:
            continue
        # Equal answers are the common case: a hash finds them without comparing.
        group = exact.get(value.tobytes())
        if group is None:
            hit = reps.first_same(value)
            if hit is None:
                group = [value, []]
                groups.append(group)
                reps.add(value, _allowed(value, tol, part))
            else:
                group = groups[hit]
            exact[value.tobytes()] = group
        group[1].append((sub, result))
    groups = sorted((g for g in groups if len(g[1]) >= min_size), key=lambda g: -len(g[1]))
    out = []
    for number, (value, members) in enumerate(groups, start=1):
        example = members[0][1]
        name = f"unexplained-{_slug(spec.id)}-{_slug(part.name)}-{number}"
        variant = _variant(grader, spec, part, value, tol)
        differs = f"the key re-solved with the solver variant `{variant}`" if variant \
            else _near(grader, spec, part, value) + _differs(value, want, tol)
        students = tuple(s.student or s.file for s, _ in members[:MAX_STUDENTS])
        out.append(Cluster(spec.id, part.name, len(members), students,
                           _example(example), value_of(value), differs, name,
                           _entry(name, part, members[0], value, variant, len(members)),
                           spec.file))
    return out


def _value(grader, spec, part, result, shape, indexing: int) -> np.ndarray | None:
    if result.answer_value is not None:
        got = compare.fit_shape(np.asarray(result.answer_value, dtype=float), shape)
    elif part.answer == "formula" and result.answer is not None:
        # read as the grader read it: `Wh[a, 0]` from a file that counts from 0 is column 1
        got = grade_formula.value_on(grader, spec, part, result.answer, None,
                                     indexing=indexing)
    else:
        return None
    if got is None:
        return None
    got = np.asarray(got, dtype=float)
    return got if got.shape == tuple(shape) and np.all(np.isfinite(got)) else None


def _allowed(rep, tol, part) -> np.ndarray:
    """The |value − rep| each entry may have to join ``rep``'s group: a formula's values
    as the formula grader compares them, a number as ``compare.matches`` does."""
    if part.answer == "formula":
        return grade_formula.allowed(rep)
    return compare.allowed_error(rep, tol) + 1e-12


class _Reps:
    """The groups' values and the error each allows, a row per group, in arrays that grow
    by doubling: a value is compared with every group in one numpy expression. (A class of
    noisy answers makes hundreds of groups; stacking them all again for each answer, as
    this did, cost a class report ~0.1 s.)"""

    def __init__(self) -> None:
        self.count = 0
        self._values = self._allowed = None

    def add(self, value: np.ndarray, allowed) -> None:
        if self._values is None:
            self._values = np.empty((8, value.size))
            self._allowed = np.empty((8, value.size))
        elif self.count == len(self._values):
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
            self._allowed = np.concatenate([self._allowed, np.empty_like(self._allowed)])
        self._values[self.count] = value.ravel()
        self._allowed[self.count] = np.broadcast_to(allowed, value.shape).ravel()
        self.count += 1

    def first_same(self, value: np.ndarray) -> int | None:
        """The first group whose value ``value`` matches, or None."""
        if not self.count:
            return None
        with np.errstate(invalid="ignore"):
            ok = np.abs(value.ravel() - self._values[:self.count]) <= \
                self._allowed[:self.count]
        hits = np.flatnonzero(ok.all(axis=1))
        return int(hits[0]) if hits.size else None


def _variant(grader, spec, part, value, tol) -> str | None:
    """A solver variant of the problem's kind, not yet among the part's mistakes, whose key
    is this value."""
    from hwcheck.kinds import KINDS

    listed = {m.variant for m in part.mistakes}
    for variant in KINDS[spec.kind].variants:
        if variant in listed:
            continue
        try:
            alt = grader.key(spec, 0, None, frozenset({variant})).solution.parts[part.name]
        except (HwcheckError, ValueError, KeyError):
            continue
        if compare.matches(value, np.asarray(alt, dtype=float), tol, _written(value)):
            return variant
    return None


def _written(value: np.ndarray) -> np.ndarray:
    """Each entry's precision as the shortest decimal that reads back as it (half a unit
    in its last place): how the grader believes a student's rounding of a slip."""
    out = []
    for x in value.ravel().tolist():
        text = repr(float(x))
        if "e" in text or "n" in text:
            out.append(0.0)
            continue
        decimals = len(text.split(".")[1].rstrip("0"))
        out.append(0.5 * 10.0 ** -decimals)
    return np.asarray(out).reshape(value.shape)


def _near(grader, spec, part, value) -> str:
    """A known mistake or slip this is close to (within NEAR of its scale) though outside
    the tolerance: often the same slip, rounded differently or slipped twice."""
    for slip, alt in grader._alternatives(spec, part, None):
        if alt.shape == value.shape and np.any(alt) and \
                np.max(np.abs(value - alt)) <= NEAR * compare.scale_of(alt):
            return f"near the known mistake {slip.slug} but outside the tolerance; "
    return ""


def _differs(value, want, tol) -> str:
    slip = compare.generic_slip(value, want, tol)
    if slip is not None:
        return slip.message
    if not np.any(want):
        return "the key is zero here"
    if value.ndim == 0:
        ratio = f", {float(value) / float(want):.6g} times it" if float(want) else ""
        return f"off by {float(value - want):+.6g} from the key{ratio}"
    off = ~compare.within(value, want, tol)
    worst = np.unravel_index(int(np.argmax(np.abs(value - want))), want.shape)
    where = ", ".join(str(int(i) + 1) for i in worst)
    c = float(np.vdot(value, want) / np.vdot(want, want))
    return (f"{int(off.sum())} of {off.size} entries differ; the largest by "
            f"{float(value[worst] - want[worst]):+.6g} at [{where}]; "
            f"best-fitting factor {c:.4g}")


def _example(result) -> str:
    if result.answer is not None:
        return result.answer
    return json.dumps(result.answer_value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"


def _entry(name, part, member, value, variant, size) -> str:
    """A `mistakes:` list item. Feedback is left as a comment: what went wrong is for the
    author to say, and a placeholder would reach students."""
    sub, example = member
    if variant:
        what = f"variant: {variant}"
    elif part.answer == "formula":
        # a spec's formula counts from 1: a 0-indexed answer goes in as the grader read it
        formula = example.read_as if sub.indexing == 0 and example.read_as else example.answer
        what = f"formula: {json.dumps(formula, ensure_ascii=False)}"
    else:
        what = f"value: {json.dumps(value_of(value))}"
    return (f"- name: {name}\n  {what}\n"
            f"  # feedback: >-   ({size} students; say what went wrong)\n")

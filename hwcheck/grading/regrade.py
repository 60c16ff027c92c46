"""Regrades with a diff: this grading against an earlier JSON report (``--against``).

A part changed when its status, score or diagnosis did. Why is read from the fingerprints both
reports record (``grading.fingerprints``): the key, the tolerance, the spec's known
mistakes, or the answers file itself. A report written before fingerprints existed still
compares; its changes say the reason is unknown.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path, PurePath

from hwcheck.errors import UsageError
from hwcheck.frozen import frozen

MAX_BYTES = 256 * 2**20   # a class of 10,000 is a few tens of MB

REASONS = {"key": "key changed", "tolerance": "tolerance changed",
           "mistakes": "spec's mistakes changed"}
SCORE_EPS = 1e-9


@frozen
class Change:
    """One part whose grade differs from an earlier report's, and why."""

    file: str
    student: str | None
    problem: str              # "" for the whole submission (an error, a new file)
    part: str
    old_status: str | None    # None: not in that report
    new_status: str | None
    old_score: float | None
    new_score: float | None
    why: tuple[str, ...]
    old_diagnosis: str | None = None
    new_diagnosis: str | None = None

    @property
    def graded(self) -> bool:
        """The status or the score moved (not only the diagnosis): a gradebook's concern."""
        return self.old_status != self.new_status or self.old_score is None or \
            self.new_score is None or abs(self.old_score - self.new_score) > SCORE_EPS


def read_previous(path) -> dict:
    """An earlier ``--format json`` report, as {file: submission object}."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"the previous report is over {MAX_BYTES // 2**20} MB",
                             file=str(path), hint="pass a --format json report of hwcheck")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError("no such file", file=str(path), hint="check the --against path")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the previous report: {exc}", file=str(path),
                         hint="pass a --format json report of hwcheck") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno,
                         col=exc.colno, hint="pass a --format json report of hwcheck") from None
    subs = doc.get("submissions") if isinstance(doc, dict) and "submissions" in doc \
        else [doc]
    if not isinstance(subs, list) or not all(isinstance(s, dict) and
                                             isinstance(s.get("file"), str) for s in subs):
        raise UsageError("not a hwcheck JSON report (no submissions with a file)",
                         file=str(path), hint="pass a --format json report of hwcheck")
    return {s["file"]: s for s in subs}


def changes(previous: dict, submissions) -> tuple[Change, ...]:
    """Every part whose status or score differs from ``previous`` (``read_previous``),
    in the order of ``submissions``, then the files that are no longer graded."""
    out: list[Change] = []
    seen = set()
    # A folder spelled another way (./subs/, an absolute path, a moved folder) still finds
    # each student: by the grader's identity, else by the file's own name, where either is
    # unique. Never by a `student:` written in the answers file (issue 14): a student
    # could claim another's row.
    names = Counter(_trusted(s) for s in previous.values())
    by_name = {_trusted(s): f for f, s in previous.items()
               if _trusted(s) and names[_trusted(s)] == 1}
    bases = Counter(PurePath(f).name for f in previous)
    by_base = {PurePath(f).name: f for f in previous if bases[PurePath(f).name] == 1}
    for sub in submissions:
        file = sub.file
        if file not in previous:
            trusted = by_name.get(sub.student) if sub.identity is not None else None
            file = trusted or by_base.get(PurePath(file).name, file)
        old = previous.get(file)
        seen.add(file)
        if old is None:
            out.append(Change(sub.file, sub.student, "", "", None,
                              "error" if sub.error else "graded", None,
                              None if sub.error else sub.score, ("new submission",)))
            continue
        if (old.get("error") is not None) != (sub.error is not None):
            out.append(Change(sub.file, sub.student, "", "",
                              "error" if old.get("error") else "graded",
                              "error" if sub.error else "graded",
                              _num(old.get("score")), None if sub.error else sub.score,
                              _file_reason(old, sub)))
            continue
        if sub.error is not None:
            continue
        old_parts = {(_text(p.get("id")), _text(q.get("name"))): q
                     for p in _list(old.get("problems")) if isinstance(p, dict)
                     for q in _list(p.get("parts")) if isinstance(q, dict)}
        for pr in sub.problems:
            for part in pr.parts:
                was = old_parts.get((pr.id, part.name))
                if was is None:
                    out.append(Change(sub.file, sub.student, pr.id, part.name, None,
                                      part.status, None, part.score, ("new part",)))
                    continue
                score = _num(was.get("score"))
                # A new diagnosis is a change too: the student's feedback is not the same
                # (a mistake pasted from `hwcheck mistakes` shows here).
                status, diagnosis = _text(was.get("status")), _text(was.get("diagnosis"))
                if status == part.status and score is not None \
                        and abs(score - part.score) <= SCORE_EPS \
                        and diagnosis == part.diagnosis:
                    continue
                out.append(Change(sub.file, sub.student, pr.id, part.name, status,
                                  part.status, score, part.score, _why(was, part, old, sub),
                                  diagnosis, part.diagnosis))
    for file, old in previous.items():
        if file not in seen:
            out.append(Change(file, _text(old.get("student")), "", "",
                              "error" if old.get("error") else "graded", None,
                              _num(old.get("score")), None, ("no longer graded",)))
    return tuple(out)


def _text(x) -> str | None:
    """A string field of the earlier report; anything else (a hand-edited or foreign
    report) counts as absent."""
    return x if isinstance(x, str) else None


def _trusted(old: dict) -> str | None:
    """An earlier submission's student when the grader gave it (the report says where
    from); a name the answers file claimed is not an identity."""
    return _text(old.get("student")) if _text(old.get("identity")) else None


def _list(x) -> list:
    return x if isinstance(x, list) else []


def _num(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _file_reason(old: dict, sub) -> tuple[str, ...]:
    if not old.get("digest") or not sub.digest:
        return ("unknown: the previous report has no fingerprints",)
    return ("answers file changed",) if old["digest"] != sub.digest else ("grader changed",)


def _why(was: dict, part, old: dict, sub) -> tuple[str, ...]:
    reasons = []
    if old.get("digest") and sub.digest and old["digest"] != sub.digest:
        reasons.append("answers file changed")
    print_ = was.get("fingerprint")
    if not isinstance(print_, dict) or part.fingerprint is None:
        return tuple(reasons) or ("unknown: the previous report has no fingerprints",)
    for field, reason in REASONS.items():
        if print_.get(field) != getattr(part.fingerprint, field):
            reasons.append(reason)
    # Same key, tolerance, mistakes and answers, yet another result: hwcheck itself
    # grades differently (a new version).
    return tuple(reasons) or ("grader changed",)

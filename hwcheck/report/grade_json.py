"""``hwcheck grade --format json`` (README, "Report formats"; stable keys, extra keys allowed).

``answer`` and ``expected`` are the strings a person reads (rounded); ``answer_value`` and
``expected_value`` are the numbers themselves, full precision (null where not finite).
The hidden view (``--hide-expected``) has no ``expected`` keys at all.

Also home of a JSON encoder that is safe to print on a terminal (Gradescope uses it too).
"""

from __future__ import annotations

import json
import math
import re

from hwcheck.grading.results import Counterexample
from hwcheck.report.precision import precision_text
from hwcheck.report.textsafe import json_escape
from hwcheck.report.details import answer_text, details_of, expected_text, view

# json.dumps escapes C0 controls itself; C1 controls (a lone \x9b is a terminal CSI), the
# JavaScript line separators and the invisible bidi and zero-width characters would otherwise
# pass through raw with ensure_ascii=False. Escaped, the data is the same.
_UNSAFE = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
                     r"\ud800-\udfff\U000e0000-\U000e007f]")


def dumps(doc, indent: int | None = 2) -> str:
    text = json.dumps(doc, indent=indent, ensure_ascii=False,
                      separators=None if indent else (",", ":"))
    # (a lone surrogate, from a file name that is not UTF-8, could not even be written raw)
    text = _UNSAFE.sub(lambda m: json_escape(ord(m.group())), text)
    # GitHub's runner reads the legacy `##[command]` anywhere in a logged line; inside a
    # JSON string "\u0023" is the same "#", so the data is unchanged.
    return text.replace("##[", "#\\u0023[")


def num(x):
    """A score as a JSON float; NaN and infinities are not JSON, so they become null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def value(x):
    """A number or nested tuple of numbers as JSON: lists, and null for NaN and infinities."""
    if isinstance(x, tuple):
        return [value(e) for e in x]
    return num(x)


def _counterexample(part) -> dict | None:
    for d in part.details:
        if isinstance(d, Counterexample):
            doc = {"instance": d.instance, "at": dict(d.at), "got": num(d.got)}
            if d.want is not None:
                doc["want"] = num(d.want)
            return doc
    return None


def part_doc(part, key_withheld: bool = False) -> dict:
    doc = {
        "name": part.name, "status": part.status,
        "score": num(part.score), "max_score": num(part.max_score),
        "feedback": part.feedback, "diagnosis": part.diagnosis,
        # 0 means "no line" in results.py; null says so without looking like a position.
        "line": part.line or None,
        "col": part.col or None,
        "answer": answer_text(part),
    }
    if not key_withheld:
        doc["expected"] = expected_text(part)
    doc["details"] = details_of(part)
    doc["suggested"] = num(part.suggested)
    doc["answer_value"] = value(part.answer_value)
    if not key_withheld:
        # a number's key at full precision; a formula's key (an array on the spec's instance,
        # repeated for every student) is not what the student wrote, so it stays out
        doc["expected_value"] = value(part.expected) if part.tolerance is not None else None
        doc["rubric"] = [{"point": m.point, "synonym": m.synonym, "points": num(m.points)}
                         for m in part.rubric]
    doc["counterexample"] = _counterexample(part)
    doc["read_as"] = part.read_as
    doc["notes"] = list(part.notes)
    if part.tolerance is not None:
        doc["precision"] = precision_text(part.tolerance)
    if part.fingerprint is not None:   # for a later --against (grading.regrade)
        doc["fingerprint"] = {"key": part.fingerprint.key,
                              "tolerance": part.fingerprint.tolerance,
                              "mistakes": part.fingerprint.mistakes}
    return doc


def problem_doc(problem, key_withheld: bool = False) -> dict:
    return {
        "id": problem.id, "score": num(problem.score), "max_score": num(problem.max_score),
        "parts": [part_doc(p, key_withheld) for p in problem.parts],
        "title": problem.title, "seed": problem.seed, "line": problem.line or None,
    }


def submission_doc(sub) -> dict:
    if sub.error is not None:
        doc = {"file": sub.file, "error": sub.error}
        if sub.student is not None:
            doc["student"] = sub.student
        return doc
    doc = {
        "file": sub.file, "student": sub.student,
        "score": num(sub.score), "max_score": num(sub.max_score),
        "problems": [problem_doc(p, sub.key_withheld) for p in sub.problems],
        "notices": [{"message": n.message, "line": n.line or None, "col": n.col or None,
                     "hint": n.hint} for n in sub.notices],
    }
    if sub.digest is not None:
        doc["digest"] = sub.digest
    if sub.identity is not None:   # `student` is the grader's; a regrade may match by it
        doc["identity"] = sub.identity
    return doc


def cluster_doc(c) -> dict:
    return {"problem": c.problem, "part": c.part, "size": c.size,
            "students": list(c.students), "example": c.example, "value": value(c.value),
            "differs": c.differs, "name": c.name, "entry": c.entry, "spec": c.spec_file}


def change_doc(c) -> dict:
    return {"file": c.file, "student": c.student, "problem": c.problem or None,
            "part": c.part or None, "old_status": c.old_status, "new_status": c.new_status,
            "old_score": num(c.old_score), "new_score": num(c.new_score), "why": list(c.why),
            "old_diagnosis": c.old_diagnosis, "new_diagnosis": c.new_diagnosis}


def render(submissions, *, hide_expected: bool = False, analysis=None) -> str:
    """One submission → its object, indented; several → ``{"submissions": [...]}`` with one
    compact submission per line (a class's report stays a few MB, and greppable). With an
    ``analysis``: ``clusters`` (mined mistakes) and, for a regrade, ``changes``."""
    subs = view(submissions, hide_expected)
    extra = {}
    if analysis is not None:
        if len(subs) != 1 or analysis.clusters:
            extra["clusters"] = [cluster_doc(c) for c in analysis.clusters]
        if analysis.changes is not None:
            extra["changes"] = [change_doc(c) for c in analysis.changes]
    if len(subs) == 1:
        return dumps({**submission_doc(subs[0]), **extra}) + "\n"
    lines = ",\n".join(dumps(submission_doc(s), indent=None) for s in subs)
    tail = "".join(f',\n"{k}": {dumps(v, indent=None)}' for k, v in extra.items())
    # one join: each + would copy the whole report again (8 MB for 1,000 students)
    return "".join(('{"submissions": [\n', lines, "\n]", tail, "}\n"))

"""``hwcheck grade --format json`` (DESIGN §4; stable keys, extra keys allowed).

Also home of the two helpers every grade renderer shares: what ``--hide-expected`` hides,
and a JSON encoder that is safe to print on a terminal.
"""

from __future__ import annotations

import json
import math
import re

from hwcheck.report.console import fmt_number

# json.dumps escapes C0 controls itself; C1 controls (a lone \x9b is a terminal CSI) and the
# JavaScript line separators would otherwise pass through raw with ensure_ascii=False.
_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def dumps(doc) -> str:
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    # GitHub's runner reads the legacy `##[command]` anywhere in a logged line; inside a
    # JSON string "\u0023" is the same "#", so the data is unchanged.
    return text.replace("##[", "#\\u0023[")


# "entry [1, 2]: yours 0.5, expected 0.25" keeps its first half under --hide-expected.
_KEY_TAIL = re.compile(r"[,;]?\s*\bexpected\b.*$", re.IGNORECASE | re.DOTALL)


def _hidden(lines, status: str) -> list[str]:
    # An invalid answer was never compared with the key, and its message ("expected a
    # number") is how the student learns to fix it; keep it whole.
    if status == "invalid":
        return list(lines)
    kept = []
    for line in lines:
        if line.lstrip().lower().startswith("expected"):
            continue
        cut = _KEY_TAIL.sub("", line).rstrip(" ,;:")
        if cut.strip():
            kept.append(cut)
    return kept


def feedback_of(part, hide_expected: bool = False) -> str:
    """The part's feedback; with ``hide_expected``, without what states the key."""
    if not hide_expected:
        return part.feedback
    return "\n".join(_hidden(part.feedback.split("\n"), part.status))


def details_of(part, hide_expected: bool = False) -> tuple[str, ...]:
    if not hide_expected:
        return tuple(part.details)
    return tuple(_hidden(part.details, part.status))


def message_lines(part, hide_expected: bool, headline: str | None = None) -> list[str]:
    """A part's feedback as lines for a plain-text report (GitHub, Gradescope, JUnit):
    ``headline`` first (a needs_review part gets the review note instead), then the
    feedback, the diagnosis, the details, the answer and, unless hidden, the key."""
    lines = [ln for ln in feedback_of(part, hide_expected).split("\n") if ln.strip()]
    if part.status == "needs_review":
        # The note says it once, whatever the grader's own feedback says.
        lines = [ln for ln in lines if not ln.lower().startswith("needs review")]
        note = "Needs review by course staff"
        if part.suggested is not None:
            note += f" (suggested {fmt_number(part.suggested, 6)} of " \
                    f"{fmt_number(part.max_score, 6)} points)"
        lines.insert(0, note)
    elif headline:
        lines.insert(0, headline)
    if part.diagnosis and (headline is None or part.diagnosis not in headline):
        lines.append(f"diagnosis: {part.diagnosis}")
    lines += details_of(part, hide_expected)
    if part.answer is not None:
        lines.append(f"your answer: {part.answer}")
    if part.expected is not None and not hide_expected:
        lines.append(f"expected: {part.expected}")
    return lines


def num(x):
    """A score as a JSON float; NaN and infinities are not JSON, so they become null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def part_doc(part, hide_expected: bool = False) -> dict:
    doc = {
        "name": part.name, "status": part.status,
        "score": num(part.score), "max_score": num(part.max_score),
        "feedback": feedback_of(part, hide_expected), "diagnosis": part.diagnosis,
        # 0 means "no line" in results.py; null says so without looking like a position.
        "line": part.line or None,
        "col": part.col or None,
        "answer": part.answer,
    }
    if not hide_expected:
        doc["expected"] = part.expected
    doc["details"] = list(details_of(part, hide_expected))
    doc["suggested"] = num(part.suggested)
    return doc


def problem_doc(problem, hide_expected: bool = False) -> dict:
    return {
        "id": problem.id, "score": num(problem.score), "max_score": num(problem.max_score),
        "parts": [part_doc(p, hide_expected) for p in problem.parts],
        "title": problem.title, "seed": problem.seed, "line": problem.line or None,
    }


def submission_doc(sub, hide_expected: bool = False) -> dict:
    if sub.error is not None:
        doc = {"file": sub.file, "error": sub.error}
        if sub.student is not None:
            doc["student"] = sub.student
        return doc
    return {
        "file": sub.file, "student": sub.student,
        "score": num(sub.score), "max_score": num(sub.max_score),
        "problems": [problem_doc(p, hide_expected) for p in sub.problems],
        "notices": [{"message": n.message, "line": n.line or None, "col": n.col or None,
                     "hint": n.hint} for n in sub.notices],
    }


def render(submissions, *, hide_expected: bool = False) -> str:
    """One submission → its object; several → ``{"submissions": [...]}``."""
    subs = list(submissions)
    if len(subs) == 1:
        return dumps(submission_doc(subs[0], hide_expected)) + "\n"
    return dumps({"submissions": [submission_doc(s, hide_expected) for s in subs]}) + "\n"

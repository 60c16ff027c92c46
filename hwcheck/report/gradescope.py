"""``hwcheck grade --format gradescope``: the autograder's ``results.json``.

Gradescope grades one submission per run, so only the first submission is rendered.

Choices:
- A needs_review part (free text a person must read) is a test with score 0 and status
  "failed", whose output reads "Needs review by course staff (suggested X of Y points)".
  "passed" would tell the student the answer is right before anyone read it; the 0 keeps
  the autograder total honest until staff adjust it by hand in Gradescope.
- ``output_format`` is "text" everywhere: student text is shown as typed, never rendered as
  Markdown or HTML.
- A file that could not be graded gets score 0, no tests, and the error as its output.
"""

from __future__ import annotations

from hwcheck.report.details import message_lines, view
from hwcheck.report.grade_json import dumps, num
from hwcheck.report.numbers import fmt_number
from hwcheck.report.textsafe import clean
from hwcheck.spec.load import STATUSES


def _pts(x) -> str:
    return fmt_number(x, 6)


def _test(problem, part) -> dict:
    lines = message_lines(part)
    review = part.status == "needs_review"
    return {
        "name": f"{problem.id} {part.name}",
        "score": 0.0 if review else num(part.score),
        "max_score": num(part.max_score),
        "status": "passed" if part.status == "correct" else "failed",
        "output": "\n".join(lines) or part.status,
        "output_format": "text",
        "visibility": "visible",
    }


def _summary(sub) -> str:
    parts = [p for pr in sub.problems for p in pr.parts]
    counts = [f"{sum(p.status == s for p in parts)} {s.replace('_', ' ')}" for s in STATUSES
              if any(p.status == s for p in parts)]
    # Student text (name, file, unknown keys) on one cleaned line each: no newline in a
    # `student:` can start a line that reads like this summary ("Total 40/40").
    who = f" (student {clean(sub.student)})" if sub.student is not None else ""
    text = f"{clean(sub.file, limit=400)}{who}: {_pts(sub.score)}/{_pts(sub.max_score)}"
    if counts:
        text += " — " + ", ".join(counts)
    seeds = sorted({pr.seed for pr in sub.problems if pr.seed is not None})
    if seeds:
        text += f" (variant seed {', '.join(map(str, seeds))})"
    notices = [f"line {n.line}: {n.message}" if n.line else n.message for n in sub.notices]
    notices = [clean(f"{n} (hint: {h})" if h else n, limit=400)
               for n, h in zip(notices, (n.hint for n in sub.notices))]
    return "\n".join([text, *notices])


def render(submissions, *, hide_expected: bool = False) -> str:
    subs = view(submissions, hide_expected)
    if not subs:
        doc = {"score": 0.0, "output": "No submission was graded.", "tests": []}
    elif subs[0].error is not None:
        sub = subs[0]
        doc = {"score": 0.0, "output": clean(f"Could not grade {sub.file}: {sub.error}",
                                             limit=600), "tests": []}
    else:
        sub = subs[0]
        doc = {"score": num(sub.score), "output": _summary(sub),
               "tests": [_test(pr, p) for pr in sub.problems for p in pr.parts]}
    doc["output_format"] = "text"
    doc["visibility"] = "visible"
    return dumps(doc) + "\n"

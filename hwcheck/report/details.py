"""A part's result as plain lines of text, shared by every grade renderer.

The results hold numbers and structured details; this is where they become words. What
``--hide-expected`` hides is not decided here: ``view`` applies
``grading.results.withhold_key``, and a withheld value is simply absent (None) by then.
"""

from __future__ import annotations

from hwcheck.grading.results import (Counterexample, EntryMismatch, MoreMismatches, Note,
                                     withhold_key)
from hwcheck.report.numbers import fmt_array, fmt_number
from hwcheck.report.precision import precision_text
from hwcheck.report.textsafe import clean


def view(submissions, hide_expected: bool = False) -> list:
    """What the renderers may show: with ``hide_expected``, every submission's key withheld."""
    subs = list(submissions)
    return [withhold_key(s) for s in subs] if hide_expected else subs


def detail_text(d) -> str:
    """One detail as a line; the key side is left out when the view withheld it."""
    if isinstance(d, EntryMismatch):
        text = f"entry [{', '.join(map(str, d.index))}]: yours {fmt_number(d.got, 6)}"
        return text if d.want is None else f"{text}, expected {fmt_number(d.want, 6)}"
    if isinstance(d, MoreMismatches):
        return f"… and {d.count} more of {d.of} entries"
    if isinstance(d, Counterexample):
        where = ", ".join(f"{name}={i}" for name, i in d.at) or "value"
        if d.got is None:
            return f"counterexample: {d.instance}, at {where}"
        text = f"counterexample: {d.instance}, at {where}: yours {fmt_number(d.got, 6)}"
        return text if d.want is None else f"{text}, expected {fmt_number(d.want, 6)}"
    if isinstance(d, Note):
        return d.text
    return str(d)


def rubric_lines(part) -> list[str]:
    """The key points the answer mentions (with the synonym it used), then those it lacks."""
    found = [f"mentions: {m.point} (\"{m.synonym}\")" for m in part.rubric if m.synonym]
    lacking = [f"expected point not found: {m.point}" for m in part.rubric if not m.synonym]
    return found + lacking


def details_of(part) -> list[str]:
    return reading_lines(part) + rubric_lines(part) + [detail_text(d) for d in part.details] \
        + precision_lines(part)


def reading_lines(part) -> list[str]:
    """How a formula not written canonically was read, and what the reader decided."""
    lines = [f"read as: {part.read_as}"] if part.read_as else []
    return lines + [f"note: {n}" for n in part.notes]


def precision_lines(part) -> list[str]:
    """For a wrong number that no slip explains, or a rounding: the precision the part
    expects, so that it can be fixed."""
    if part.status != "wrong" or part.tolerance is None or part.answer_value is None \
            or part.diagnosis not in (None, "rounding"):
        return []
    return [f"expects {precision_text(part.tolerance)}"]


def answer_text(part) -> str | None:
    """The answer as the student wrote it, or their numbers as a person writes them."""
    if part.answer is not None:
        return part.answer
    return None if part.answer_value is None else fmt_array(part.answer_value)


def expected_text(part) -> str | None:
    return None if part.expected is None else fmt_array(part.expected)


def message_lines(part, headline: str | None = None) -> list[str]:
    """A part's feedback as lines for a plain-text report (GitHub, Gradescope, JUnit):
    ``headline`` first (a needs_review part gets the review note instead), then the
    feedback, the diagnosis, the details, the answer and, unless withheld, the key."""
    lines = [ln for ln in part.feedback.split("\n") if ln.strip()]
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
    lines += details_of(part)
    answer = answer_text(part)
    if answer is not None:   # one line: a newline in it cannot start a report-like line
        lines.append(f"your answer: {clean(answer, limit=500)}")
    expected = expected_text(part)
    if expected is not None:
        lines.append(f"expected: {expected}")
    return lines

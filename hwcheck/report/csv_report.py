"""``hwcheck grade --format csv``: one row per submission, for a gradebook.

Columns: file, student, each problem's score (problems in order of first appearance),
total, max_score, error. A graded file with no answer to a problem has an empty cell there;
a file that could not be graded has only file, student and error.

Spreadsheets run a cell that starts with ``= + - @`` (or a tab or carriage return) as a
formula (CSV injection). Any such *text* cell gets a leading ``'``, and so does such a
text after a ``;`` or a tab (a spreadsheet splitting on those starts a cell there);
scores are written from floats and stay numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
import re

from hwcheck.report.details import view
from hwcheck.report.numbers import fmt_number
from hwcheck.report.textsafe import clean

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEPARATOR = re.compile(r"([;\t]\s*)([=+\-@])")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def _text(value) -> str:
    """Student-derived text: one line, no control characters, never a formula."""
    if value is None:
        return ""
    # Check before clean(): it turns a leading tab into a space and would hide the marker.
    raw = str(value)
    s = clean(raw, limit=500)
    if (raw.startswith(_FORMULA_START) or s.startswith(_FORMULA_START)) \
            and not _NUMBER.fullmatch(s):
        s = "'" + s
    # A spreadsheet that splits on `;` (or a tab, shown as a space by clean) starts a
    # cell there too: a formula after one is neutralised the same way.
    return _AFTER_SEPARATOR.sub(lambda m: m.group(1) + "'" + m.group(2), s)


def _num(x) -> str:
    return "" if x is None else fmt_number(x, 6)


def render(submissions, *, hide_expected: bool = False) -> str:
    """CSV holds scores only, so the hidden view (``hide_expected``) looks the same."""
    subs = view(submissions, hide_expected)
    problem_ids: list[str] = []
    for sub in subs:
        for pr in sub.problems:
            if pr.id not in problem_ids:
                problem_ids.append(pr.id)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "student", *map(_text, problem_ids), "total", "max_score", "error"])
    for sub in subs:
        if sub.error is not None:
            writer.writerow([_text(sub.file), _text(sub.student), *[""] * len(problem_ids),
                             "", "", _text(sub.error)])
            continue
        scores = {pr.id: pr.score for pr in sub.problems}
        writer.writerow([_text(sub.file), _text(sub.student),
                         *(_num(scores.get(pid)) for pid in problem_ids),
                         _num(sub.score), _num(sub.max_score), ""])
    return buf.getvalue()

"""``hwcheck grade --format github``: GitHub Actions workflow commands (annotations).

One command per line and nothing else: ``::error`` for a wrong, invalid or missing part,
``::notice`` for a part that needs review, ``::warning`` for a notice about the file.

GitHub places an annotation at a line of the file as stored. A notebook's parts are at
cell numbers (``Submission.cells``), so its annotations go to the JSON line where the
tagged cell's source starts, and the message names the cell; a cell whose line is not
known gets a file-level annotation.

Student text cannot inject a command. Every value is escaped as the runner expects
(data: ``%`` ``\\r`` ``\\n``; properties also ``:`` and ``,``), so a newline in an answer
is ``%0A`` and never starts a line. Before that each line goes through
``textsafe.clean``, which shows other control characters (ESC, BEL, vertical tab, which
some readers treat as line breaks) as ``\\xNN`` and splits ``::``.
"""

from __future__ import annotations

import re

from hwcheck.report.details import message_lines, view
from hwcheck.report.numbers import fmt_number
from hwcheck.grading.results import FAILING
from hwcheck.report.textsafe import clean

_LINES = re.compile(r"\r\n|\r|\n")


def _data(text: str) -> str:
    lines = [clean(ln, limit=500) for ln in _LINES.split(str(text))]
    return "\n".join(lines).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text) -> str:
    return (clean(text, limit=500).replace("%", "%25").replace("\r", "%0D")
            .replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C"))


def command(kind: str, message: str, **props) -> str:
    """``::kind key=value,...::message`` with every piece escaped; None/0 props dropped."""
    given = ",".join(f"{k}={_prop(v)}" for k, v in props.items() if v)
    return f"::{kind}{' ' + given if given else ''}::{_data(message)}"


def _pts(x) -> str:
    return fmt_number(x, 6)


def _message(part) -> str:
    headline = f"{part.status}, {_pts(part.score)}/{_pts(part.max_score)} points" + (
        f" ({part.diagnosis})" if part.diagnosis else "")
    return "\n".join(message_lines(part, headline))


def _stored(sub, line: int, col: int) -> tuple[int, int]:
    """A result's position as a position in the file as stored (0: none)."""
    if sub.cells is None:
        return line, col
    for cell, at_line, at_col in sub.cells:
        if cell == line:
            return at_line, at_col
    return 0, 0


def render(submissions, *, hide_expected: bool = False) -> str:
    out: list[str] = []
    for sub in view(submissions, hide_expected):
        if sub.error is not None:
            out.append(command("error", sub.error, file=sub.file))
            continue
        for n in sub.notices:
            message = n.message + (f" (hint: {n.hint})" if n.hint else "")
            line, col = _stored(sub, n.line, n.col)
            out.append(command("warning", message, file=sub.file, line=line, col=col,
                               title="hwcheck notice"))
        for problem in sub.problems:
            for part in problem.parts:
                if part.status not in FAILING and part.status != "needs_review":
                    continue
                # A missing answer has no line of its own: point at its problem, or line 1.
                line = part.line or problem.line or (0 if sub.cells is not None else 1)
                col = part.col if part.line else 0
                message = _message(part)
                if sub.cells is not None and line:
                    message = f"cell {line}: {message}"
                line, col = _stored(sub, line, col)
                kind = "notice" if part.status == "needs_review" else "error"
                out.append(command(kind, message, file=sub.file,
                                   line=line, col=col, title=f"{problem.id} {part.name}"))
    return "".join(line + "\n" for line in out)

"""``hwcheck.check``'s result on screen: a rich panel in a terminal, HTML in Jupyter, and a
one-line summary for ``repr``. Nothing is graded here; the result is a ``ProblemResult``
holding only the parts that were checked (already withheld when the key is hidden).

Student text reaches HTML only through ``_esc`` (``textsafe.clean``, then
``html.escape``), so an answer such as ``<script>`` shows as typed and runs nothing.
"""

from __future__ import annotations

import html

from hwcheck.report.details import answer_text, details_of, expected_text
from hwcheck.report.numbers import fmt_number
from hwcheck.report.textsafe import clean

# The terminal's colour names (grade_text.STATUS) are CSS names too; these few are darkened
# to stay readable on a notebook's white background.
_CSS = {"red": "#c62828", "magenta": "darkmagenta", "yellow": "#b8860b", "cyan": "darkcyan"}


def panel(problem, key_withheld: bool = False):
    """The terminal report's panel for this problem (a rich renderable)."""
    from hwcheck.report.grade_text import problem_panel

    return problem_panel(problem, key_withheld)


def plain(problem, key_withheld: bool = False) -> str:
    """The panel as plain text, 80 columns wide (``print(result)``)."""
    import io

    from rich.console import Console

    # Not a Jupyter console: in a kernel, that would display an empty output of its own.
    console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False,
                      emoji=False, force_jupyter=False)
    with console.capture() as captured:
        console.print(panel(problem, key_withheld))
    return captured.get()


def summary(problem) -> str:
    """One line: ``<hwcheck p5: 1/2 points; W correct, B wrong (sign-flipped)>``."""
    parts = ", ".join(f"{p.name} {p.status}" + (f" ({p.diagnosis})" if p.diagnosis else "")
                      for p in problem.parts)
    return (f"<hwcheck {problem.id}: {_pts(problem.score)}/{_pts(problem.max_score)} points; "
            f"{clean(parts, limit=300)}>")


def html_table(problem, key_withheld: bool = False) -> str:
    """A self-contained HTML fragment (inline styles: notebooks strip <style> blocks)."""
    cell = 'style="text-align:left;vertical-align:top;padding:2px 8px"'
    heads = ["part", "status", "points", "your answer"] + \
        ([] if key_withheld else ["expected"]) + ["feedback"]
    from hwcheck.report.grade_text import STATUS   # the same words as the terminal report

    rows = ["<tr>" + "".join(f"<th {cell}>{h}</th>" for h in heads) + "</tr>"]
    for part in problem.parts:
        label, style = STATUS.get(part.status, (part.status, "inherit"))
        colour = _CSS.get(style, style)
        answer = answer_text(part)
        cols = [f"<b>{_esc(part.name)}</b>",
                f'<span style="color:{colour};font-weight:bold">{_esc(label)}</span>',
                f"{_pts(part.score)}/{_pts(part.max_score)}",
                "<code>" + _esc(answer, 2000) + "</code>" if answer is not None else "—"]
        if not key_withheld:
            expected = expected_text(part)
            cols.append("<code>" + _esc(expected) + "</code>" if expected else "")
        cols.append("<br>".join(_esc(line, 1000) for line in _feedback(part)))
        rows.append("<tr>" + "".join(f"<td {cell}>{c}</td>" for c in cols) + "</tr>")
    colour = "green" if problem.score >= problem.max_score else "#c62828"
    title = (f"<b>{_esc(problem.id)}: {_esc(problem.title)}</b> "
             f'<span style="color:{colour};font-weight:bold">'
             f"{_pts(problem.score)}/{_pts(problem.max_score)}</span>")
    return (f'<div class="hwcheck-result"><div>{title}</div>'
            f'<table class="hwcheck-parts">{"".join(rows)}</table></div>')


def _feedback(part) -> list[str]:
    lines = [ln for ln in part.feedback.split("\n") if ln.strip()]
    if part.diagnosis:
        lines.append(f"diagnosis: {part.diagnosis}")
    return lines + details_of(part)


def _esc(text, limit: int = 200) -> str:
    return html.escape(clean(text, limit=limit), quote=True)


def _pts(x) -> str:
    return fmt_number(x, 3)

"""``hwcheck grade`` for people: a panel per problem, or a class summary for a batch.

Every string that may echo a student (answers, feedback, details, notices, file names) goes
through ``safe()``: ``textsafe.clean`` for the terminal, then into a ``rich.text.Text``.
A ``Text`` is never parsed for markup or emoji codes, so ``[bold]`` or ``:smile:`` print
as typed; ``rich.markup.escape`` is for markup *strings* and would show its backslashes
here, so it is used only where a string goes through the markup parser (nowhere, today).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hwcheck.report.details import answer_text, details_of, expected_text, view
from hwcheck.report.numbers import fmt_number
from hwcheck.grading.results import FAILING
from hwcheck.spec.load import STATUSES
from hwcheck.report.textsafe import clean

# label, style: the glyph carries the colour on a TTY, the word carries it when piped.
STATUS = {
    "correct": ("✓ correct", "green"),
    "wrong": ("✗ wrong", "red"),
    "invalid": ("✗ invalid", "magenta"),
    "missing": ("✗ missing", "yellow"),
    "needs_review": ("? review", "cyan"),
}
COUNT_WORD = {"needs_review": "review"}

ANSWER_CHARS = 72   # a long answer is cut in the table; the file itself has it whole

# Invisible characters that reorder or hide text on a terminal (Trojan Source); clean()
# leaves them, so they are shown as escapes here.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                        r"\U000e0000-\U000e007f]")


def safe(text, style: str = "", *, limit: int = 200) -> Text:
    s = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", clean(text, limit=limit))
    return Text(s, style=style, overflow="fold")


HANG = 4   # continuation lines of student-supplied text are indented this far


def print_hanging(console, text: Text) -> None:
    """A line that holds student text, wrapped with its continuation lines indented: no
    padding or long name can start a line that looks like the report's own (a "Total"
    line at the margin, another student's row)."""
    width = console.width
    if text.cell_len <= width:
        console.print(text)
        return
    lines = text.wrap(console, width - HANG, overflow="fold")
    for i, line in enumerate(lines):
        console.print(Text(" " * HANG if i else "").append_text(line), no_wrap=True,
                      overflow="fold", crop=False)


def _pts(x) -> str:
    return fmt_number(x, 3)


def _where(file: str, line: int, col: int) -> str:
    return f"{file}:{line}:{col or 1}" if line else file


def notice_line(file: str, notice) -> Text:
    """``FILE:LINE:COL: message (hint: ...)``, the same shape as every hwcheck error."""
    text = f"{_where(file, notice.line, notice.col)}: {notice.message}"
    if notice.hint:
        text += f" (hint: {notice.hint})"
    return safe(text, "yellow", limit=400)


def render(submissions: Sequence, console, *, hide_expected: bool = False,
           file_name_root: str | None = None, analysis=None) -> None:
    """One submission in detail; several as one line each plus a class summary; for a
    regrade (``analysis.changes``), only what changed.

    ``file_name_root`` is stripped from the front of file names, so a batch shows
    ``ada.yaml`` rather than ``/long/path/submissions/ada.yaml``.
    """
    subs = view(submissions, hide_expected)
    if analysis is not None and analysis.changes is not None:
        from hwcheck.report.changes_text import render as render_changes

        render_changes(analysis.changes, len(subs), console, file_name_root)
        return
    if len(subs) == 1:
        _detailed(subs[0], console, _name(subs[0].file, file_name_root))
        return
    for sub in subs:
        _compact(sub, console, _name(sub.file, file_name_root))
    if subs:
        console.print()
        _class_summary(subs, console)


def _name(file: str, root: str | None) -> str:
    if root and file.startswith(root) and len(file) > len(root):
        return file[len(root):].lstrip("/\\") or file
    return file


# ---- one submission ---------------------------------------------------------------

def _detailed(sub, console, name: str) -> None:
    head = Text.assemble(safe(name, "bold"))
    if sub.student is not None:
        head.append("  student ", style="dim").append_text(safe(sub.student, "bold"))
    print_hanging(console, head)
    if sub.error is not None:
        print_hanging(console, Text.assemble(("✗ could not grade: ", "bold red"),
                                             safe(sub.error, limit=400)))
        return
    for notice in sub.notices:
        print_hanging(console, notice_line(name, notice))
    for problem in sub.problems:
        console.print(_panel(problem, sub.key_withheld))
    console.print(_summary(sub))


def _panel(problem, key_withheld: bool) -> Panel:
    title = Text.assemble(safe(problem.id, "bold"), ": ", safe(problem.title),
                          ("  " + f"{_pts(problem.score)}/{_pts(problem.max_score)}",
                           "bold " + _score_style(problem.score, problem.max_score)))
    return Panel(_parts_table(problem.parts, key_withheld), title=title, title_align="left",
                 box=box.ROUNDED, padding=(0, 1))


def problem_panel(problem, key_withheld: bool = False) -> Panel:
    """One problem's panel on its own (``hwcheck.check`` shows it in a terminal)."""
    return _panel(problem, key_withheld)


def _score_style(score, max_score) -> str:
    return "green" if score >= max_score else ("red" if score <= 0 else "yellow")


def _parts_table(parts, key_withheld: bool):
    """The parts table (part, status, points, your answer, expected), then the feedback
    of every part that has some, full width beneath it: 80 columns cannot hold both."""
    # expand + ratios share the 80 columns; fold (not ellipsis) so nothing is hidden.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=True,
                  collapse_padding=True, header_style="bold")
    table.add_column("part", overflow="fold", max_width=22)
    table.add_column("status", no_wrap=True)
    table.add_column("points", no_wrap=True, justify="right")
    table.add_column("your answer", overflow="fold", ratio=3)
    if not key_withheld:
        table.add_column("expected", overflow="fold", ratio=2)
    notes = Table(box=None, show_header=False, expand=True, pad_edge=False,
                  padding=(0, 1, 0, 0))
    notes.add_column("part", no_wrap=True, style="bold")
    notes.add_column("feedback", overflow="fold", ratio=1)
    for part in parts:
        label, style = STATUS.get(part.status, (part.status, ""))
        shown = answer_text(part)
        answer = safe(shown, limit=ANSWER_CHARS) if shown is not None \
            else Text("—", style="dim")
        row = [safe(part.name, "bold"), Text(label, style=style),
               Text(f"{_pts(part.score)}/{_pts(part.max_score)}"), answer]
        if not key_withheld:
            expected = expected_text(part)
            row.append(safe(expected) if expected is not None else Text(""))
        table.add_row(*row)
        feedback = _feedback(part)
        if feedback.plain.strip():
            notes.add_row(safe(part.name, "bold"), feedback)
    return Group(table, Text(""), notes) if notes.row_count else table


def _feedback(part) -> Text:
    lines = [safe(ln) for ln in part.feedback.split("\n") if ln.strip()]
    if part.diagnosis:
        lines.append(safe(f"diagnosis: {part.diagnosis}", "italic"))
    if (part.status == "needs_review" and part.suggested is not None
            and "suggested" not in part.feedback.lower()):
        lines.append(Text(f"suggested {_pts(part.suggested)} of {_pts(part.max_score)} points",
                          style="cyan"))
    lines += [safe(d, "dim") for d in details_of(part)]
    return Text("\n").join(lines)


def _counts(subs_or_parts) -> Counter:
    return Counter(p.status for p in subs_or_parts)


def _summary(sub) -> Text:
    parts = [p for pr in sub.problems for p in pr.parts]
    counts = _counts(parts)
    text = Text("Total ", style="bold")
    text.append(f"{_pts(sub.score)}/{_pts(sub.max_score)}",
                style="bold " + ("red" if sub.failing else "green"))
    for status in STATUSES:
        if counts[status]:
            text.append(" · ").append(f"{counts[status]} {COUNT_WORD.get(status, status)}",
                                      style=STATUS[status][1])
    seeds = {pr.id: pr.seed for pr in sub.problems if pr.seed is not None}
    if len(set(seeds.values())) == 1:
        text.append(f" · seed {next(iter(seeds.values()))}", style="dim")
    elif seeds:
        text.append(" · seeds " + ", ".join(f"{k}={v}" for k, v in seeds.items()), style="dim")
    return text


# ---- a batch ------------------------------------------------------------------------

def _failing_parts(sub) -> list[str]:
    return [f"{pr.id} {p.name}" for pr in sub.problems for p in pr.parts
            if p.status in FAILING]


def _compact(sub, console, name: str) -> None:
    if sub.error is not None:
        line = Text.assemble(("✗ ", "bold red"), safe(name, "bold"))
        if sub.student is not None:
            line.append(" (").append_text(safe(sub.student)).append(")")
        line.append("  error: ", style="bold red").append_text(safe(sub.error, limit=400))
        print_hanging(console, line)
        return
    failing = _failing_parts(sub)
    mark = ("✗ ", "bold red") if sub.failing else ("✓ ", "bold green")
    line = Text.assemble(mark, safe(name, "bold"))
    if sub.student is not None:
        line.append(" (").append_text(safe(sub.student)).append(")")
    line.append(f"  {_pts(sub.score)}/{_pts(sub.max_score)}", style="bold")
    if failing:
        line.append("  failing: ", style="red").append_text(safe(", ".join(failing), limit=400))
    reviews = sum(p.status == "needs_review" for pr in sub.problems for p in pr.parts)
    if reviews:
        line.append(f"  ({reviews} to review)", style="cyan")
    print_hanging(console, line)
    for notice in sub.notices:
        print_hanging(console, Text("  ").append_text(notice_line(name, notice)))


def _class_summary(subs, console) -> None:
    graded = [s for s in subs if s.error is None]
    scores: dict[str, list[float]] = {}
    meta: dict[str, tuple[str, float]] = {}
    for sub in graded:
        for pr in sub.problems:
            scores.setdefault(pr.id, []).append(pr.score)
            meta.setdefault(pr.id, (pr.title, pr.max_score))
    # Sized to content (not expanded) so piped output has no trailing padding.
    table = Table(box=box.SIMPLE, title="CLASS SUMMARY", title_justify="left",
                  title_style="bold", show_edge=False, header_style="bold", footer_style="bold",
                  show_footer=bool(graded))
    mean_total = sum(s.score for s in graded) / len(graded) if graded else 0.0
    max_total = max((s.max_score for s in graded), default=0.0)
    table.add_column("problem", overflow="fold", footer="total")
    table.add_column("mean", justify="right", no_wrap=True, footer=_pts(mean_total))
    table.add_column("of", justify="right", no_wrap=True, footer=_pts(max_total))
    table.add_column("graded", justify="right", no_wrap=True, footer=str(len(graded)))
    for pid, values in scores.items():
        title, max_score = meta[pid]
        table.add_row(Text.assemble(safe(pid, "bold"), " ", safe(title, "dim")),
                      _pts(sum(values) / len(values)), _pts(max_score), str(len(values)))
    console.print(table)
    errors = len(subs) - len(graded)
    tally = f"{len(subs)} submissions: {len(graded)} graded, {errors} error" + \
        ("" if errors == 1 else "s")
    passing = sum(not s.failing for s in graded)
    console.print(Text(tally + f", {passing} with nothing failing", style="bold"))
    from hwcheck.report import class_text   # it imports this module: imported late
    class_text.histograms(graded, console)
    class_text.diagnoses(graded, console)

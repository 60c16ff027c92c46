"""``hwcheck grade --against`` in a terminal: only what changed, and why."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from hwcheck.report.grade_text import STATUS, _name, _pts, safe


def render(changes, graded: int, console, root: str | None = None) -> None:
    students = len({c.file for c in changes})
    console.print(Text(f"Regrade: {len(changes)} change{'' if len(changes) == 1 else 's'} "
                       f"in {students} of {graded} submissions", style="bold"))
    if not changes:
        return
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", show_edge=False)
    table.add_column("file", overflow="fold", max_width=20)
    table.add_column("part", overflow="fold", max_width=14)
    table.add_column("status", overflow="fold")
    table.add_column("score", no_wrap=True, justify="right")
    table.add_column("why", overflow="fold", ratio=1)
    for c in changes:
        status = Text.assemble(_status(c.old_status), " → ", _status(c.new_status))
        if c.old_diagnosis != c.new_diagnosis:
            status.append("\n").append_text(safe(f"{c.old_diagnosis or 'no diagnosis'} → "
                                                  f"{c.new_diagnosis or 'none'}", "dim italic"))
        score = f"{_opt(c.old_score)} → {_opt(c.new_score)}"
        table.add_row(safe(_name(c.file, root)), safe(f"{c.problem} {c.part}".strip() or "file"),
                      status, score, safe("; ".join(c.why)))
    console.print(table)


def _status(status) -> Text:
    if status is None:
        return Text("—", style="dim")
    label, style = STATUS.get(status, (status, ""))
    return Text(label, style=style)


def _opt(x) -> str:
    return "—" if x is None else _pts(x)

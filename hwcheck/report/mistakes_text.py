"""``hwcheck mistakes``: the mined clusters of unexplained wrong answers, for a terminal.

Each cluster: where (problem, part), how many students, one example, how it differs from
the key, and the ``mistakes:`` entry to paste into the spec, printed as plain text (never
parsed as markup) so that it copies as written.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.table import Table
from rich.text import Text

from hwcheck.report.grade_text import safe


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def render(clusters, graded: int, console) -> None:
    if not clusters:
        console.print(Text(f"No group of two or more students shares an unexplained wrong "
                           f"answer ({_count(graded, 'submission')}).", style="bold"))
        return
    console.print(Text(f"{_count(len(clusters), 'group')} of unexplained wrong answers in "
                       f"{_count(graded, 'submission')}", style="bold"))
    for c in clusters:
        console.print()
        head = Text.assemble(safe(f"{c.problem} {c.part}", "bold"),
                             (f"  {c.size} students", "bold red"))
        console.print(head)
        shown = ", ".join(c.students[:8]) + (", …" if c.size > 8 else "")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        grid.add_row("  example", safe(c.example, limit=300))
        grid.add_row("  differs", safe(c.differs, limit=300))
        grid.add_row("  students", safe(shown, "dim", limit=300))
        console.print(grid)
        where = f"{_short(c.spec_file)}, " if c.spec_file else ""
        console.print(Text(f"  paste under {where}parts → {c.part} → mistakes:", style="dim"))
        for line in c.entry.rstrip("\n").split("\n"):
            console.print(safe("    " + line, "cyan", limit=2000), soft_wrap=True)


def _short(path: str) -> str:
    """The spec's path from the current folder when it is under it (it usually is)."""
    try:
        return str(Path(path).resolve().relative_to(Path(os.getcwd()).resolve()))
    except (ValueError, OSError):
        return path

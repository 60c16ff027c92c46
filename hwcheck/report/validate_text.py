"""``hwcheck validate``: one line per check, failures first, then a count."""

from __future__ import annotations

from rich.text import Text

from hwcheck.report.details import detail_text
from hwcheck.report.textsafe import clean


def render(checks, console) -> None:
    for c in sorted(checks, key=lambda c: c.ok):
        where = f"{c.file}:{c.line}:{c.col or 1}" if c.line else c.file
        mark = Text("ok  ", style="green") if c.ok else Text("FAIL", style="bold red")
        # soft_wrap: a `FILE:LINE:COL: message` line stays one line, whatever the width.
        message = " ".join([c.message, *map(detail_text, c.details)])
        console.print(mark, Text(clean(f"{where}: {message}", limit=400)), soft_wrap=True)
    bad = sum(not c.ok for c in checks)
    style = "bold red" if bad else "bold green"
    console.print(Text(f"{len(checks)} checks: {len(checks) - bad} ok, {bad} failing", style=style))

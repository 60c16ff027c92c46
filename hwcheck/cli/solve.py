"""``hwcheck solve``'s body, typer-free: the typer command (``cli.commands``) and the fast
path of a plain ``hwcheck solve ID`` (``cli.fast``) both call ``solve``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

from hwcheck.cli.failure import choice


def solve(targets: Sequence[str], fmt: str = "text", student: Optional[str] = None,
          problems: Optional[Path] = None) -> int:
    """Solve each problem id or spec file and render the worked keys; the exit code."""
    from hwcheck.spec.catalog import resolve
    from hwcheck.kinds import solve_spec

    choice(fmt, ("text", "json"), "--format")
    solved = [solve_spec(resolve(t, problems), student=student) for t in targets]
    if fmt == "json":
        from hwcheck.report import solve_json

        solve_json.render(solved, sys.stdout)
    else:
        from hwcheck.report import console, solve_text

        solve_text.render(solved, console.stdout())
    return 0

"""The student's loop without typer: a plain ``hwcheck grade FILE...`` or
``hwcheck solve ID...`` (command and positional targets only) is run by calling the
command's typer-free body with its defaults. Importing typer and building the app cost
about 20 ms, a tenth of a one-file grade. Anything else (an option, ``--help``, no target,
an unknown command) goes to typer, which parses and reports usage errors as before."""

from __future__ import annotations

from typing import Callable, Optional, Sequence


def route(argv: Sequence[str]) -> Optional[Callable[[], int]]:
    """The command that ``argv`` (without the program name) runs, if typer is not needed."""
    if len(argv) < 2 or any(arg.startswith("-") or not arg for arg in argv[1:]):
        return None
    targets = list(argv[1:])
    if argv[0] == "grade":
        from hwcheck.cli.grade import grade

        return lambda: grade(targets)
    if argv[0] == "solve":
        from hwcheck.cli.solve import solve

        return lambda: solve(targets)
    return None

"""The command line: parse options, call one core function, render. Nothing else.

Every HwcheckError is rendered here, in ``_fail``, and nowhere else.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from hwcheck import __version__
from hwcheck.errors import HwcheckError

app = typer.Typer(
    name="hwcheck",
    help="Check deep-learning homework: answer keys from network specs, and graded "
         "numbers, matrices and index-notation formulas.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PROBLEMS_OPT = typer.Option(None, "--problems", metavar="DIR",
                            help="Folder of problem specs (default: ./problems, else the "
                                 "copy shipped with hwcheck).")


def _fail(exc: HwcheckError) -> None:
    """The one place an error becomes output: one line on stderr, exit 2 (or its code)."""
    from hwcheck.textsafe import clean

    sys.stderr.write(clean(exc.render(), limit=2000) + "\n")
    raise typer.Exit(exc.exit_code)


def command(fn):
    """Register a command whose HwcheckErrors are rendered by ``_fail``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HwcheckError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            raise typer.Exit(130)
        except RecursionError:
            _fail(HwcheckError("input is nested too deeply to process"))
        except Exception as exc:  # a bug in hwcheck, not in the user's input
            if os.environ.get("HWCHECK_DEBUG"):
                raise
            _fail(HwcheckError(f"internal error: {type(exc).__name__}: {exc}",
                               hint="rerun with HWCHECK_DEBUG=1 and report the traceback"))

    return app.command()(wrapper)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version,
                                       is_eager=True, help="Show the version and exit.")):
    """Check deep-learning homework."""


@command
def list(problems: Optional[Path] = PROBLEMS_OPT):  # noqa: A001 - the command is `list`
    """Show every problem: id, title, kind, points and parts.

    Examples:

      hwcheck list

      hwcheck list --problems course/hw3
    """
    from hwcheck.catalog import load_catalog
    from hwcheck.report import console, listing

    listing.render(load_catalog(problems), console.stdout())


@command
def solve(
    targets: List[str] = typer.Argument(..., metavar="ID|FILE...",
                                        help="Problem ids (p5) or spec files."),
    fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    student: Optional[str] = typer.Option(None, "--student",
                                          help="Solve this student's own variant."),
    problems: Optional[Path] = PROBLEMS_OPT,
):
    """Show the worked answer key: given values, each intermediate step, then the parts.

    Examples:

      hwcheck solve p5

      hwcheck solve p1 --format json

      hwcheck solve my-problem.yaml --student ada
    """
    from hwcheck.catalog import resolve
    from hwcheck.keys import solve_spec
    from hwcheck.report import console, solve_json, solve_text

    _choice(fmt, ("text", "json"), "--format")
    solved = [solve_spec(resolve(t, problems), student=student) for t in targets]
    if fmt == "json":
        solve_json.render(solved, sys.stdout)
    else:
        solve_text.render(solved, console.stdout())


def _choice(value: str, allowed: tuple, option: str) -> None:
    if value not in allowed:
        raise HwcheckError(f"{option} {value!r} is not one of: {', '.join(allowed)}",
                           hint=f"for example {option} {allowed[0]}")


def main() -> None:
    app()

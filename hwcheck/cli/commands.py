"""The typer app: every command's options, help and examples. Each command parses, calls
one core function and renders; ``grade`` and ``solve`` call their typer-free bodies
(``cli.grade``, ``cli.solve``), which the fast path (``cli.fast``) calls too."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import List, Optional

import typer

from hwcheck import __version__
from hwcheck.cli import grade as grading, solve as solving
from hwcheck.cli.failure import choice, guarded
from hwcheck.report import FORMATS   # the table only: no renderer is imported with it

app = typer.Typer(
    name="hwcheck",
    help="Check deep-learning homework: answer keys from network specs, and graded "
         "numbers, matrices and index-notation formulas.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PROBLEMS_OPT = typer.Option(None, "--problems", metavar="DIR|FILE",
                            help="Folder of problem specs, or one spec file to use alone "
                                 "(default: ./problems, else the copy shipped with hwcheck).")


def command(fn=None, *, name: str | None = None):
    """Register a command: its body returns an exit code, and whatever it raises ends as
    ``failure.guarded`` says (a HwcheckError as one line on stderr)."""
    if fn is None:
        return lambda f: command(f, name=name)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        passing = (typer.Exit, typer.Abort, typer.TyperException)   # typer's own flow
        raise typer.Exit(guarded(fn, *args, passing=passing, **kwargs))

    return app.command(name)(wrapper)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version,
                                       is_eager=True, help="Show the version and exit.")):
    """Check deep-learning homework."""


@command(name="list")
def list_problems(problems: Optional[Path] = PROBLEMS_OPT):
    """Show every problem: id, title, kind, points and parts.

    Examples:

      hwcheck list

      hwcheck list --problems course/hw3
    """
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.report import console, listing

    listing.render(load_catalog(problems, solve=True), console.stdout())


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
    return solving.solve(targets, fmt=fmt, student=student, problems=problems)


@command
def grade(
    targets: List[str] = typer.Argument(..., metavar="ANSWERS|DIR...",
                                        help="Answers files (.yaml, or .ipynb, .tex, "
                                             ".md documents), or folders of them."),
    problems: Optional[Path] = PROBLEMS_OPT,
    fmt: str = typer.Option("text", "--format", "-f",
                            help=", ".join(FORMATS) + "."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE",
                                          help="Write the report here (atomically) "
                                               "instead of stdout."),
    min_score: Optional[float] = typer.Option(None, "--min-score", metavar="S",
                                              help="Exit 0 when every score is at least S."),
    hide_expected: bool = typer.Option(False, "--hide-expected",
                                       help="Give feedback without revealing the key."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Worker processes for folders (default: 2)."),
    against: Optional[Path] = typer.Option(None, "--against", metavar="PREVIOUS.json",
                                           help="Regrade: show what changed since this "
                                                "earlier --format json report, and why."),
    changed_only: bool = typer.Option(False, "--changed-only",
                                      help="With --against: only the submissions that "
                                           "changed (for a gradebook upload)."),
    only: Optional[str] = typer.Option(None, "--only", metavar="ID",
                                       help="Grade only this problem's parts."),
    student: Optional[str] = typer.Option(None, "--student", metavar="ID",
                                          help="The grader's identity for the student "
                                               "(keys per-student variants)."),
    student_from: Optional[str] = typer.Option(None, "--student-from", metavar="SOURCE",
                                               help="Identity from gradescope (its "
                                                    "metadata), github (GITHUB_ACTOR) or "
                                                    "folder (the class folder's layout)."),
):
    """Grade answers files against the answer keys, and explain each mistake.

    Exit status: 0 when no part is wrong, missing or invalid; 1 when some part is;
    2 when nothing could be graded (bad usage, an unreadable file).

    Examples:

      hwcheck grade examples/seed-answers.yaml

      hwcheck grade submissions/ --format junit --output report.xml

      hwcheck grade answers.yaml --format github --min-score 30

      hwcheck grade hw.ipynb

      hwcheck grade submissions/ --format html --output class.html

      hwcheck grade submissions/ --against previous.json --changed-only -f csv

      hwcheck grade answers.yaml --problems hw3/p2.yaml --only p2
    """
    return grading.grade(targets, problems=problems, fmt=fmt, output=output,
                         min_score=min_score, hide_expected=hide_expected, jobs=jobs,
                         against=against, changed_only=changed_only, only=only,
                         student=student, student_from=student_from)


@command
def template(
    ids: List[str] = typer.Argument(None, metavar="[ID...]",
                                    help="Problem ids (default: every problem)."),
    problems: Optional[Path] = PROBLEMS_OPT,
    fmt: str = typer.Option("yaml", "--format", "-f",
                            help="yaml, ipynb (a notebook), tex (LaTeX) or md (Markdown)."),
):
    """Print an answers skeleton, with a comment per part giving its shape or kind.

    Examples:

      hwcheck template > answers.yaml

      hwcheck template p1 p5

      hwcheck template p1 p5 --format ipynb > hw.ipynb
    """
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.report.template import TEMPLATES, render_template

    choice(fmt, tuple(TEMPLATES), "--format")
    catalog = load_catalog(problems)
    specs = [catalog.get(i) for i in ids] if ids else list(catalog.specs.values())
    sys.stdout.write(render_template(fmt, specs) + "\n")


@command
def validate(
    paths: List[Path] = typer.Argument(None, metavar="[PATH...]",
                                       help="Specs, answers files or folders "
                                            "(default: the problems folder)."),
    problems: Optional[Path] = PROBLEMS_OPT,
):
    """Check specs and answers files: references match the solver, self-tests pass.

    Exit status: 0 when every check passes, 2 otherwise.

    Examples:

      hwcheck validate

      hwcheck validate problems/p1.yaml examples/seed-answers.yaml
    """
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.report import console, validate_text
    from hwcheck.grading.validate import validate as run

    catalog = load_catalog(problems)
    checks = run(paths or [catalog.folder], catalog.specs)
    validate_text.render(checks, console.stdout())
    return 0 if all(c.ok for c in checks) else 2


@command
def schema(
    which: str = typer.Argument(..., metavar="problem|answers",
                                help="Which file format to describe."),
    problems: Optional[Path] = PROBLEMS_OPT,
):
    """Print the JSON Schema (draft 2020-12) of problem specs or answers files.

    Point an editor at it with a first line such as
    `# yaml-language-server: $schema=answers.schema.json`.

    Examples:

      hwcheck schema problem > problem.schema.json

      hwcheck schema answers > answers.schema.json
    """
    import json

    from hwcheck.spec import jsonschema as schemas

    choice(which, ("problem", "answers"), "schema")
    if which == "problem":
        doc = schemas.problem_schema()
    else:
        from hwcheck.spec.catalog import load_catalog

        doc = schemas.answers_schema(load_catalog(problems).specs)
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


@command
def mistakes(
    targets: List[str] = typer.Argument(..., metavar="ANSWERS|DIR...",
                                        help="Answers files, or folders of them."),
    problem: Optional[str] = typer.Option(None, "--problem", "-p", metavar="ID",
                                          help="Only this problem (default: every one)."),
    min_size: int = typer.Option(2, "--min-size", min=2, metavar="N",
                                 help="Smallest group of students shown."),
    problems: Optional[Path] = PROBLEMS_OPT,
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Worker processes (default: 2)."),
):
    """Mine the class's unexplained wrong answers, with `mistakes:` entries to paste.

    Groups of students who gave the same wrong value, how each differs from the key, and a
    ready-to-paste `mistakes:` entry for the spec.

    Examples:

      hwcheck mistakes submissions/ --problem p5
    """
    from hwcheck.grading.grader import Grader
    from hwcheck.grading.mining import mine
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.report import console, mistakes_text
    from hwcheck.grading import batch

    catalog = load_catalog(problems)
    if problem is not None:
        catalog.get(problem)   # an unknown id is refused with "did you mean"
    grader = Grader(catalog.specs, fingerprints=False)
    submissions = grading.grade_batch(grader, batch.collect(targets), jobs)
    mistakes_text.render(mine(grader, submissions, problem, min_size), len(submissions),
                         console.stdout())

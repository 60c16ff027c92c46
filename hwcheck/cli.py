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


def _fail(exc: HwcheckError) -> None:
    """The one place an error becomes output: one line on stderr, exit 2 (or its code)."""
    from hwcheck.report.textsafe import clean

    sys.stderr.write(clean(exc.render(), limit=2000) + "\n")
    raise typer.Exit(exc.exit_code)


def command(fn=None, *, name: str | None = None):
    """Register a command whose HwcheckErrors are rendered by ``_fail``."""
    if fn is None:
        return lambda f: command(f, name=name)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HwcheckError as exc:
            _fail(exc)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own control flow
            raise
        except KeyboardInterrupt as exc:   # Ctrl-C, or SIGTERM (see _stop_on_signals)
            raise typer.Exit(_interrupted(exc))
        except RecursionError:
            _fail(HwcheckError("input is nested too deeply to process"))
        except Exception as exc:  # a bug in hwcheck, not in the user's input
            if os.environ.get("HWCHECK_DEBUG"):
                raise
            _fail(HwcheckError(f"internal error: {type(exc).__name__}: {exc}",
                               hint="rerun with HWCHECK_DEBUG=1 and report the traceback"))

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
    from hwcheck.spec.catalog import resolve
    from hwcheck.kinds import solve_spec

    _choice(fmt, ("text", "json"), "--format")
    solved = [solve_spec(resolve(t, problems), student=student) for t in targets]
    if fmt == "json":
        from hwcheck.report import solve_json

        solve_json.render(solved, sys.stdout)
    else:
        from hwcheck.report import console, solve_text

        solve_text.render(solved, console.stdout())


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
    from hwcheck.grading import batch
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.grading.grader import Grader
    from hwcheck.grading.results import exit_code
    from hwcheck.grading import identity

    _choice(fmt, tuple(FORMATS), "--format")
    if changed_only and against is None:
        raise HwcheckError("--changed-only needs --against PREVIOUS.json",
                           hint="hwcheck grade DIR --against previous.json --changed-only")
    previous = None
    if against is not None:   # read first: a bad report should not cost a class's grading
        from hwcheck.grading.regrade import read_previous

        previous = read_previous(against)
    files = batch.collect(targets)
    root = str(targets[0]) if len(targets) == 1 and Path(targets[0]).is_dir() else None
    who = identity.resolve(student, student_from, files, root)
    if FORMATS[fmt].single and len(files) > 1:
        raise HwcheckError(f"--format {fmt} grades one submission; got {len(files)} files",
                           hint="run once per submission, or use --format json or csv")
    catalog = load_catalog(problems)
    if only is not None:
        catalog.get(only)  # an unknown id is refused with every known one
    grader = Grader(catalog.specs, only=only)
    # (a target refused by the walk, such as a folder named answers.yaml, is its own entry)
    if len(files) == 1 and getattr(files[0], "path", files[0]) == Path(targets[0]):
        # One file is graded in this process under a worker's limits (grading.guard); if
        # it cannot be graded at all, that is exit 2 with its one-line error. A machine
        # format still gets its report (Gradescope shows the student the error row
        # instead of "autograder failed").
        from hwcheck.grading.guard import grade_alone

        submissions = [grade_alone(grader, files[0], batch.Limits(), identity=who[0])]
        if submissions[0].error is not None:
            if fmt != "text":
                _emit(submissions, fmt, output, hide_expected, None)
            raise HwcheckError(submissions[0].error)
    else:
        submissions = _grade_batch(grader, files, jobs, who)
    analysis = _analysis(grader, submissions, fmt, previous, hide_expected)
    shown = submissions
    if changed_only:
        changed = {c.file for c in analysis.changes if c.graded}
        shown = [s for s in submissions if s.file in changed]
    _emit(shown, fmt, output, hide_expected, root, analysis)
    # The exit code is the class's, whatever --changed-only shows (none changed is fine).
    if all(s.error is not None for s in submissions):
        raise typer.Exit(2)
    raise typer.Exit(exit_code(submissions, min_score))


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

    _choice(fmt, tuple(TEMPLATES), "--format")
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
    raise typer.Exit(0 if all(c.ok for c in checks) else 2)


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

    _choice(which, ("problem", "answers"), "schema")
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
    grader = Grader(catalog.specs)
    submissions = _grade_batch(grader, batch.collect(targets), jobs)
    mistakes_text.render(mine(grader, submissions, problem, min_size), len(submissions),
                         console.stdout())


def _grade_batch(grader, files, jobs, who=None):
    from hwcheck.grading import batch
    from hwcheck.report import console

    err = console.stderr()
    if not err.is_terminal:
        return batch.grade_many(grader, files, jobs=jobs, identities=who)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task("grading", total=len(files))
        return batch.grade_many(grader, files, jobs=jobs, identities=who,
                                on_done=lambda _: progress.advance(task))


def _analysis(grader, submissions, fmt: str, previous, hide_expected: bool):
    """Mined clusters for a class report, and the changes for a regrade."""
    from hwcheck.grading.results import ClassAnalysis

    clusters = ()
    if FORMATS[fmt].analysis and fmt != "text" and len(submissions) > 1 and not hide_expected:
        from hwcheck.grading.mining import mine

        clusters = mine(grader, submissions)
    changes = None
    if previous is not None:
        from hwcheck.grading.regrade import changes as diff

        changes = diff(previous, submissions)
    return ClassAnalysis(clusters, changes)


def _emit(submissions, fmt: str, output, hide_expected: bool, root: str | None,
          analysis=None) -> None:
    from hwcheck import report
    from hwcheck.report import output as out

    console = None
    if fmt == "text" and output is None:
        from hwcheck.report import console as consoles

        console = consoles.stdout()   # colour and width of the terminal, if it is one
    text = report.render(fmt, submissions, hide_expected=hide_expected, file_name_root=root,
                         console=console, analysis=analysis)
    if output is None:
        if not _utf8(sys.stdout):
            from hwcheck.report.textsafe import to_ascii

            text = to_ascii(text, fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.write_atomic(output, text)


def _choice(value: str, allowed: tuple, option: str) -> None:
    if value not in allowed:
        raise HwcheckError(f"{option} {value!r} is not one of: {', '.join(allowed)}",
                           hint=f"for example {option} {allowed[0]}")


# ---- integrity: signals and streams (issue 14) ----------------------------------------------

class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that the same clean-up runs."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _interrupted(exc: BaseException) -> int:
    """One line, and the shell's code for the signal: 130 (SIGINT) or 143 (SIGTERM)."""
    import signal as signals

    # A second signal must not interrupt the line or the exit with a traceback.
    signals.signal(signals.SIGINT, signals.SIG_IGN)
    signals.signal(signals.SIGTERM, signals.SIG_IGN)
    term = isinstance(exc, Terminated)
    sys.stderr.write("terminated\n" if term else "interrupted\n")
    return 143 if term else 130


def _plain_streams() -> None:
    """A stream that is not UTF-8 (LANG=C, PYTHONIOENCODING=latin-1) gets ASCII with
    backslash escapes: no crash on a character it cannot hold, and no raw byte of another
    encoding (``_emit`` escapes machine formats in their own syntax first)."""
    for stream in (sys.stdout, sys.stderr):
        if not _utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="ascii", errors="backslashreplace")


def _utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace(
        "_", "") == "utf8"


def main() -> None:
    """Entry point. Usage errors become one line on stderr too, like every other error."""
    import signal as signals

    try:
        signals.signal(signals.SIGTERM, _on_sigterm)
    except ValueError:   # not the main thread (an embedding): its own handlers stand
        pass
    _plain_streams()
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt as exc:   # before or after a command's own handler
        code = _interrupted(exc)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        code = 1
    except typer.TyperException as exc:  # click's usage errors, raised by typer's parser
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":    # typer has printed the help
            sys.exit(0)
        path = ctx.command_path if ctx is not None else "hwcheck"
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        error = HwcheckError(f"{path}: {' '.join(message.split())}", hint=f"{path} --help")
        try:
            _fail(error)
        except typer.Exit as done:
            code = done.exit_code
    sys.exit(code if isinstance(code, int) else 0)


def run() -> None:
    """The program (the console script and ``python -m hwcheck``): ``main``, then an exit
    that skips tearing the interpreter down. By then every report is written (``--output``
    atomically) and any worker pool joined; freeing numpy's, rich's and typer's modules
    one by one would only add ~25 ms to a student's one-file grade. Tests call ``main``.
    No cyclic garbage collection for a one-shot command (see ``hwcheck/__main__.py``)."""
    import gc

    gc.disable()
    # Homework-sized matrices gain nothing from OpenBLAS's thread pool, whose threads spin
    # on the other core (~100 ms of CPU per command, as much as the grading). Set before
    # numpy loads (the CLI imports it lazily); a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if not isinstance(code, int):        # as the interpreter treats sys.exit(None | "text")
        if code is not None:
            sys.stderr.write(f"{code}\n")
        code = 0 if code is None else 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):        # the reader of a pipe left: nothing more to say
        pass
    os._exit(code)

"""``hwcheck grade``'s body, typer-free: the typer command (``cli.commands``) and the fast
path of a plain ``hwcheck grade FILE`` (``cli.fast``) both call ``grade``, so its defaults
are the command's (a test compares them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

from hwcheck.cli.failure import choice, uninterrupted
from hwcheck.cli.streams import utf8
from hwcheck.errors import HwcheckError
from hwcheck.report import FORMATS   # the table only: no renderer is imported with it


def grade(targets: Sequence[str], problems: Optional[Path] = None, fmt: str = "text",
          output: Optional[Path] = None, min_score: Optional[float] = None,
          hide_expected: bool = False, jobs: Optional[int] = None,
          against: Optional[Path] = None, changed_only: bool = False,
          only: Optional[str] = None, student: Optional[str] = None,
          student_from: Optional[str] = None) -> int:
    """Grade ``targets`` and write the report; the exit code (see the command's help)."""
    from hwcheck.grading import batch
    from hwcheck.spec.catalog import load_catalog
    from hwcheck.grading.grader import Grader
    from hwcheck.grading.results import exit_code
    from hwcheck.grading import identity

    choice(fmt, tuple(FORMATS), "--format")
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
    def make_grader():
        catalog = load_catalog(problems)
        if only is not None:
            catalog.get(only)  # an unknown id is refused with every known one
        # Only a JSON report keeps the fingerprints a regrade compares; --against does too.
        return Grader(catalog.specs, only=only,
                      fingerprints=fmt == "json" or against is not None)

    grader = None
    # (a target refused by the walk, such as a folder named answers.yaml, is its own entry)
    if len(files) == 1 and getattr(files[0], "path", files[0]) == Path(targets[0]):
        # One file is graded under a worker's limits (grading.guard); if it cannot be
        # graded at all, that is exit 2 with its one-line error. A machine format still
        # gets its report (Gradescope shows the student the error row instead of
        # "autograder failed").
        submissions = [_grade_alone(make_grader, files[0], who[0], fmt)]
        if submissions[0].error is not None:
            if fmt != "text":
                emit(submissions, fmt, output, hide_expected, None)
            raise HwcheckError(submissions[0].error)
    else:
        grader = make_grader()
        submissions = grade_batch(grader, files, jobs, who)
    analysis = _analysis(grader, submissions, fmt, previous, hide_expected)
    shown = submissions
    if changed_only:
        changed = {c.file for c in analysis.changes if c.graded}
        shown = [s for s in submissions if s.file in changed]
    emit(shown, fmt, output, hide_expected, root, analysis)
    # The exit code is the class's, whatever --changed-only shows (none changed is fine).
    if all(s.error is not None for s in submissions):
        return 2
    return exit_code(submissions, min_score)


def _grade_alone(make_grader, path, who, fmt: str):
    """One file under a worker's limits (``grading.guard``), the specs read and the keys
    solved by ``make_grader()``'s Grader. The command line does all of it in a forked
    child while it loads the report's renderer (``cli.overlap``); a library caller of
    ``main`` (the tests) does it in its own process."""
    from hwcheck.cli import failure
    from hwcheck.grading import batch, walk
    from hwcheck.grading.guard import grade_alone

    limits = batch.Limits()

    def work():
        return grade_alone(make_grader(), path, limits, identity=who)

    if not failure.one_shot:
        return work()
    from hwcheck.cli.overlap import overlapped

    def killed(number: int):   # the kernel's own limits (grade_alone sets RLIMIT_CPU)
        import signal

        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        why = {"SIGXCPU": "exceeded the CPU-time limit",
               "SIGKILL": "was killed (out of memory, or past its CPU-time limit)"}
        return batch._error(path, f"{walk.display(path)}: "
                                  f"{why.get(name, f'was stopped by {name}')}")

    return overlapped(work, lambda: _renderer(fmt), killed)


def _renderer(fmt: str) -> None:
    """Load what ``emit`` will draw the report with."""
    import importlib

    importlib.import_module(f"hwcheck.report.{FORMATS[fmt].module}")
    if fmt == "text":
        importlib.import_module("hwcheck.report.console")   # rich's console


def grade_batch(grader, files, jobs, who=None):
    """Grade a class in worker processes, with a progress bar when stderr is a terminal."""
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


def emit(submissions, fmt: str, output, hide_expected: bool, root: str | None,
         analysis=None) -> None:
    from hwcheck import report

    console = None
    if fmt == "text" and output is None:
        from hwcheck.report import console as consoles

        console = consoles.stdout()   # colour and width of the terminal, if it is one
    text = report.render(fmt, submissions, hide_expected=hide_expected, file_name_root=root,
                         console=console, analysis=analysis)
    if output is None:
        if not utf8(sys.stdout):
            from hwcheck.report.textsafe import to_ascii

            text = to_ascii(text, fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        from hwcheck.report import output as out   # tempfile and shutil: ~3 ms

        out.write_atomic(output, text, committing=uninterrupted)


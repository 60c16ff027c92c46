"""The command line: parse options, call one core function, render. Nothing else.

``main`` runs a command; every HwcheckError is rendered in ``failure.report`` and nowhere
else. The typer app (options, help, examples) is ``cli.commands``; a plain
``hwcheck grade FILE`` or ``hwcheck solve ID`` skips it (``cli.fast``). This module imports
neither typer nor numpy: ``python -m hwcheck`` starts here.
"""

from __future__ import annotations

import os
import sys

from hwcheck.cli import failure
from hwcheck.cli.failure import guarded, interrupted, on_sigterm, report
from hwcheck.cli.streams import plain_streams


def __getattr__(name: str):
    if name == "app":   # the typer app, for typer's CliRunner and the docs tests
        from hwcheck.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point. Usage errors become one line on stderr too, like every other error."""
    import signal as signals

    try:
        signals.signal(signals.SIGTERM, on_sigterm)
    except ValueError:   # not the main thread (an embedding): its own handlers stand
        pass
    if sys.stdout is None:   # started with its output closed (`>&-`): say so, as ls does
        from hwcheck.errors import HwcheckError

        sys.exit(report(HwcheckError("standard output is closed",
                                     hint="redirect it instead, e.g. > /dev/null"))
                 if sys.stderr is not None else 2)
    plain_streams()
    try:
        from hwcheck.cli.fast import route

        command = route(sys.argv[1:])
        code = guarded(command) if command is not None else _typer_main()
    except KeyboardInterrupt as exc:   # before or after a command's own handler
        code = interrupted(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _typer_main():
    """Typer parses and runs the command; its usage errors are reported as ours."""
    import typer

    from hwcheck.cli.commands import app
    from hwcheck.errors import HwcheckError

    try:
        return app(standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 1
    except typer.TyperException as exc:  # click's usage errors, raised by typer's parser
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":    # typer has printed the help
            return 0
        path = ctx.command_path if ctx is not None else "hwcheck"
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return report(HwcheckError(f"{path}: {' '.join(message.split())}",
                                   hint=f"{path} --help"))


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
    failure.one_shot = True   # nothing runs after the command: see failure.uninterrupted
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
    except (OSError, ValueError, AttributeError):   # the reader left, or a stream was None
        pass
    os._exit(code)

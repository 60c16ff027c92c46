"""How a command ends badly: the one place a HwcheckError becomes output, and the exit
codes of interrupts, input too deep to process and bugs. Typer-free, so that the fast
path of ``hwcheck grade FILE`` (``hwcheck.cli.fast``) ends the same way typer's does."""

from __future__ import annotations

import os
import sys

from hwcheck.errors import HwcheckError


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that the same clean-up runs."""


def on_sigterm(signum, frame):
    raise Terminated()


def report(exc: HwcheckError) -> int:
    """The one place an error becomes output: one line on stderr; its exit code (2)."""
    from hwcheck.report.textsafe import clean

    sys.stderr.write(clean(exc.render(), limit=2000) + "\n")
    return exc.exit_code


def interrupted(exc: BaseException) -> int:
    """One line, and the shell's code for the signal: 130 (SIGINT) or 143 (SIGTERM)."""
    import signal as signals

    # A second signal must not interrupt the line or the exit with a traceback.
    signals.signal(signals.SIGINT, signals.SIG_IGN)
    signals.signal(signals.SIGTERM, signals.SIG_IGN)
    term = isinstance(exc, Terminated)
    sys.stderr.write("terminated\n" if term else "interrupted\n")
    return 143 if term else 130


#: True when the process ends as soon as the command returns (``cli.run``); False when
#: ``main`` runs inside another program (tests, an embedding), whose signal handlers are
#: its own and must survive the command.
one_shot = False


def uninterrupted() -> None:
    """From here a one-shot command only finishes (its report is being put in place): a
    late Ctrl-C or SIGTERM is ignored, not reported as "terminated" over a complete
    report. A pending one is dropped with it (Python skips an ignored handler)."""
    if not one_shot:
        return
    import signal as signals

    try:
        signals.signal(signals.SIGINT, signals.SIG_IGN)
        signals.signal(signals.SIGTERM, signals.SIG_IGN)
    except ValueError:   # not the main thread: its handlers are the caller's
        pass


def guarded(fn, *args, passing: tuple = (), **kwargs) -> int:
    """Run a command's body; its exit code, whatever it raised.

    ``passing``: exception types that are someone else's control flow (typer's own),
    re-raised untouched."""
    try:
        code = fn(*args, **kwargs)
    except passing:
        raise
    except HwcheckError as exc:
        return report(exc)
    except KeyboardInterrupt as exc:   # Ctrl-C, or SIGTERM (see on_sigterm)
        return interrupted(exc)
    except RecursionError:
        return report(HwcheckError("input is nested too deeply to process"))
    except Exception as exc:  # a bug in hwcheck, not in the user's input
        if os.environ.get("HWCHECK_DEBUG"):
            raise
        return report(HwcheckError(f"internal error: {type(exc).__name__}: {exc}",
                                   hint="rerun with HWCHECK_DEBUG=1 and report the traceback"))
    return 0 if code is None else code


def choice(value: str, allowed: tuple, option: str) -> None:
    """Refuse an option value that is not one of ``allowed``."""
    if value not in allowed:
        raise HwcheckError(f"{option} {value!r} is not one of: {', '.join(allowed)}",
                           hint=f"for example {option} {allowed[0]}")

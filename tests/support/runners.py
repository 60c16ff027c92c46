"""Three ways to run the CLI, from the cheapest to the most faithful.

- ``run(*args)``: typer's CliRunner on ``hwcheck.cli.app``. For tests of one command's
  output; usage errors are click's, not ``main``'s one-line form.
- ``run_in_process(args)``: ``hwcheck.cli.main`` as ``python -m hwcheck`` would run it, in
  this process, with its own stdio, cwd, environment, argv and signal handlers, all put back
  afterwards. About 60 ms a call instead of an interpreter start-up.
- ``run_hwcheck(args)``: a real ``python -m hwcheck`` subprocess under an address-space
  limit, with a hang guard and the child's own peak RSS. For what only a process can show:
  memory, hangs, signals, and exit codes that the interpreter itself sets.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from tests.support.helpers import ROOT

HANG_GUARD = 20.0                      # seconds; a hang guard, not a timing assertion
ADDRESS_SPACE = 3 * 2**29              # 1.5 GiB: a blow-up dies here instead of swapping
# Inherited settings that would change what the CLI prints; a user's shell may have them.
_DROPPED_ENV = ("HWCHECK_DEBUG", "COLUMNS", "FORCE_COLOR", "PYTHONWARNINGS")


def run(*args, cwd: Path | None = None):
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    old = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        from hwcheck.cli import app

        return CliRunner().invoke(app, [str(a) for a in args])
    finally:
        os.chdir(old)


@dataclass(frozen=True)
class Run:
    args: list
    code: int | None          # None when the hang guard stopped it
    stdout: str
    stderr: str
    hung: bool
    seconds: float
    max_rss_mb: float | None  # None in-process: this process's peak says nothing of the run
    isolated: bool


def _env(extra: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    return {**env, **(extra or {})}


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_hwcheck(args, *, timeout: float = HANG_GUARD, cwd: Path = ROOT,
                scratch: Path | None = None, env: dict | None = None) -> Run:
    """``python -m hwcheck ARGS`` with a hang guard; the peak RSS comes from wait4 for
    exactly this child (and whatever it waited for), not from every child of pytest.
    Its output goes through files in ``scratch``: a pipe could fill up and stall it."""
    env = _env(env)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out_path = (scratch or Path("/tmp")) / f".out.{os.getpid()}.{threading.get_ident()}"
    err_path = out_path.with_suffix(".err")
    killed = threading.Event()
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "hwcheck", *map(str, args)], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                preexec_fn=_limit_child)

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    stdout = out_path.read_bytes().decode("utf-8", "replace")
    stderr = err_path.read_bytes().decode("utf-8", "replace")
    out_path.unlink()
    err_path.unlink()
    return Run(list(map(str, args)), None if killed.is_set() else proc.returncode, stdout,
               stderr, killed.is_set(), seconds, usage.ru_maxrss / 1024, isolated=True)


class _Hung(BaseException):
    """Raised by the in-process hang guard; a BaseException so that the CLI's own
    ``except Exception`` (which turns bugs into "internal error") lets it through."""


def _on_alarm(signum, frame):
    raise _Hung()


# The filters a fresh interpreter starts with (no -W, no PYTHONWARNINGS): what a user sees.
_FRESH_FILTERS = [("default", DeprecationWarning, "__main__"),
                  ("ignore", DeprecationWarning, ""), ("ignore", PendingDeprecationWarning, ""),
                  ("ignore", ImportWarning, ""), ("ignore", ResourceWarning, "")]


def _to_stderr(message, category, filename, lineno, file=None, line=None):
    # pytest records warnings instead of printing them; a user's terminal would show them.
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _stream() -> io.TextIOWrapper:
    # A real file, unbuffered, like a child's redirected stdout: grading forks workers, and
    # what they write must land here too, not in a copy of a buffer that dies with them.
    return io.TextIOWrapper(tempfile.TemporaryFile(buffering=0), encoding="utf-8",
                            errors="strict", newline="\n", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    raw = stream.detach()
    raw.seek(0)
    data = raw.read()
    raw.close()
    return data.decode("utf-8", "replace")


def run_in_process(args, *, timeout: float = HANG_GUARD, cwd: Path = ROOT,
                   env: dict | None = None) -> Run:
    """``hwcheck.cli.main`` with ``args``, in this process, as a subprocess would see it.

    Everything a run could change or read from its surroundings is replaced for the call
    and put back afterwards, whatever happens: cwd, os.environ (as ``run_hwcheck`` builds
    it), sys.argv, sys.stdin/stdout/stderr, ``__main__`` (click names the program from it),
    the warning filters, the SIGALRM/SIGPROF/SIGINT handlers, the interval timers, the
    umask and the recursion limit. A hang is stopped by SIGALRM between bytecodes, so a
    hang inside one C call is not; such cases belong in a subprocess.
    """
    from hwcheck.cli import main   # looked up per call: a test may replace it

    args = [str(a) for a in args]
    saved_env = dict(os.environ)
    saved = (os.getcwd(), sys.argv, sys.stdin, sys.stdout, sys.stderr,
             sys.modules["__main__"], sys.getrecursionlimit())
    handlers = {s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGPROF, signal.SIGINT,
                                                signal.SIGTERM)}
    timers = {t: signal.getitimer(t) for t in (signal.ITIMER_REAL, signal.ITIMER_PROF)}
    umask = os.umask(0o022)
    os.umask(umask)
    out, err, devnull = _stream(), _stream(), open(os.devnull, encoding="utf-8")
    fake_main = types.ModuleType("__main__")
    fake_main.__package__ = "hwcheck"          # click then says `python -m hwcheck`
    code, hung = None, False
    start = time.monotonic()
    try:
        os.environ.clear()
        os.environ.update(_env(env))
        os.chdir(cwd)
        sys.argv = [str(ROOT / "hwcheck" / "__main__.py"), *args]
        sys.stdin, sys.stdout, sys.stderr = devnull, out, err
        sys.modules["__main__"] = fake_main
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category, module in _FRESH_FILTERS:
                warnings.filterwarnings(action, category=category, module=module)
            warnings.showwarning = _to_stderr
            try:
                try:
                    main()
                    code = 0
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
                if isinstance(done.code, str):
                    err.write(done.code + "\n")
            except _Hung:
                hung = True
            except BaseException:  # what the interpreter would print before exiting 1
                err.write(traceback.format_exc())
                code = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for which, (delay, interval) in timers.items():
            signal.setitimer(which, delay, interval)
        for signum, handler in handlers.items():
            if handler is not None:           # None: installed from C, cannot be put back
                signal.signal(signum, handler)
        (cwd_before, sys.argv, sys.stdin, sys.stdout, sys.stderr, sys.modules["__main__"],
         limit) = saved
        sys.setrecursionlimit(limit)
        os.chdir(cwd_before)
        os.umask(umask)
        os.environ.clear()
        os.environ.update(saved_env)
        devnull.close()
    return Run(args, None if hung else code, _text(out), _text(err), hung,
               time.monotonic() - start, None, isolated=False)

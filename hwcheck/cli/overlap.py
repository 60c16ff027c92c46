"""One piece of work in a forked child while this process does another.

A one-file ``hwcheck grade`` grades in a child while the command imports the report's
renderer (rich alone is ~20 ms): the student's loop then uses both cores, as the
reference it is timed against, ``import numpy``, does with its BLAS threads. The child
inherits everything already loaded (numpy, the grader's modules) and sends back only the
pickled result; nothing it does reaches the terminal.

Whatever goes wrong with the child (no ``fork``, a fork refused by a process limit, an
exception in the work, a result that cannot be read), the work is done here instead, so
the command behaves as it did without the child. If the parent is killed outright (not
by an interrupt, which stops the child too), the child still ends within its limits.
"""

from __future__ import annotations

import os
import pickle
import signal

_STOP = {signal.SIGINT, signal.SIGTERM}


def overlapped(work, meanwhile, killed):
    """``work()``'s value, computed in a forked child while ``meanwhile()`` runs here.

    ``killed(signal)`` is the value when the kernel killed the child (a limit it enforces
    itself, such as RLIMIT_CPU on C code that never returns), so such work is not run a
    second time. In every other failure of the child, ``work`` runs here.
    """
    child, readable = _start(work)
    if child is None:
        meanwhile()
        return work()
    try:
        with os.fdopen(readable, "rb") as pipe:
            meanwhile()
            data = pipe.read()
    except BaseException:   # Ctrl-C reached us both: no child is left behind
        _stop(child)
        raise
    try:
        _, status = os.waitpid(child, 0)
    except ChildProcessError:   # SIGCHLD ignored by whoever started us: already reaped
        status = 0
    if os.WIFSIGNALED(status):   # (its value, if any, may be cut short)
        return killed(os.WTERMSIG(status))
    try:
        return pickle.loads(data) if data else work()
    except Exception:   # (not expected: the child writes all of it or nothing)
        return work()


def _start(work) -> tuple[int | None, int | None]:
    """The child running ``work`` and the pipe it answers on, or (None, None)."""
    if not hasattr(os, "fork"):
        return None, None
    readable, writable = os.pipe()
    # No interrupt between the fork and the child's own handlers (batch.py does the same)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
    try:
        child = os.fork()
    except OSError:   # a process limit (EAGAIN) or no memory: the work is done here
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(readable)
        os.close(writable)
        return None, None
    if child == 0:   # pragma: no cover (the tests see its result)
        _child(work, readable, writable, blocked)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    os.close(writable)
    return child, readable


def _child(work, readable: int, writable: int, blocked) -> None:
    """Run ``work`` and write its pickled value; leave with ``os._exit`` (no cleanup of the
    parent's state, no flushing of its buffers), whatever happens."""
    try:
        os.close(readable)
        # An interrupt or a stop ends the child at once (the parent reports it); a
        # signal ignored by whoever started us stays ignored.
        for number in _STOP:
            if signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:   # the parent runs it again and reports what fails
            data = b""
        view = memoryview(data)
        while view:
            view = view[os.write(writable, view):]
    finally:
        os._exit(0)


def _stop(child: int) -> None:
    try:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    except OSError:
        pass

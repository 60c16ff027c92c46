"""One piece of work in a forked child while this process does another.

A one-file ``hwcheck grade`` grades in a child while the command imports the report's
renderer (rich alone is ~20 ms): the student's loop then uses both cores, as the
reference it is timed against, ``import numpy``, does with its BLAS threads. The child
inherits everything already loaded (numpy, the specs, the grader) and sends back only the
pickled result; nothing it does reaches the terminal.
"""

from __future__ import annotations

import os
import pickle
import signal


def overlapped(work, meanwhile, killed):
    """``work()``'s value, computed in a forked child while ``meanwhile()`` runs here.

    Where there is no ``fork``, or the child ended without a value (``work`` raised: here
    it raises again, and is reported as usual), ``work`` runs here. ``killed(signal)`` is
    the value when the kernel killed the child (a limit it enforces itself, such as
    RLIMIT_CPU on C code that never returns), so such work does not run a second time.
    """
    if not hasattr(os, "fork"):
        meanwhile()
        return work()
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:   # pragma: no cover (measured by the tests through its result)
        _child(work, readable, writable)
    os.close(writable)
    try:
        meanwhile()
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
    except BaseException:   # Ctrl-C reached us both: no child is left behind
        _stop(child)
        raise
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):   # (its value, if any, may be cut short)
        return killed(os.WTERMSIG(status))
    try:
        return pickle.loads(data) if data else work()
    except pickle.UnpicklingError:
        return work()


def _child(work, readable: int, writable: int) -> None:
    """Run ``work`` and write its pickled value; leave with ``os._exit`` (no cleanup of the
    parent's state, no flushing of its buffers), whatever happens."""
    try:
        os.close(readable)
        # An interrupt or a stop ends the child at once; the parent reports it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
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

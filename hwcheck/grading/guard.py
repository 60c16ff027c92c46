"""Limits for grading in the calling process (the Python API; one file from the CLI).

A batch grades each file in a forked worker whose memory is capped and whose wall clock
is watched from outside (``grading.batch``). In-process grading has the formula engine's
own caps (``formula.limits``: length, nodes, depth, elements, total work), which bound what
one formula can cost, and, where the platform allows, the same CPU-time timer as a worker.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


class CpuLimit(Exception):
    """Grading used more CPU time than allowed."""


def _on_cpu_limit(signum, frame):
    raise CpuLimit()


@contextmanager
def cpu_limit(seconds: float):
    """Raise ``CpuLimit`` in this thread once it has used ``seconds`` of CPU time.

    Only the main thread receives signals, and only a default SIGPROF may be taken over
    (a profiler owns a SIGPROF it installed): elsewhere this does nothing, and the formula
    engine's caps are the limit. The previous handler and timer are restored.
    """
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, None, _on_cpu_limit))
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


class _WallLimit(BaseException):
    """The wall clock ran out. A BaseException, so ``grade_one``'s net for bugs (``except
    Exception``) lets it through to ``grade_alone``, which makes it the error row."""


def _on_wall_limit(signum, frame):
    raise _WallLimit()


def grade_alone(grader, path, limits, **options):
    """One answers file graded in this process, under a worker's limits (``batch.Limits``);
    ``options`` go to ``batch.grade_one`` as they would in a worker.

    ``hwcheck grade FILE`` is the student's loop: a batch's pool, which solves every key
    before it forks, cost more than the grading. The command calls this in a plain forked
    child instead (``cli.overlap``), and the Python API in its own process; either way the
    limits are the worker's, set here:
    CPU time by the same interval timer (``batch.grade_one``), with the kernel's RLIMIT_CPU
    a few seconds later for C code that never returns to Python; memory by RLIMIT_AS over
    what this process already uses; the wall clock (reading a FIFO, a sleep in C) by
    SIGALRM, which interrupts a blocking call. Only soft limits are lowered, and each is
    restored afterwards, so rendering the report is not limited.
    """
    from hwcheck.grading import batch, walk

    try:
        import resource
    except ImportError:   # not Unix: no limits but the formula engine's own
        return batch.grade_one(grader, path, batch.Limits(0, limits.memory_mb,
                                                          limits.wall_seconds), **options)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGPROF, signal.SIGALRM)}
    outer, started = signal.getitimer(signal.ITIMER_REAL)[0], time.monotonic()
    saved = {}
    signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.signal(signal.SIGALRM, _on_wall_limit)
    try:
        if limits.memory_mb:
            saved[resource.RLIMIT_AS] = _lower(resource.RLIMIT_AS,
                                               batch._vm_size() + limits.memory_mb * 2**20)
        if limits.cpu_seconds:
            used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            saved[resource.RLIMIT_CPU] = _lower(resource.RLIMIT_CPU,
                                                int(used + limits.cpu_seconds) + 5)
        if limits.wall_seconds:
            # A caller's own alarm (a test's hang guard) is kept: the sooner one holds here,
            # and what is left of it is set again afterwards.
            wall = min(limits.wall_seconds, outer) if outer else limits.wall_seconds
            signal.setitimer(signal.ITIMER_REAL, wall)
        try:
            return batch.grade_one(grader, path, limits, **options)
        except _WallLimit:
            return batch._error(path, f"{walk.display(path)}: exceeded the wall-clock "
                                      f"limit of {limits.wall_seconds:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for which, old in saved.items():
            if old is not None:
                resource.setrlimit(which, old)
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if outer:
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer - (time.monotonic() - started), 1e-3))


def _lower(which: int, soft: int):
    """Lower a soft resource limit to ``soft``; the old limits, or None if it was not set
    (some sandboxes forbid it; the other limits still hold)."""
    import resource

    old = resource.getrlimit(which)
    hard = old[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    if old[0] != resource.RLIM_INFINITY and old[0] <= soft:
        return None
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        return None
    return old

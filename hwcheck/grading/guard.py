"""Limits for grading in the calling process (the Python API; one file from the CLI).

A batch grades each file in a forked worker whose memory is capped and whose wall clock
is watched from outside (``grading.batch``). In-process grading has the formula engine's
own caps (``formula.limits``: length, nodes, depth, elements, total work), which bound what
one formula can cost, and, where the platform allows, the same CPU-time timer as a worker.
"""

from __future__ import annotations

import signal
import threading
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

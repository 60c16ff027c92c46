"""Grading many submissions: one process that solves each key once, on both cores.

The parent warms the grader (every key is solved), then forks workers that inherit it.
Each submission runs under a CPU-time limit (an interval timer) in a worker whose memory is
capped (RLIMIT_AS); a wall-clock watchdog in the parent kills a worker that still hangs.
A submission that hits a limit becomes an error row, and the batch goes on.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from pathlib import Path

from hwcheck.errors import HwcheckError
from hwcheck.frozen import frozen
from hwcheck.grading.guard import CpuLimit as _CpuLimit
from hwcheck.grading.guard import _on_cpu_limit
from hwcheck.grading import walk
from hwcheck.grading.results import Submission

PATTERNS = ("*.yaml", "*.yml")
#: documents (grading.sources) in a folder; a .tex or .md counts only if it has a hwcheck
#: mark, so a README beside the submissions is not graded as one
DOCUMENTS = ("*.ipynb", "*.tex", "*.md")


@frozen
class Limits:
    """What one submission may cost a worker (and the CLI's own process for one file)."""

    cpu_seconds: float = 10.0
    memory_mb: int = 1024        # on top of what a warmed worker already uses
    wall_seconds: float = 30.0


def collect(targets) -> list:
    """Answers files named on the command line; a folder contributes every YAML under it,
    and every document (DOCUMENTS) that is a submission. An entry that must not be graded
    (a link, a FIFO, …) is a ``walk.Refused``: it becomes an error row."""
    return walk.collect(targets, PATTERNS, DOCUMENTS, _submission)


def _submission(path: Path) -> bool:
    """A regular file named like a document (walk.py has refused links and FIFOs)."""
    if path.suffix == ".ipynb":
        return True
    try:
        with path.open("rb") as fh:
            return b"hwcheck" in fh.read(4 << 20)
    except OSError:
        return True   # unreadable: graded, so that its row says why


_GRADER = None
_LIMITS = Limits()
_FILES: list = []
_IDENTITIES: list = []
_STARTED = None   # per file: when a worker began grading it (time.monotonic); 0: not yet
#: most files per pool task. A task per file cost the parent ~0.6 ms of CPU per file (IPC,
#: and pickling each result alone) on a core the workers need; chunks of 32: ~0.15 ms. A
#: chunk keeps each file's own limits (_work, _overdue) and costs at most a chunk's
#: regrading when a worker has to be killed.
CHUNK = 32
_STOP = {signal.SIGINT, signal.SIGTERM}


def _init_worker(limits: Limits) -> None:
    import gc
    import resource

    gc.enable()   # grading leaves cycles (tracebacks); the inherited heap is frozen
    # Grading makes many short-lived containers and few cycles: a young collection every
    # 700 new ones (the default) took ~5% of a worker's time, every 20,000 ~1%, with the
    # same peak memory on a class of 1,000.
    gc.set_threshold(20_000, 10, 10)

    signal.signal(signal.SIGPROF, _on_cpu_limit)
    # Ctrl-C reaches the whole process group: the parent stops the workers itself. The
    # parent's SIGTERM handler is not ours; pool.terminate() sends SIGTERM to stop us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)   # blocked by the parent for the fork
    if limits.memory_mb:
        used = _vm_size()
        cap = used + limits.memory_mb * 2**20
        try:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (ValueError, OSError):  # some sandboxes forbid it; the watchdog still holds
            pass


def _vm_size() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def grade_one(grader, path: Path, limits: Limits | None = None,
              identity=None) -> Submission:
    """Grade one file; every failure becomes an error row rather than an exception.
    ``identity``: the grader's (grading/identity.py), or None for the file's own claim."""
    limits = limits or _LIMITS
    if isinstance(path, walk.Refused):
        return _error(path.path, path.message)
    shown = walk.display(path)
    if limits.cpu_seconds:
        signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)
    try:
        # (identity only when there is one: a grader without it, such as a test's fake, works)
        extra = {"identity": identity} if identity is not None else {}
        return grader.grade_file(path, display=shown, **extra)
    except HwcheckError as exc:
        return _error(path, exc.render())
    except _CpuLimit:
        return _error(path, f"{shown}: exceeded the CPU-time limit of {limits.cpu_seconds:g} s")
    except MemoryError:
        return _error(path, f"{shown}: exceeded the memory limit of {limits.memory_mb} MB")
    except RecursionError:
        return _error(path, f"{shown}: input is nested too deeply to process")
    except Exception as exc:  # a bug must not cost the rest of the class their grades
        return _error(path, f"{shown}: internal error: {type(exc).__name__}: {exc}")
    finally:
        if limits.cpu_seconds:
            signal.setitimer(signal.ITIMER_PROF, 0)


def _work(chunk: tuple[int, ...]) -> list[Submission]:
    """Grade files ``chunk`` of the batch (inherited at the fork, so a task is a few
    integers), stamping when each one starts for the parent's wall-clock watchdog."""
    out = []
    for i in chunk:
        _STARTED[i] = time.monotonic()   # system-wide clock: the parent reads it too
        out.append(grade_one(_GRADER, Path(_FILES[i]), _LIMITS, _IDENTITIES[i]))
    return out


def _error(path: Path, message: str) -> Submission:
    return Submission(file=walk.display(path), student=None, score=0.0, max_score=0.0,
                      error=message)


def grade_many(grader, files: list[Path], *, jobs: int | None = None,
               limits: Limits = Limits(), on_done=None,
               identities: list | None = None) -> list[Submission]:
    """Grade every file, in order of ``files``; ``on_done(submission)`` after each.
    ``identities``: one per file (grading/identity.py), or None."""
    global _GRADER, _LIMITS, _FILES, _IDENTITIES, _STARTED
    identities = identities or [None] * len(files)
    import multiprocessing as mp   # only a batch needs it (one file is graded in-process)
    import gc

    jobs = max(1, min(jobs or min(os.cpu_count() or 1, 2), len(files)))
    # Even one file goes to a forked worker: only there do the memory cap and the
    # wall-clock watchdog hold. Without fork (not Linux), the CPU timer is all we have.
    if "fork" not in mp.get_all_start_methods() or not hasattr(signal, "setitimer"):
        if hasattr(signal, "setitimer"):  # the timer's default action would kill us
            signal.signal(signal.SIGPROF, _on_cpu_limit)
        else:
            limits = Limits(0, limits.memory_mb, limits.wall_seconds)
        out, collecting = [], gc.isenabled()
        gc.enable()   # off while the command started (cli.run); grading leaves cycles
        try:
            for path, identity in zip(files, identities):
                out.append(grade_one(grader, path, limits, identity))
                if on_done:
                    on_done(out[-1])
        finally:
            if not collecting:
                gc.disable()
        return out
    for spec in grader.specs.values():  # warm every key before forking, so workers share it
        grader.warm(spec)
    _GRADER, _LIMITS, _FILES, _IDENTITIES = grader, limits, files, identities
    # Workers collect their own garbage (_init_worker), but the heap they inherit (numpy,
    # the warmed keys) is frozen: their collections neither walk it nor copy its pages.
    # The parent only gathers results, which hold no cycles, so it keeps the caller's
    # setting (off in the CLI): collecting while 1,000 results arrive tripled the cost
    # of unpickling them (0.07 s → 0.21 s).
    gc.freeze()
    try:
        return _pooled(files, jobs, limits, on_done, identities)
    finally:
        gc.unfreeze()
        _FILES, _IDENTITIES, _STARTED = [], [], None


def _pooled(files, jobs, limits: Limits, on_done, identities) -> list[Submission]:
    global _STARTED
    import mmap
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    # Anonymous and shared: every worker forked below writes to it; no file is made.
    _STARTED = memoryview(mmap.mmap(-1, 8 * max(1, len(files)))).cast("d")
    results: dict[int, Submission] = {}
    todo = []
    for i, f in enumerate(files):   # a refused entry is an error row without a worker
        if isinstance(f, walk.Refused):
            results[i] = grade_one(None, f, limits)
            if on_done:
                on_done(results[i])
        else:
            todo.append(i)
    while todo:
        for i in todo:
            _STARTED[i] = 0.0
        # Signals wait while workers start (a worker forked before its initializer ran
        # would run the parent's handlers), and while they are stopped: an interruption
        # at any moment leaves no worker behind.
        pool, unmasked = None, signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
        try:
            pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(limits,))
            signal.pthread_sigmask(signal.SIG_SETMASK, unmasked)
            pending = deque((chunk, pool.apply_async(_work, (chunk,)))
                            for chunk in chunks(todo, jobs))
            todo = []
            while pending:
                chunk, res = pending.popleft()
                hung = _overdue(res, chunk, limits.wall_seconds)
                if hung is None:
                    done = zip(chunk, res.get(0))
                else:
                    results[hung] = _error(files[hung], f"{walk.display(files[hung])}: "
                                           f"exceeded the wall-clock limit of "
                                           f"{limits.wall_seconds:g} s")
                    # The hung worker cannot be cancelled alone: restart the pool and
                    # resubmit what had not finished (the chunk's other files too).
                    done = [(hung, results[hung])]
                    todo = [j for j in chunk if j != hung]
                    for c, r in pending:
                        if r.ready() and r.successful():
                            done.extend(zip(c, r.get(0)))
                        else:
                            todo.extend(c)
                    pending.clear()
                for i, sub in done:
                    results[i] = sub
                    if on_done:
                        on_done(sub)
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
            if pool is not None:
                pool.terminate()
                pool.join()
            signal.pthread_sigmask(signal.SIG_SETMASK, unmasked)
        todo.sort()
    return [results[i] for i in range(len(files))]


def chunk_size(files: int, jobs: int) -> int:
    """Files per task: CHUNK, or fewer where there are few files, so every worker gets
    several tasks and none waits long for the last one."""
    return max(1, min(CHUNK, files // (jobs * 4)))


def chunks(todo: list[int], jobs: int) -> list[tuple[int, ...]]:
    """``todo`` in tasks, smaller towards the end (each sized by what is left), so the
    workers finish together rather than one waiting for the other's last chunk."""
    out, k = [], 0
    while k < len(todo):
        size = chunk_size(len(todo) - k, jobs)
        out.append(tuple(todo[k:k + size]))
        k += size
    return out


def _overdue(res, chunk, wall: float):
    """Wait for a chunk's results: None once they are ready, or the file of the chunk that
    has run for ``wall`` seconds (its worker hangs, or died with it). A ``wall`` of 0 is
    no limit, as in ``guard.grade_alone``."""
    while not res.ready():
        started = [(_STARTED[i], i) for i in chunk if _STARTED[i]]
        if started and wall:   # the chunk's files run in order: the last started runs
            since, i = started[-1]
            left = since + wall - time.monotonic()
            if left <= 0:
                return i
        else:                  # queued behind other chunks, or no limit
            left = min(wall or 0.25, 0.25)
        res.wait(max(left, 1e-3))
    return None

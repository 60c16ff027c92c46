"""Grading many submissions: one process that solves each key once, on both cores.

The parent warms the grader (every key is solved), then forks workers that inherit it.
Each submission runs under a CPU-time limit (an interval timer) in a worker whose memory is
capped (RLIMIT_AS); a wall-clock watchdog in the parent kills a worker that still hangs.
A submission that hits a limit becomes an error row, and the batch goes on.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from hwcheck.errors import HwcheckError, UsageError
from hwcheck.grading.guard import CpuLimit as _CpuLimit
from hwcheck.grading.guard import _on_cpu_limit
from hwcheck.grading.results import Submission

PATTERNS = ("*.yaml", "*.yml")
#: documents (grading.sources) in a folder; a .tex or .md counts only if it has a hwcheck
#: mark, so a README beside the submissions is not graded as one
DOCUMENTS = ("*.ipynb", "*.tex", "*.md")


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 10.0
    memory_mb: int = 1024        # on top of what a warmed worker already uses
    wall_seconds: float = 30.0


def collect(targets) -> list[Path]:
    """Answers files named on the command line; a folder contributes every YAML under it."""
    files: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found = sorted({p for pat in PATTERNS for p in path.rglob(pat) if p.is_file()} |
                           {p for pat in DOCUMENTS for p in path.rglob(pat) if _submission(p)})
            if not found:
                raise UsageError(f"no *.yaml answers files under {target} (nor notebooks, "
                                 ".tex or .md with hwcheck marks)", file=str(target),
                                 hint="put each submission in its own file")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError("no such file or folder", file=str(target), hint="check the path")
    return files


def _submission(path: Path) -> bool:
    if not path.is_file() or ".ipynb_checkpoints" in path.parts:   # Jupyter's autosaves
        return False
    if path.suffix == ".ipynb":
        return True
    try:
        with path.open("rb") as fh:
            return b"hwcheck" in fh.read(4 << 20)
    except OSError:
        return True   # unreadable: graded, so that its row says why



_GRADER = None
_LIMITS = Limits()


def _init_worker(limits: Limits) -> None:
    import resource

    signal.signal(signal.SIGPROF, _on_cpu_limit)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


def grade_one(grader, path: Path, limits: Limits | None = None) -> Submission:
    """Grade one file; every failure becomes an error row rather than an exception."""
    limits = limits or _LIMITS
    if limits.cpu_seconds:
        signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)
    try:
        return grader.grade_file(path, display=str(path))
    except HwcheckError as exc:
        return _error(path, exc.render())
    except _CpuLimit:
        return _error(path, f"{path}: exceeded the CPU-time limit of {limits.cpu_seconds:g} s")
    except MemoryError:
        return _error(path, f"{path}: exceeded the memory limit of {limits.memory_mb} MB")
    except RecursionError:
        return _error(path, f"{path}: input is nested too deeply to process")
    except Exception as exc:  # a bug must not cost the rest of the class their grades
        return _error(path, f"{path}: internal error: {type(exc).__name__}: {exc}")
    finally:
        if limits.cpu_seconds:
            signal.setitimer(signal.ITIMER_PROF, 0)


def _work(path: str) -> Submission:
    return grade_one(_GRADER, Path(path), _LIMITS)


def _error(path: Path, message: str) -> Submission:
    return Submission(file=str(path), student=None, score=0.0, max_score=0.0, error=message)


def grade_many(grader, files: list[Path], *, jobs: int | None = None,
               limits: Limits = Limits(), on_done=None) -> list[Submission]:
    """Grade every file, in order of ``files``; ``on_done(submission)`` after each."""
    global _GRADER, _LIMITS
    import multiprocessing as mp   # only a batch needs it (one file is graded in-process)
    import gc

    gc.enable()   # off while the command started (cli.run); a class's grading collects

    jobs = max(1, min(jobs or min(os.cpu_count() or 1, 2), len(files)))
    # Even one file goes to a forked worker: only there do the memory cap and the
    # wall-clock watchdog hold. Without fork (not Linux), the CPU timer is all we have.
    if "fork" not in mp.get_all_start_methods() or not hasattr(signal, "setitimer"):
        if hasattr(signal, "setitimer"):  # the timer's default action would kill us
            signal.signal(signal.SIGPROF, _on_cpu_limit)
        else:
            limits = Limits(0, limits.memory_mb, limits.wall_seconds)
        out = []
        for path in files:
            out.append(grade_one(grader, path, limits))
            if on_done:
                on_done(out[-1])
        return out
    for spec in grader.specs.values():  # warm every key before forking, so workers share it
        grader.warm(spec)
    _GRADER, _LIMITS = grader, limits
    return _pooled(files, jobs, limits, on_done)


def _pooled(files, jobs, limits: Limits, on_done) -> list[Submission]:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    results: dict[int, Submission] = {}
    todo = deque(range(len(files)))
    while todo:
        pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(limits,))
        try:
            pending = deque((i, pool.apply_async(_work, (str(files[i]),))) for i in todo)
            todo.clear()
            while pending:
                i, res = pending.popleft()
                try:
                    results[i] = res.get(timeout=limits.wall_seconds)
                except mp.TimeoutError:
                    results[i] = _error(files[i], f"{files[i]}: exceeded the wall-clock "
                                                  f"limit of {limits.wall_seconds:g} s")
                    # The hung worker cannot be cancelled alone: restart the pool and
                    # resubmit what had not finished.
                    for j, r in pending:
                        if r.ready() and r.successful():
                            results[j] = r.get(0)
                            if on_done:
                                on_done(results[j])
                        else:
                            todo.append(j)
                    pending.clear()
                if on_done:
                    on_done(results[i])
        finally:
            pool.terminate()
            pool.join()
    return [results[i] for i in range(len(files))]

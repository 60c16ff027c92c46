"""``hwcheck grade FILE`` grades in its own process (``grading.guard.grade_alone``) under
a worker's limits: CPU time, memory and the wall clock each still turn a runaway into an
error row, and every limit is lifted again before the report is rendered."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap

import pytest

from hwcheck.grading import batch, guard
from hwcheck.grading.grader import Grader
from hwcheck.spec.catalog import load_catalog
from tests.support.helpers import EXAMPLES, PROBLEMS, ROOT

PROBE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hwcheck.grading import batch, guard
    from hwcheck.grading.results import Submission


    class FakeGrader:   # burns CPU, allocates or sleeps, by the file's name
        specs = {}

        def grade_file(self, path, display=None):
            name = Path(path).stem
            if name == "cpu":
                x = 0
                while True:
                    x += 1
            if name == "mem":           # 4 GiB, never touched: only RLIMIT_AS stops it
                import numpy as np
                block = np.zeros(1 << 29)
            if name == "sleep":         # sleeps in C: no CPU, no SIGPROF
                import time
                time.sleep(30)
            return Submission(file=str(path), student=name, score=1.0, max_score=1.0)


    limits = batch.Limits(cpu_seconds=1, memory_mb=256, wall_seconds=float(sys.argv[3]))
    grader = FakeGrader()
    if sys.argv[1] == "fifo":
        from hwcheck.grading.grader import Grader
        from hwcheck.spec.catalog import load_catalog
        grader = Grader(load_catalog(sys.argv[4]).specs)
    row = guard.grade_alone(grader, Path(sys.argv[2]), limits)
    print("ROW", row.error or row.student)
""")


def _probe(kind: str, path, wall: float, *extra) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", PROBE, kind, str(path), str(wall),
                           *map(str, extra)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return next(ln for ln in proc.stdout.splitlines() if ln.startswith("ROW "))[4:]


# A generous wall clock where another limit must be the one hit: a loaded machine may take
# several seconds of wall time for one second of CPU.
@pytest.mark.parametrize("name, wall, message", [("cpu", 40, "CPU-time limit of 1 s"),
                                                 ("mem", 40, "memory limit of 256 MB"),
                                                 ("sleep", 2, "wall-clock limit of 2 s"),
                                                 ("fine", 40, "fine")])
def test_each_limit_becomes_an_error_row(tmp_path, name, wall, message):
    path = tmp_path / f"{name}.yaml"
    path.write_text("p3: 1\n")
    assert message in _probe(name, path, wall)


def test_a_file_that_never_ends_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)             # a blocking open would wait for a writer that never comes
    # (answers files are opened O_NONBLOCK and checked with fstat: issue 14)
    assert "is not a regular file" in _probe("fifo", fifo, 20, PROBLEMS)


def test_limits_are_lifted_after_grading():
    before = {r: resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU)}
    handlers = {s: signal.getsignal(s) for s in (signal.SIGPROF, signal.SIGALRM)}
    grader = Grader(load_catalog(PROBLEMS).specs)
    row = guard.grade_alone(grader, EXAMPLES / "seed-answers.yaml", batch.Limits())
    assert row.error is None and row.problems
    assert {r: resource.getrlimit(r) for r in before} == before
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_same_rows_as_a_worker():
    grader = Grader(load_catalog(PROBLEMS).specs)
    for path in (EXAMPLES / "seed-answers.yaml", EXAMPLES / "correct-answers.yaml"):
        alone = guard.grade_alone(grader, path, batch.Limits())
        (pooled,) = batch.grade_many(Grader(load_catalog(PROBLEMS).specs), [path], jobs=1)
        assert alone == pooled


def test_a_callers_alarm_is_kept(monkeypatch):
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        grader = Grader(load_catalog(PROBLEMS).specs)
        guard.grade_alone(grader, EXAMPLES / "correct-answers.yaml", batch.Limits())
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < left <= 100.0
        assert signal.getsignal(signal.SIGALRM) is not guard._on_wall_limit
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert fired == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_program_flushes_everything_before_its_quick_exit(fmt):
    """``cli.run`` leaves with os._exit: the whole report must be out by then."""
    proc = subprocess.run([sys.executable, "-m", "hwcheck", "grade",
                           str(EXAMPLES / "seed-answers.yaml"), "--format", fmt,
                           "--problems", str(PROBLEMS)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 1, proc.stderr
    if fmt == "json":
        import json

        assert json.loads(proc.stdout)["score"] == 19.0
    else:
        assert proc.stdout.rstrip().splitlines()[-1].startswith("Total 19/40")

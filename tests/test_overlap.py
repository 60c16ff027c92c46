"""``cli.overlap.overlapped``: the one-file grade's work in a forked child while the
command loads its renderer. The value comes back from the child; a child that raised is
redone here (its error reported as usual); one the kernel killed gives ``killed``'s value
without running again; an interrupt here leaves no child behind. And the command behaves
as it did without the child where the child cannot be had: a fork refused, SIGINT or
SIGCHLD ignored by whoever started it (the review's reproducers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hwcheck.cli.overlap import overlapped
from tests.support.helpers import EXAMPLES, ROOT

HERE = os.getpid()
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
SEED = str(EXAMPLES / "seed-answers.yaml")
# Legal but slow (~0.5-1 s of CPU before the work budget refuses it): a window to signal in.
RUNAWAY = "sum(" + "+".join(["exp(i)"] * 60) + " for i in 1..5000000)"


def _nothing():
    pass


def _never(number):
    raise AssertionError(f"the child was killed by signal {number}")


def test_the_value_comes_from_a_child_while_this_process_works():
    met = []
    assert overlapped(os.getpid, lambda: met.append(os.getpid()), _never) != HERE
    assert met == [HERE]


def test_a_large_value_comes_back_whole():
    value = {"answer": "x" * (3 << 20), "n": list(range(10_000))}
    assert overlapped(lambda: value, _nothing, _never) == value


def test_work_that_raises_in_the_child_is_done_again_here():
    def work():
        if os.getpid() != HERE:
            raise ValueError("in the child")
        return "here"

    assert overlapped(work, _nothing, _never) == "here"


def test_a_child_the_kernel_kills_is_not_run_again():
    def work():
        if os.getpid() != HERE:
            os.kill(os.getpid(), signal.SIGKILL)
        return "ran twice"

    assert overlapped(work, _nothing, lambda number: number) == signal.SIGKILL


def test_an_interrupt_here_stops_the_child(tmp_path):
    where = tmp_path / "child.pid"

    def work():
        where.write_text(str(os.getpid()))
        time.sleep(60)

    def meanwhile():
        for _ in range(500):   # the child has started when it has written its pid
            if where.exists() and where.read_text():
                break
            time.sleep(0.01)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        overlapped(work, meanwhile, _never)
    with pytest.raises(ProcessLookupError):   # killed and reaped, not left running
        os.kill(int(where.read_text()), 0)


def test_without_fork_both_run_here(monkeypatch):
    monkeypatch.delattr(os, "fork")
    met = []
    assert overlapped(os.getpid, lambda: met.append(1), _never) == HERE and met == [1]


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGCHLD)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


# --- 1. An ignored SIGINT (inherited SIG_IGN) is reset to SIG_DFL in the child ----------

def test_an_ignored_sigint_stays_ignored_in_the_child(restore_signals):
    """A process started with SIGINT ignored (a background job of a script, `trap '' INT`)
    did not stop on SIGINT before; overlap._child sets SIG_DFL unconditionally."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def work():
        os.kill(os.getpid(), signal.SIGINT)   # what a Ctrl-C to the process group does
        return "graded"

    assert overlapped(work, _nothing, lambda n: f"killed by {n}") == "graded"


def _children(pid: int) -> list[str]:
    try:   # Linux: the kernel lists a task's children
        return open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        return []


def _wait_for_child(pid: int, deadline: float = 10.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if _children(pid):
            return True
        time.sleep(0.02)
    return False


def test_cli_with_sigint_ignored_still_writes_its_report(tmp_path):
    slow = tmp_path / "slow.yaml"
    slow.write_text(f"p4:\n  dE/dz: '{RUNAWAY}'\n")
    proc = subprocess.Popen([sys.executable, "-m", "hwcheck", "grade", str(slow)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert _wait_for_child(proc.pid), "no forked child seen"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    # Before: SIGINT ignored, the report is written, exit 1 (a wrong answer).
    # Now: "slow.yaml: was stopped by SIGINT", exit 2, no report.
    assert (proc.returncode, err.decode()) == (1, ""), (proc.returncode, err.decode())
    assert "Total" in out.decode()


# --- 2. A fork that fails (EAGAIN under a pids limit / RLIMIT_NPROC, ENOMEM) -------------

def test_a_failed_fork_grades_here(monkeypatch):
    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    before = set(os.listdir("/proc/self/fd"))
    assert overlapped(lambda: "graded", _nothing, _never) == "graded"
    assert set(os.listdir("/proc/self/fd")) == before   # the pipe is not leaked either


def test_cli_when_fork_fails_grades_as_before():
    # Same as running in a cgroup with pids.max=1 (checked by hand): before, exit 1 with
    # the report; now "internal error: BlockingIOError: [Errno 11] ...", exit 2.
    code = ("import os, sys\n"
            "def no_fork():\n"
            "    raise BlockingIOError(11, 'Resource temporarily unavailable')\n"
            "os.fork = no_fork\n"
            f"sys.argv = ['hwcheck', 'grade', {SEED!r}]\n"
            "from hwcheck.cli import run\n"
            "run()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, timeout=60)
    assert (proc.returncode, proc.stderr) == (1, ""), (proc.returncode, proc.stderr)


# --- 3. SIGCHLD inherited as SIG_IGN: the kernel reaps the child, waitpid gets ECHILD -----

def test_an_ignored_sigchld_does_not_break_the_wait(restore_signals):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    assert overlapped(lambda: "graded", _nothing, _never) == "graded"


def test_cli_started_with_sigchld_ignored_grades_as_before():
    proc = subprocess.run([sys.executable, "-m", "hwcheck", "grade", SEED],
                          capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
    # Before: exit 1 and the report. Now: "internal error: ChildProcessError: [Errno 10]
    # No child processes", exit 2.
    assert (proc.returncode, proc.stderr) == (1, ""), (proc.returncode, proc.stderr)


# --- 4. The read end of the pipe leaks when meanwhile() raises (an early Ctrl-C) ---------

def test_no_descriptor_is_left_open_when_meanwhile_raises():
    before = set(os.listdir("/proc/self/fd"))

    def meanwhile():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        overlapped(lambda: "graded", meanwhile, _never)
    assert set(os.listdir("/proc/self/fd")) == before

"""``cli.overlap.overlapped``: the one-file grade's work in a forked child while the
command loads its renderer. The value comes back from the child; a child that raised is
redone here (its error reported as usual); one the kernel killed gives ``killed``'s value
without running again; an interrupt here leaves no child behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from hwcheck.cli.overlap import overlapped

HERE = os.getpid()


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

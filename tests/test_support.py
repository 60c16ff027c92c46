"""The test suite's own rules and its shared helpers.

- No test module imports another test module: shared code lives in ``tests/support/``
  (checked on the source with ``ast``, every import, including those inside functions).
- ``run_in_process`` gives the same result as a real ``python -m hwcheck``, and puts back
  everything it changed, even when the command fails or hangs.
- ``fd_check`` skips a kink just inside the finite-difference step, and still fails a wrong
  gradient.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pytest

from tests.support import gradcheck
from tests.support.imports import imported
from tests.support.helpers import TESTS
from tests.support.runners import run_hwcheck, run_in_process

SUPPORT = TESTS / "support"


def _is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and len(parts) > 1 and parts[1].startswith("test_")


def test_no_test_module_imports_another():
    bad = []
    for path in sorted(TESTS.glob("*.py")) + sorted(SUPPORT.glob("*.py")):
        package = ".".join(path.relative_to(TESTS.parent).parent.parts)
        for name, line in imported(path.read_text(encoding="utf-8"), package):
            if _is_test_module(name):
                bad.append(f"{path.relative_to(TESTS.parent)}:{line}: imports {name}")
    assert not bad, "shared code belongs in tests/support/:\n" + "\n".join(bad)


def test_the_import_check_sees_relative_and_lazy_imports():
    source = ("def f():\n    from ..test_solvers import Net\n    import tests.test_cli\n"
              "from .test_ops_gradcheck import conv_cases\n")
    from_support = {n for n, _ in imported(source, "tests.support")}
    assert {"tests.test_solvers", "tests.test_cli"} <= from_support
    from_tests = {n for n, _ in imported(source, "tests")}
    assert "tests.test_ops_gradcheck" in from_tests
    assert all(_is_test_module(n) for n in ("tests.test_solvers", "tests.test_cli"))
    assert not _is_test_module("tests.support.helpers")


# ---- run_in_process -----------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["grade"],                                              # a usage error, from main()
    ["grade", "tests/corpus/bad_inputs/tabs.yaml"],         # a file error, through a worker
    ["grade", "examples/seed-answers.yaml", "--format", "csv"],
    ["solve", "p55"],
])
def test_in_process_runs_match_a_real_process(args, tmp_path):
    here = run_in_process(args)
    there = run_hwcheck(args, scratch=tmp_path)
    assert (here.code, here.stdout, here.stderr) == (there.code, there.stdout, there.stderr)


def _surroundings():
    return (os.getcwd(), dict(os.environ), sys.argv, sys.stdin, sys.stdout, sys.stderr,
            sys.modules["__main__"], signal.getsignal(signal.SIGPROF),
            signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL))


def test_in_process_runs_put_everything_back(monkeypatch, tmp_path):
    import hwcheck.cli

    def rude_main():
        os.chdir(tmp_path)
        os.environ["NO_COLOR"] = "1"
        os.environ.pop("PATH", None)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)
        sys.argv.append("--extra")
        print("partial output")
        raise RuntimeError("a bug in hwcheck")

    before = _surroundings()
    monkeypatch.setattr(hwcheck.cli, "main", rude_main)
    run = run_in_process(["grade", "x.yaml"], env={"COLUMNS": "40"})
    assert _surroundings() == before
    assert run.code == 1 and run.stdout == "partial output\n"
    assert "Traceback" in run.stderr and "RuntimeError: a bug in hwcheck" in run.stderr


def test_in_process_runs_see_the_environment_they_are_given(monkeypatch):
    import hwcheck.cli

    seen = {}

    def main():
        seen.update(os.environ)
        seen["cwd"] = os.getcwd()
        seen["isatty"] = sys.stdout.isatty()
        raise SystemExit(3)

    monkeypatch.setenv("HWCHECK_DEBUG", "1")          # dropped, as for a subprocess
    monkeypatch.setattr(hwcheck.cli, "main", main)
    run = run_in_process([], env={"NO_COLOR": "1"})
    assert run.code == 3
    assert seen["NO_COLOR"] == "1" and "HWCHECK_DEBUG" not in seen
    assert seen["cwd"] == str(TESTS.parent) and seen["isatty"] is False
    assert os.environ.get("HWCHECK_DEBUG") == "1"     # this process's own is untouched


def test_the_in_process_hang_guard_stops_a_loop(monkeypatch):
    import hwcheck.cli

    def spin():
        while True:
            pass

    monkeypatch.setattr(hwcheck.cli, "main", spin)
    run = run_in_process(["grade"], timeout=0.2)
    assert run.hung and run.code is None


# ---- fd_check -------------------------------------------------------------------------------

def test_fd_check_skips_a_kink_just_inside_the_step():
    """f(d) = a·d + relu(−δ − d): slope a at 0, a kink at −δ with δ just under EPS. Over
    ±EPS the one-sided slopes differ by only (1 − δ/EPS) = 5e-4, under the kink threshold,
    yet the central difference is off by half of that."""
    a, delta = 0.7, 0.9995 * gradcheck.EPS

    def f(d):
        return float(a * d[0] + max(0.0, -delta - d[0]))

    rng = np.random.default_rng(0)
    gradcheck.fd_check(f, np.zeros(1), np.array([a]), rng, "kinked")
    # and without the wider look, it would have failed
    narrow = (f(np.array([gradcheck.EPS])) - f(np.array([-gradcheck.EPS]))) / (2 * gradcheck.EPS)
    assert abs(narrow - a) > gradcheck.ATOL + gradcheck.RTOL


def test_fd_check_still_fails_a_wrong_gradient_on_a_smooth_function():
    def f(d):
        return float(np.sum(0.7 * d + d ** 2))

    rng = np.random.default_rng(0)
    gradcheck.fd_check(f, np.zeros(3), np.full(3, 0.7), rng, "right")
    with pytest.raises(AssertionError, match="solver"):
        gradcheck.fd_check(f, np.zeros(3), np.array([0.7, 0.7, 0.7001]), rng, "wrong")

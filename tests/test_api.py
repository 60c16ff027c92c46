"""The Python API (``hwcheck.check``): the same grading as an answers file, every value a
notebook holds, clear errors, escaped HTML, cached keys, and a cheap ``import hwcheck``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import numpy as np
import pytest

import hwcheck
from hwcheck import api
from hwcheck.errors import CheckError, HwcheckError
from hwcheck.grading import guard
from tests.support.helpers import PROBLEMS, ROOT, grade_text, part

P5_KEY_W = [[0.991379, -0.0086212], [0, -1]]
P5_KEY_B = [-0.0086212, 0]


@pytest.fixture(scope="module")
def checker():
    return api.Checker(PROBLEMS)


class Tensorish:
    """Stands in for a torch tensor that requires grad: ``__array__`` refuses, ``detach``
    then ``cpu`` give something numpy reads (torch itself is never imported)."""

    def __init__(self, data, needs_grad=True):
        self.data, self.needs_grad = np.asarray(data), needs_grad

    def __array__(self, dtype=None, copy=None):
        if self.needs_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")
        return self.data if dtype is None else self.data.astype(dtype)

    def detach(self):
        return Tensorish(self.data, needs_grad=False)

    def cpu(self):
        return self


@pytest.mark.parametrize("make", [lambda v: v, np.array, lambda v: Tensorish(v),
                                  lambda v: Tensorish(v, needs_grad=False), tuple],
                         ids=["list", "ndarray", "tensor-requires-grad", "array-like", "tuple"])
def test_every_array_kind_is_read(checker, make):
    result = checker.check("p5", W=make(P5_KEY_W), B=make(P5_KEY_B))
    assert result.status == "correct", result.feedback
    assert result.score == result.max_score == 7
    assert [p.name for p in result.parts] == ["W", "B"]


def test_numpy_scalars_and_a_single_part_problem(checker):
    assert checker.check("p3", np.int64(513466)).correct
    assert checker.check("p3", {"params": 513466.0}).correct
    assert checker.check("p3", "513,466").correct        # text the grader reads as a number
    assert checker.check("p3", 513467).status == "wrong"


def test_same_result_as_the_answers_file(checker, tmp_path):
    """A part graded through the API gets what the same answer in a YAML file gets."""
    formula = "g[ceil(d/2), ceil(e/2)] / 4 * (-s[d, e] * (1 - s[d, e]))"
    sub = grade_text(tmp_path, f'p1:\n  dL/dC: "{formula}"\n  dL/dS: "\\\\frac14 g_{{d,e}}"\n')
    result = checker.check("p1", {"dL/dC": formula, "dL/dS": "\\frac14 g_{d,e}"})
    for name in ("dL/dC", "dL/dS"):
        want, got = part(sub, "p1", name), result[name]
        for field in ("status", "score", "feedback", "diagnosis", "read_as", "notes"):
            assert getattr(got, field) == getattr(want, field), (name, field)
    assert result.status == "wrong"
    assert result["dL/dC"].diagnosis == "sign-flipped"
    assert result.diagnosis == "dL/dC: sign-flipped"     # several parts: one line each
    assert result.score == 0 and result.max_score == 5    # only the given parts count


def test_latex_formula_is_read_and_says_how(checker):
    result = checker.check("p1", {"dL/dS": r"\frac{1}{4} g_{\lceil d/2 \rceil, \lceil e/2 \rceil}"})
    assert result.correct
    assert result.read_as == "1 / 4 * g[ceil(d / 2), ceil(e / 2)]"


def test_problems_lists_what_can_be_checked(checker):
    infos = checker.problems()
    assert [p.id for p in infos] == ["p1", "p2", "p3", "p4", "p5", "p6"]
    p5 = next(p for p in infos if p.id == "p5")
    assert [(q.name, q.points) for q in p5.parts] == [("W", 4.0), ("B", 3.0)]
    assert "2 x 2 matrix" in p5.parts[0].wants


@pytest.mark.parametrize("call, fragment", [
    (lambda c: c.check("p9", W=1), "unknown problem 'p9' (hint: did you mean"),
    (lambda c: c.check("p5", w=P5_KEY_W), "p5 has no part 'w' (hint: did you mean 'W'?)"),
    (lambda c: c.check("p1", {"dL/ds": "g"}), "did you mean 'dL/dS'?"),
    (lambda c: c.check("p5", W=[[1, 2, 3], [4, 5, 6]]),
     "p5 W: got a 2 x 3 matrix, but the key is a 2 x 2 matrix (hint: give a 2 x 2 matrix)"),
    (lambda c: c.check("p5", B=5.0), "p5 B: got a single number, but the key is a vector of 2"),
    (lambda c: c.check("p5", W=np.zeros(10**6)), "more than 65536 entries"),
    (lambda c: c.check("p5", W={"a": 1}), "a dict is not an answer"),
    (lambda c: c.check("p5", W=np.array([1j, 2])), "an array of complex128"),
    (lambda c: c.check("p5", P5_KEY_W), "p5 has parts W, B: name the one you check"),
    (lambda c: c.check("p5"), "no answer given for p5"),
    (lambda c: c.check("p5", {"W": 1}, W=1), "p5 W is given twice"),
])
def test_bad_input_raises_one_clear_error(checker, call, fragment):
    with pytest.raises(CheckError) as info:
        call(checker)
    assert isinstance(info.value, HwcheckError)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_transposed_matrix_is_diagnosed_not_refused(checker):
    result = checker.check("p5", W=np.array(P5_KEY_W).T, B=P5_KEY_B)
    assert result["W"].status == "wrong" and result["W"].diagnosis


def test_hostile_formula_is_refused_by_the_formula_limits(checker):
    result = checker.check("p1", {"dL/dS": "sum(exp(d) for i in 1..10**9 for j in 1..10**9)"})
    assert result.status == "invalid"
    assert "__import__" not in result.feedback
    result = checker.check("p1", {"dL/dS": "__import__('os').system('true')"})
    assert result.status == "invalid"


def test_cpu_limit_interrupts_in_this_thread():
    with pytest.raises(guard.CpuLimit):
        with guard.cpu_limit(0.05):
            x = 0
            for i in range(10**10):     # stopped by the timer long before the end
                x += i
    import signal

    assert signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, None)   # restored


def test_html_escapes_student_text(checker):
    evil = "<script>alert(1)</script> & <b>"
    result = checker.check("p2", why_nms=evil)
    page = result._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;" in page
    assert result.status == "needs_review"


def test_displays_terminal_html_and_repr(checker):
    from rich.console import Console

    result = checker.check("p5", W=P5_KEY_W, B=[0.0016, 0])
    console = Console(width=80, color_system=None, record=True, file=io.StringIO())
    console.print(result)                             # through __rich__
    shown = console.export_text()
    assert "p5" in shown and "✓ correct" in shown and "✗ wrong" in shown
    assert str(result).splitlines()[0].startswith("╭─ p5")
    assert repr(result).startswith("<hwcheck p5: 4/7 points; W correct, B wrong")
    assert "\n" not in repr(result)
    assert "expected" in result._repr_html_()


def test_hide_expected_withholds_the_key():
    result = api.Checker(PROBLEMS, hide_expected=True).check("p5", W=P5_KEY_W, B=[1, 0])
    assert all(p.expected is None for p in result.parts)
    assert "expected" not in result._repr_html_()


def test_second_check_reuses_the_solved_keys(checker, monkeypatch):
    checker.check("p4", {"dE/dz": "q - p"})
    from hwcheck.grading import grader as grader_module

    calls = []
    real = grader_module.solve_spec
    monkeypatch.setattr(grader_module, "solve_spec", lambda *a: calls.append(a) or real(*a))
    assert checker.check("p4", {"dE/dz": "q - p"}).correct
    assert calls == []


def test_a_changed_spec_is_read_again(tmp_path):
    folder = tmp_path / "problems"
    shutil.copytree(PROBLEMS, folder)
    checker = api.Checker(folder)
    assert checker.check("p3", 513466).problem.title == "Parameters of a small CNN"
    spec = folder / "p3.yaml"
    spec.write_text(spec.read_text().replace("small CNN", "tiny CNN", 1))
    assert checker.check("p3", 513466).problem.title == "Parameters of a tiny CNN"


def test_module_level_functions(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert hwcheck.check("p3", 513466).correct
    assert [p.id for p in hwcheck.problems()][:1] == ["p1"]
    assert "check" in dir(hwcheck)
    with pytest.raises(AttributeError):
        hwcheck.no_such_thing


def test_import_hwcheck_loads_neither_the_api_nor_numpy():
    code = ("import sys, hwcheck; print(sorted(m for m in ('numpy', 'hwcheck.api', 'rich',"
            " 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def test_a_broken_spec_is_one_clear_error(tmp_path):
    folder = tmp_path / "problems"
    shutil.copytree(PROBLEMS, folder)
    spec = folder / "p3.yaml"
    spec.write_text(spec.read_text().replace("points: 6", "points: 7", 1))
    with pytest.raises(CheckError) as info:
        api.Checker(folder).check("p5", W=P5_KEY_W)
    assert str(info.value).startswith(f"{spec}:5:")
    assert "points is 7 but the parts add up to 6" in str(info.value)

"""Goldens for `hwcheck solve` on the seed problems, and what its output must show.

The text goldens (tests/goldens/solve_p1.txt … solve_p6.txt) are rendered at 80 columns
without colour; solve_p5.json is the JSON document. Rewrite them with
``pytest --update-goldens`` and review the diff before committing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from hwcheck.spec.catalog import resolve
from hwcheck.kinds import solve_spec
from hwcheck.report import solve_json, solve_text

from tests.support.golden import assert_golden
from tests.support.runners import run

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
IDS = [f"p{i}" for i in range(1, 7)]


def spec(problem: str):
    return resolve(problem, PROBLEMS)


def render_text(*solved) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    solve_text.render(list(solved), console)
    return console.file.getvalue()


def render_json(*solved) -> str:
    stream = io.StringIO()
    solve_json.render(list(solved), stream)
    return stream.getvalue()


# ---- goldens ------------------------------------------------------------------------------------

@pytest.mark.parametrize("problem", IDS)
def test_solve_text_golden(request, problem):
    assert_golden(request, f"solve_{problem}.txt", render_text(solve_spec(spec(problem))))


def test_solve_p5_json_golden(request):
    text = render_json(solve_spec(spec("p5")))
    doc = json.loads(text)
    # the stable keys of solve's JSON
    assert {"problem", "title", "points", "given", "parts", "steps", "layers",
            "total_params"} <= set(doc)
    assert doc["problem"] == "p5"
    assert set(doc["given"]) == {"W", "B", "x", "p", "lr"}
    for part in ("W", "B"):
        assert {"value", "points", "reference"} <= set(doc["parts"][part])
    assert all(set(s) >= {"name", "value"} for s in doc["steps"])
    assert all({"name", "type", "output_shape", "params"} <= set(r) for r in doc["layers"])
    assert doc["total_params"] == 6
    assert_golden(request, "solve_p5.json", text)


@pytest.mark.parametrize("problem", IDS)
def test_every_line_fits_80_columns(problem):
    for student in (None, "a-student-with-a-rather-long-identifier"):
        text = render_text(solve_spec(spec(problem), student=student))
        wide = [line for line in text.splitlines() if cell_len(line.rstrip()) > 80]
        assert not wide, "\n".join(wide)


# ---- what the output shows ----------------------------------------------------------------------

def test_solve_shows_given_then_steps_then_parts_in_order():
    text = render_text(solve_spec(spec("p5")))
    order = [text.index(s) for s in ("Given", "Steps", "Answer key")]
    assert order == sorted(order)
    steps = text[text.index("Steps"):text.index("Answer key")]
    names = ["c", "z", "q", "dE/dz", "dE/dc", "dE/dW", "dE/dB"]
    found = [steps.index(f"  {n}  ") for n in names]
    assert found == sorted(found), "p5's steps in the order a student writes them"
    assert "0.99138" in text and "-0.00862" in text


def test_p6_shows_both_settings_vanishing_and_exploding():
    solved = solve_spec(spec("p6"))
    norms = solved.solution.extra["norms"]
    assert set(norms) == {"vanishing", "exploding"}
    t = solved.instance.sizes["T"]
    for name, n in norms.items():
        assert np.shape(n) == (t,), name
        assert np.all(np.isfinite(n)) and np.all(n > 0), name
    assert norms["vanishing"][-1] < 1e-3
    assert norms["exploding"][-1] > 10
    # the trend is monotone in the end: each setting moves away from 1 over the lags
    assert norms["vanishing"][-1] < norms["vanishing"][0]
    assert norms["exploding"][-1] > norms["exploding"][0]
    text = render_text(solved)
    chart = text[text.index("trend"):]       # the norm chart, after the Given table
    rows = {name: next(line for line in chart.splitlines() if line.strip().startswith(name))
            for name in norms}
    for name, line in rows.items():
        assert any(ch in line for ch in solve_text.SPARK), f"no sparkline for {name}: {line}"
        assert f"{norms[name][-1]:.3g}" in line
    assert solve_text.sparkline(norms["vanishing"])[-1] < solve_text.sparkline(norms["vanishing"])[0]
    assert solve_text.sparkline(norms["exploding"])[-1] > solve_text.sparkline(norms["exploding"])[0]


def test_p6_json_carries_the_norms_of_both_settings():
    doc = json.loads(render_json(solve_spec(spec("p6"))))
    assert set(doc["norms"]) == {"vanishing", "exploding"}
    assert doc["norms"]["vanishing"][-1] < 1e-3 < 10 < doc["norms"]["exploding"][-1]
    assert set(doc["given"]) >= {"Wh", "Wi", "x", "h0"}


# ---- per-student variants -----------------------------------------------------------------------

def _given(solved) -> dict:
    return {k: np.asarray(v, dtype=float) for k, v in solved.solution.given.items()}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("problem", ["p4"])
def test_student_variant_is_reproducible_and_personal(problem):
    s = spec(problem)
    ada1, ada2 = solve_spec(s, student="ada"), solve_spec(s, student="ada")
    bob, own = solve_spec(s, student="bob"), solve_spec(s)
    assert _same(_given(ada1), _given(ada2))
    assert not _same(_given(ada1), _given(bob))
    assert not _same(_given(ada1), _given(own))
    for k in _given(ada1):      # every drawn value is the student's own, shapes unchanged
        assert _given(ada1)[k].shape == _given(own)[k].shape
    assert ada1.instance.student_seed == ada2.instance.student_seed != bob.instance.student_seed
    assert render_text(ada1) == render_text(ada2)


@pytest.mark.parametrize("problem", ["p4"])
def test_student_seed_is_printed(problem):
    solved = solve_spec(spec(problem), student="ada")
    seed = solved.instance.student_seed
    text = render_text(solved)
    assert "student ada" in text and f"seed {seed}" in text
    doc = json.loads(render_json(solved))
    assert doc["student"] == "ada" and doc["seed"] == seed
    assert "seed" not in render_text(solve_spec(spec(problem)))


@pytest.mark.parametrize("problem", ["p4"])
def test_student_option_on_the_command_line(problem):
    ada = run("solve", problem, "--format", "json", "--student", "ada")
    again = run("solve", problem, "--format", "json", "--student", "ada")
    bob = run("solve", problem, "--format", "json", "--student", "bob")
    assert ada.exit_code == again.exit_code == bob.exit_code == 0
    assert json.loads(ada.stdout) == json.loads(again.stdout)
    assert json.loads(ada.stdout)["given"] != json.loads(bob.stdout)["given"]
    text = run("solve", problem, "--student", "ada")
    assert text.exit_code == 0
    seed = json.loads(ada.stdout)["seed"]
    assert f"seed {seed}" in text.stdout


def test_student_does_not_change_a_problem_without_variants():
    """p5 is the seed homework's fixed instance: --student neither changes it nor claims a
    seed."""
    plain, ada = solve_spec(spec("p5")), solve_spec(spec("p5"), student="ada")
    assert _same(_given(plain), _given(ada))
    assert ada.student is None
    assert render_text(plain) == render_text(ada)

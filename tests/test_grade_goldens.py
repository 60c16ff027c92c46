"""Goldens of real grading output for the seed submission, through the whole pipeline:
solvers, formula evaluation, counterexamples, diagnosis and the renderers."""

import io
import json

import pytest
from rich.console import Console

from hwcheck.report import github, grade_json, grade_text
from tests.support.golden import assert_golden
from tests.support.helpers import EXAMPLES, grader


@pytest.fixture(scope="module")
def seed():
    return grader().grade_file(EXAMPLES / "seed-answers.yaml",
                               display="examples/seed-answers.yaml")


@pytest.mark.parametrize("hide", [False, True])
def test_seed_text_report(request, seed, hide):
    buf = io.StringIO()
    grade_text.render([seed], Console(file=buf, width=80, color_system=None),
                      hide_expected=hide)
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "counterexample:" in text
    if hide:
        assert "0.99138" not in text and "expected -0.0" not in text
    assert_golden(request, f"grade_seed{'_hidden' if hide else ''}.txt", text)


def test_seed_json_and_github(request, seed):
    doc = json.loads(grade_json.render([seed]))
    assert doc["score"] == 19.0 and doc["max_score"] == 40.0
    assert_golden(request, "grade_seed.json", grade_json.render([seed]))
    assert_golden(request, "grade_seed.github.txt", github.render([seed]))

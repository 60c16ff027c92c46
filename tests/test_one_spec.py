"""`grade --only ID` and `--problems FILE.yaml`: trying one spec alone (deliverable 8)."""

from __future__ import annotations

import json

from tests.support.helpers import EXAMPLES, PROBLEMS
from tests.support.runners import run

SEED = EXAMPLES / "seed-answers.yaml"


def _problems(result) -> list[str]:
    doc = json.loads(result.stdout)
    sub = doc["submissions"][0] if "submissions" in doc else doc
    return [p["id"] for p in sub["problems"]]


def test_only_grades_that_problem():
    result = run("grade", SEED, "--only", "p3", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr   # p3 is right in the seed
    assert _problems(result) == ["p3"]
    assert _problems(run("grade", SEED, "--format", "json")) == \
        ["p1", "p2", "p3", "p4", "p5", "p6"]


def test_only_refuses_an_unknown_id_listing_every_known_one():
    result = run("grade", SEED, "--only", "p33")
    assert result.exit_code == 2
    assert "unknown problem 'p33' (hint: did you mean 'p3'? problems: p1, p2, p3, p4, p5, " \
           "p6)" in result.stderr


def test_problems_may_be_one_spec_file():
    spec = PROBLEMS / "p3.yaml"
    result = run("grade", SEED, "--problems", spec, "--format", "json")
    assert _problems(result) == ["p3"]
    assert run("validate", "--problems", spec).exit_code == 0
    assert "513,466" in run("solve", "p3", "--problems", spec).stdout
    missing = run("solve", "p3", "--problems", PROBLEMS / "nowhere.yaml")
    assert missing.exit_code == 2 and "no such spec file" in missing.stderr
    other = run("solve", "p5", "--problems", spec)
    assert other.exit_code == 2 and "problems: p3" in other.stderr

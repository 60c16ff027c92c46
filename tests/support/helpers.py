"""Paths of the repository, and grading YAML text against the shipped problems."""

from __future__ import annotations

from pathlib import Path

from hwcheck.spec.catalog import load_catalog
from hwcheck.grading.grader import Grader

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
PROBLEMS = ROOT / "problems"
EXAMPLES = ROOT / "examples"

_GRADER = None


def grader() -> Grader:
    global _GRADER
    if _GRADER is None:
        _GRADER = Grader(load_catalog(PROBLEMS).specs)
    return _GRADER


def grade_text(tmp_path: Path, text: str, name: str = "answers.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return grader().grade_file(path)


def part(submission, problem: str, name: str):
    pr = next(p for p in submission.problems if p.id == problem)
    return next(p for p in pr.parts if p.name == name)


"""Shared test helpers: grade YAML text against the shipped problems."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hwcheck.spec.catalog import load_catalog
from hwcheck.cli import app
from hwcheck.grading.grader import Grader

ROOT = Path(__file__).resolve().parent.parent
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


def run(*args, cwd: Path | None = None):
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    import os

    old = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        return CliRunner().invoke(app, [str(a) for a in args])
    finally:
        os.chdir(old)

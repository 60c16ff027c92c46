"""The Grader's caches (grading/grader.py: keys, readings, a formula's outcome and
diagnosis, alternatives, factors) change no result: graded by one Grader whose caches the
earlier files have filled, each file gets exactly the report a fresh Grader gives it alone.

The files repeat and vary formulas (benchmarks/classgen.py), give p4 per-student variants
(each file its own `student:`, and a known mistake whose value is each student's own), and
count from 1 and from 0 with the same formula texts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hwcheck.grading.grader import Grader
from hwcheck.report import grade_json
from hwcheck.spec.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


def _classgen():
    spec = importlib.util.spec_from_file_location("classgen", ROOT / "benchmarks" / "classgen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _twins(folder: Path) -> list[Path]:
    """The same texts counted from 1 and from 0 (another entry of g, or out of range), and
    students with the same wrong p4 formulas on their own instances (a sign slip, and the
    softmax-diagonal mistake, found among each student's own alternatives)."""
    answers = ('p1:\n  dL/dS: "g[ceil(d/2), ceil(e/2)] / 4"\n'
               '  dL/dC: "g[ceil(d/2), ceil(e/2)] / 4 * s[d, e] * (1 - s[d, e])"\n')
    out = []
    for name, head, p4 in (("one.yaml", "student: ada\n", "p - q"),
                           ("zero.yaml", "student: ada\nindexing: 0\n", "p - q"),
                           ("other.yaml", "student: bob\n", "p - q"),
                           ("diagonal.yaml", "student: cy\n", "-p[x] * (1 - q[x])"),
                           ("diagonal2.yaml", "student: di\n", "-p[x] * (1 - q[x])")):
        path = folder / name
        path.write_text(f"{head}{answers}p4:\n  dE/dz: \"{p4}\"\n", encoding="utf-8")
        out.append(path)
    return out


def _problems(folder: Path) -> Path:
    """The shipped problems, p4 with a known mistake whose value is each student's own
    (a solver variant on the student's instance)."""
    folder.mkdir()
    for spec in PROBLEMS.glob("*.yaml"):
        text = spec.read_text(encoding="utf-8")
        if spec.name == "p4.yaml":
            anchor = '    reference: "q[x] - p[x]"\n'
            assert anchor in text
            text = text.replace(anchor, anchor + (
                "    mistakes:\n      - name: softmax-diagonal-only\n"
                "        variant: softmax-diagonal\n"
                "        feedback: Only the diagonal of the softmax Jacobian.\n"))
        (folder / spec.name).write_text(text, encoding="utf-8")
    return folder


def test_a_shared_grader_grades_each_file_as_a_fresh_one(tmp_path):
    files = _classgen().make_class(tmp_path / "class", 40, seed=5, corrupt_every=0)
    files += _twins(tmp_path)
    specs = load_catalog(_problems(tmp_path / "problems")).specs
    shared = Grader(specs)
    reports = []
    for path in files:
        mine = grade_json.render([shared.grade_file(path)])
        alone = grade_json.render([Grader(specs).grade_file(path)])
        assert mine == alone, path.name
        reports.append(mine)
    # the twins are graded differently, so the check above could tell them apart
    one, zero, other, diagonal, _ = reports[-5:]
    assert one.replace("one.yaml", "zero.yaml") != zero
    assert one.replace("one.yaml", "other.yaml") != other
    assert '"diagnosis": "softmax-diagonal-only"' in diagonal

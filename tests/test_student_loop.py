"""The student's loop (`hwcheck grade FILE`) stays lean: what it must not load or start.

The timing itself is `benchmarks/run.py grade` (no timed assertion here); these check the
causes of past slowness, each of which cost 10 ms or more of every grade.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs the CLI's own entry point in a fresh interpreter, then reports what it loaded and
# how it ran. cli.run ends with os._exit, so the report is written by a wrapper of main.
_PROBE = """
import gc, os, sys
import hwcheck.cli as cli
real_main = cli.main
def main():
    try:
        real_main()
    finally:
        mods = sorted(m for m in ("numpy.ma", "multiprocessing", "hwcheck.grading.mining",
                                  "hwcheck.report.html", "hwcheck.spec.jsonschema",
                                  "typer", "hwcheck.cli.commands", "tempfile",
                                  "hwcheck.grading.fingerprints")
                      if m in sys.modules)
        sys.stderr.write(f"PROBE {mods} gc={gc.isenabled()} "
                         f"blas={os.environ.get('OPENBLAS_NUM_THREADS')}\\n")
cli.main = main
sys.argv = ["hwcheck", "grade", "examples/seed-answers.yaml"]
cli.run()
"""


def _probe(env_extra: dict | None = None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr   # the seed student has wrong parts
    lines = [line for line in proc.stderr.splitlines() if line.startswith("PROBE ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_one_file_grade_loads_nothing_it_does_not_need():
    line = _probe()
    # numpy.ma came with np.unique once; typer is for options and help (cli.fast)
    assert line.startswith("PROBE [] "), line
    assert "gc=False" in line                   # no cyclic GC in a one-shot command
    assert "blas=1" in line                     # OpenBLAS's idle pool only spun


def test_a_users_own_blas_threads_setting_is_kept():
    assert "blas=2" in _probe({"OPENBLAS_NUM_THREADS": "2"})


def test_fingerprints_only_where_a_regrade_reads_them():
    """Only the JSON report keeps what a later --against compares; the other formats
    skip hashing every key (grading.fingerprints) and the file."""
    import json

    from hwcheck.grading.grader import Grader
    from hwcheck.spec.catalog import load_catalog
    from tests.support.runners import run_in_process

    specs = load_catalog(ROOT / "problems").specs
    seed = ROOT / "examples" / "seed-answers.yaml"
    lean = Grader(specs, fingerprints=False).grade_file(seed)
    full = Grader(specs).grade_file(seed)
    assert lean.digest is None and full.digest
    parts = [(a, b) for p, q in zip(lean.problems, full.problems)
             for a, b in zip(p.parts, q.parts)]
    assert parts and all(a.fingerprint is None and b.fingerprint is not None
                         for a, b in parts)
    assert [a.status for a, _ in parts] == [b.status for _, b in parts]
    doc = json.loads(run_in_process(["grade", seed, "-f", "json"]).stdout)
    assert doc["digest"] and all("fingerprint" in part for problem in doc["problems"]
                                 for part in problem["parts"])


def test_every_data_class_says_what_it_is():
    """A docstring on each dataclass: it documents the data, and without one Python 3.11's
    ``dataclass`` builds one from ``inspect.signature`` at import, in every command."""
    import ast

    missing, seen = [], 0
    for path in sorted((ROOT / "hwcheck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    ast.unparse(d).startswith(("dataclass", "frozen"))
                    for d in node.decorator_list):
                seen += 1
                if ast.get_docstring(node) is None:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, missing
    assert seen > 50   # @frozen (hwcheck/frozen.py) and @dataclass are both counted

"""The benchmarks run, and every fast path agrees with its slow reference.

No timed assertions here: speed is measured by `python benchmarks/run.py CLAIM` and quoted
in benchmarks/README.md. These tests only check that each benchmark command works at a tiny
size (`--quick`) and that the fast paths give the same results as the slow ones.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from hwcheck.grading import batch
from hwcheck.spec.catalog import load_catalog
from hwcheck.formula import evaluate, parse
from hwcheck.grading.grader import Grader
from hwcheck.engine.ops import conv
from hwcheck.report import grade_json
from tests.support.helpers import PROBLEMS, ROOT

RUN = ROOT / "benchmarks" / "run.py"


def _load_run():
    spec = importlib.util.spec_from_file_location("hwcheck_benchmarks_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_run()


# --- each command runs at a tiny size ------------------------------------------------------

@pytest.mark.parametrize("claim", ["startup", "grade", "batch", "conv", "formula", "html"])
def test_benchmark_command_runs_quick(claim):
    proc = subprocess.run([sys.executable, str(RUN), claim, "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ratio" in proc.stdout or "SKIPPED" in proc.stdout, proc.stdout
    assert "DISAGREE" not in proc.stdout


def test_a_crashing_command_is_not_timed():
    """A traceback exits 1, as a grade with wrong parts does; it must stop the benchmark
    rather than be timed (a crash at import is faster than any grade)."""
    with pytest.raises(SystemExit, match="no_such_module"):
        bench._run([sys.executable, "-c", "import no_such_module"])
    assert bench._run([sys.executable, "-c", "raise SystemExit(1)"])[0] >= 0


def test_help_does_not_import_numpy():
    loaded = bench.help_imports()     # `hwcheck --help` in a fresh subprocess
    assert "numpy" not in loaded, loaded


# --- fast paths against slow ones ----------------------------------------------------------

def _p1_dk_text() -> str:
    return load_catalog(PROBLEMS).get("p1").part("dL/dK").reference


@pytest.mark.parametrize("n, m, k", [(1, 1, 1), (2, 3, 3), (4, 2, 5)])
def test_vectorised_formula_matches_python_loop_and_solver(n, m, k):
    inst = bench.formula_instance(n, m, k, seed=n + 10 * m + 100 * k)
    env = inst["env"]
    fast = evaluate(parse(_p1_dk_text()), env, index=[("u", k), ("v", k)], shape=(k, k))
    slow = bench.slow.p1_dk_loop(env["x"].tolist(), env["g"].tolist(), env["s"].tolist(),
                                 n, m, k)
    np.testing.assert_allclose(fast, np.array(slow), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fast, inst["key"], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("tile", [conv.TILE_ELEMENTS, 7])   # 7: many row tiles per image
@pytest.mark.parametrize("two_n, k", [(2, 1), (6, 3), (10, 4)])
def test_conv_block_matches_pixel_loop(monkeypatch, tile, two_n, k):
    monkeypatch.setattr(conv, "TILE_ELEMENTS", tile)
    x, kern, g = bench.conv_inputs(two_n, k, seed=two_n * k)
    ours = bench.conv_hwcheck(x, kern, g)
    ds, dc, dk = bench.slow.p1_block_loop(x.tolist(), kern.tolist(), g.tolist())
    np.testing.assert_allclose(ours["dS"], ds, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours["dC"], dc, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours["dK"], dk, rtol=1e-12, atol=1e-14)


def test_conv_block_agrees_with_torch_when_installed():
    torch = pytest.importorskip("torch")
    x, kern, g = bench.conv_inputs(40, 7, seed=5)
    ours, theirs = bench.conv_hwcheck(x, kern, g), bench.conv_torch(torch, x, kern, g)
    for q in ("dS", "dC", "dK"):
        np.testing.assert_allclose(ours[q], theirs[q], rtol=0, atol=1e-9)


def test_pooled_batch_gives_the_same_json_as_sequential(tmp_path):
    files = bench.classgen.make_class(tmp_path / "class", 14, seed=3, corrupt_every=5)
    specs = load_catalog(PROBLEMS).specs
    plain = Grader(specs)   # in this process, one file after another, nothing warmed
    sequential = [batch.grade_one(plain, f, batch.Limits(cpu_seconds=0)) for f in files]
    one_worker = batch.grade_many(Grader(specs), files, jobs=1)
    pooled = batch.grade_many(Grader(specs), files, jobs=2)
    a = grade_json.render(sequential, hide_expected=False)
    assert grade_json.render(one_worker, hide_expected=False) == a
    assert grade_json.render(pooled, hide_expected=False) == a
    rows = json.loads(a)["submissions"]
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert any(r.get("error") for r in rows)                 # the corrupt files are error rows
    assert any(not r.get("error") for r in rows)


def test_generated_class_is_deterministic_and_mixed(tmp_path):
    a = bench.classgen.make_class(tmp_path / "a", 30, seed=11)
    b = bench.classgen.make_class(tmp_path / "b", 30, seed=11)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    text = "".join(p.read_text(errors="replace") for p in a)
    assert "s[i+u-1, j+v-1]" in text                        # the seed's dL/dK slip
    assert "-s[d, e] * (1 - s[d, e])" in text                # the seed's dL/dC slip

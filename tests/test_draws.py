"""engine.draws.Draws: hwcheck's seeded draws without numpy.random.

Determinism, shapes and dtypes of every method, statistical sanity on 200,000 draws with
fixed seeds (generous bounds: a broken transform misses them by far, a correct one never
comes near), the pinned start of one stream, and a probe that a student's `hwcheck grade`
loads neither numpy.random nor hashlib.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hwcheck.engine.draws import Draws, _seed_int
from hwcheck.spec.instance import student_seed

ROOT = Path(__file__).resolve().parent.parent
N = 200_000


def _all(d: Draws, shape):
    """One call of each method at ``shape``."""
    k = 3
    return {
        "random": d.random(shape),
        "uniform": d.uniform(-2.0, 5.0, shape),
        "standard_normal": d.standard_normal(shape),
        "integers": d.integers(-3, 4, shape),
        "dirichlet": d.dirichlet(np.ones(k), shape),
        "choice": d.choice(np.arange(100), size=shape, replace=False),
        "choice_replace": d.choice([1.5, 2.5, 3.5], size=shape),
    }


def test_same_seed_same_arrays():
    a, b = _all(Draws([5, 0, 7]), (4, 3)), _all(Draws([5, 0, 7]), (4, 3))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("other", [[5, 0, 8], [5, 1, 7], [6, 0, 7], [5, 0], [5, 0, 7, 0],
                                   [0, 5, 7], [5 + 2 ** 32, 0, 7], [2 ** 32 * 5, 0, 7]])
def test_different_seed_words_different_streams(other):
    a, b = Draws([5, 0, 7]).random(8), Draws(other).random(8)
    assert not np.any(a == b)


def test_seed_words_are_encoded_injectively():
    seeds = [(0,), (0, 0), (0, 0, 0), (1,), (1, 0), (0, 1), (2 ** 32,), (2 ** 32, 0),
             (1, 2 ** 32), (2 ** 32 + 1,), (1, 1), (2 ** 64 - 1, 3)]
    ints = [_seed_int(s) for s in seeds]
    assert len(set(ints)) == len(ints)


def test_an_int_seed_is_one_word():
    np.testing.assert_array_equal(Draws(9).random(4), Draws([9]).random(4))


def test_negative_seed_words_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        Draws([1, -2])


def test_the_stream_is_pinned():
    """Every key's drawn values come from this stream: a change in how bits are taken
    (or in Python's MT19937) would change every key, and must be seen here first."""
    assert Draws([1, 2, 3]).random(3).tolist() == [
        0.24601431910315574, 0.7286995031435823, 0.8803551066340413]
    assert Draws(0).standard_normal(2).tolist() == [0.3423936125637287, -1.0048879731456204]
    assert Draws(7).integers(0, 10, 6).tolist() == [6, 2, 2, 8, 8, 1]


def test_student_seed_is_stable_and_32_bit():
    assert student_seed("seed-student") == 3668516041
    assert student_seed("ada") == 3989595295
    assert student_seed(None) == student_seed("") == 0
    assert 0 <= student_seed("é" * 1000) < 2 ** 32


@pytest.mark.parametrize("shape", [(), 0, 5, (0,), (2, 0), (2, 3), (1, 2, 3)])
def test_shapes_and_dtypes(shape):
    want = (shape,) if isinstance(shape, int) else shape
    got = _all(Draws(11), shape)
    for name in ("random", "uniform", "standard_normal"):
        assert got[name].shape == want and got[name].dtype == np.float64, name
    assert got["integers"].shape == want and got["integers"].dtype == np.int64
    assert got["dirichlet"].shape == want + (3,) and got["dirichlet"].dtype == np.float64
    assert got["choice"].shape == want and got["choice"].dtype == np.arange(1).dtype
    assert got["choice_replace"].shape == want


def test_none_shape_is_one_value():
    d = Draws(3)
    assert d.standard_normal().shape == () and d.uniform(0, 1).shape == ()
    assert d.dirichlet(np.ones(4)).shape == (4,)
    assert d.choice([7, 8, 9]) in (7, 8, 9) and np.ndim(d.choice([7, 8, 9])) == 0


def test_standard_normal_statistics():
    z = Draws([2024, 1]).standard_normal(N)
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1) < 0.02
    assert abs(np.mean(np.abs(z) < 1) - 0.6827) < 0.01    # the 1σ mass
    assert abs(np.mean(z ** 3)) < 0.05 and abs(np.mean(z ** 4) - 3) < 0.1
    odd = Draws([2024, 2]).standard_normal(N + 1)         # the odd one out of a pair
    assert odd.shape == (N + 1,) and np.all(np.isfinite(odd))


def test_uniform_statistics():
    u = Draws([2024, 3]).uniform(-1.0, 3.0, N)
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.02 and abs(u.var() - 16 / 12) < 0.03
    counts = np.histogram(u, bins=8, range=(-1, 3))[0]
    assert np.all(np.abs(counts - N / 8) < 0.05 * N / 8)


@pytest.mark.parametrize("low, high", [(-3, 4), (0, 2), (5, 6), (-10, 1000), (0, 2 ** 40)])
def test_integers_cover_the_range_and_nothing_else(low, high):
    x = Draws([2024, 4, high]).integers(low, high, N)
    assert x.min() >= low and x.max() < high
    if high - low <= 1000:
        assert set(np.unique(x).tolist()) == set(range(low, high))
        counts = np.bincount(x - low)
        assert np.all(np.abs(counts - N / (high - low)) < 0.25 * N / (high - low) + 10)
    else:
        assert abs(x.mean() / ((low + high - 1) / 2) - 1) < 0.01


def test_integers_refuse_an_empty_range():
    with pytest.raises(ValueError):
        Draws(1).integers(3, 3, 2)


def test_dirichlet_rows_are_positive_and_sum_to_one():
    p = Draws([2024, 5]).dirichlet(np.ones(4), N // 4)
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(np.abs(p.mean(axis=0) - 0.25) < 0.01)   # flat: each mean is 1/k
    with pytest.raises(ValueError):
        Draws(1).dirichlet([2.0, 1.0])


def test_choice_without_replacement_has_no_repeats():
    d = Draws([2024, 6])
    for count in (1, 7, 50, 100):
        x = d.choice(np.arange(100, 200), size=count, replace=False)
        assert len(set(x.tolist())) == count and set(x.tolist()) <= set(range(100, 200))
    whole = d.choice(np.arange(10), size=10, replace=False)
    assert sorted(whole.tolist()) == list(range(10))
    firsts = [int(Draws([2024, 7, i]).choice(np.arange(5), size=5, replace=False)[0])
              for i in range(2000)]
    assert set(firsts) == set(range(5))                   # any element can come first
    with pytest.raises(ValueError):
        d.choice(np.arange(3), size=4, replace=False)


def test_choice_with_replacement_covers_the_values():
    x = Draws([2024, 8]).choice([2, 4, 6], size=N)
    counts = np.array([np.sum(x == v) for v in (2, 4, 6)])
    assert counts.sum() == N and np.all(np.abs(counts - N / 3) < 0.02 * N)


def test_a_grade_loads_neither_numpy_random_nor_hashlib():
    """The student's loop, in a fresh interpreter: `-X importtime` lists every module
    imported, so nothing about the CLI's insides is assumed."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hwcheck", "grade",
         "examples/seed-answers.yaml"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]      # the seed student has wrong parts
    loaded = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:") and "|" in line}
    assert "numpy" in loaded and "hwcheck.engine.draws" in loaded    # the probe works
    assert not {m for m in loaded if m == "hashlib" or m == "_hashlib"
                or m.startswith("numpy.random")}, sorted(loaded)

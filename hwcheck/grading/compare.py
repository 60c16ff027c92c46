"""Comparing an answer with a key: tolerance, shapes, per-entry feedback and diagnosis.

Pure numpy. Two ideas carry the fairness rules:

- **Scale.** Under a relative tolerance an entry may be off by ``rtol`` times the largest
  entry of its matrix, not only of itself: a student who rounds a matrix to four digits
  writes its small entries with as many decimals as its large ones (p5: -0.0086 beside
  0.9914), and that is a correct answer.
- **Written precision.** Every number a student wrote carries its own precision, half a unit
  in its last decimal. An answer whose entries each round the key correctly at their own
  precision, but coarser than the tolerance, is ``rounding``; an alternative key (a known
  mistake or a slip) matches at the same precision, capped at a small fraction of the
  answer's scale so that a vector of zeros never "matches" a vector of small numbers.
"""

from __future__ import annotations


import numpy as np

from hwcheck.frozen import frozen
from hwcheck.grading.results import EntryMismatch, MoreMismatches

#: written precision is believed only down to this fraction of the answer's largest entry:
#: a slip still has the key's leading digits; a rounding at least has its leading digit
PRECISION_CAP, ROUNDING_CAP = 0.05, 0.5
#: factors that explain a slip on their own: 2..10, the squares of 2..5 (a factor applied
#: the wrong way round: 4 instead of 1/4 is 16), their reciprocals, and their negatives
#: as (name, value) pairs sorted by value, named as fractions.Fraction prints them ("-1/4");
#: built without that module, whose import (with decimal's) was ~6 ms of every grade
SMALL_FACTORS = tuple(sorted(((f"{s * k}", float(s * k)) if p == 1 else (f"{s}/{k}", s / k)
                              for k in (*range(2, 11), 16, 25)
                              for p in (1, -1) for s in (1, -1)), key=lambda nv: nv[1]))


@frozen
class Slip:
    """A diagnosis: a slug for machines and a sentence for the student."""

    slug: str
    message: str
    reveals_key: bool = False   # a spec author's words about the key, which may state it


def scale_of(want) -> float:
    want = np.asarray(want, dtype=float)
    return float(np.max(np.abs(want))) if want.size else 0.0


def allowed_error(want: np.ndarray, tol) -> np.ndarray:
    """The largest |got − want| each entry may have under tolerance ``tol`` (spec.Tolerance).

    ``rtol`` is relative to the larger of the entry and its matrix's largest entry."""
    want = np.abs(np.asarray(want, dtype=float))
    if tol.decimals is not None:
        return np.full(want.shape, 0.5 * 10.0 ** -tol.decimals)
    if tol.sigfigs is not None:
        with np.errstate(divide="ignore"):
            exp = np.floor(np.log10(np.where(want > 0, want, 1.0)))
        return 0.5 * 10.0 ** (exp - tol.sigfigs + 1)
    return tol.atol + tol.rtol * np.maximum(want, scale_of(want))


def within(got, want, tol) -> np.ndarray:
    """Elementwise: is |got − want| within tolerance? (Shapes must already agree.)"""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(got - want) <= allowed_error(want, tol) * (1 + 1e-12)


def matches(got, alt, tol, precision=0.0) -> bool:
    """Does ``got`` equal ``alt`` as a student would write it: within the part's tolerance,
    or within each entry's written ``precision`` (scalar or per entry), believed only down
    to PRECISION_CAP of ``alt``'s scale?"""
    got, alt = np.asarray(got, dtype=float), np.asarray(alt, dtype=float)
    if got.shape != alt.shape or not np.all(np.isfinite(got)):
        return False
    written = np.minimum(np.broadcast_to(precision, got.shape), PRECISION_CAP * scale_of(alt))
    allowed = np.maximum(allowed_error(alt, tol), written * 1.001) + 1e-12
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(got - alt) <= allowed))


def fit_shape(got: np.ndarray, want_shape: tuple) -> np.ndarray | None:
    """``got`` in the key's shape when only singleton axes differ (a column for a vector)."""
    if got.shape == tuple(want_shape):
        return got
    if got.size == int(np.prod(want_shape)) and \
            tuple(d for d in got.shape if d != 1) == tuple(d for d in want_shape if d != 1):
        return got.reshape(want_shape)
    return None


def entry_feedback(got, want, ok: np.ndarray, limit: int = 4) -> tuple:
    """Which entries are off (1-based, as the homework indexes them), the first ``limit``
    one by one."""
    bad = np.argwhere(~ok)
    found: list = [EntryMismatch(tuple(int(i) + 1 for i in idx), float(got[tuple(idx)]),
                                 float(want[tuple(idx)])) for idx in bad[:limit]]
    if len(bad) > limit:
        found.append(MoreMismatches(len(bad) - limit, int(ok.size)))
    return tuple(found)


def diagnose(got, want, alternatives, tol, precision=0.0,
             factors: dict | None = None) -> Slip | None:
    """The first slip that explains ``got``: the spec's mistakes and re-solved slips
    (``alternatives``: (Slip, array) pairs, in order), then the generic slips.
    ``factors`` names the problem's own quantities a slip may multiply by (lr, n, …)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    # An answer written too coarsely to tell the key from a slip names no slip: W left at
    # [[1, 0], [0, -1]] is as close to p5's key as to its softmax-diagonal variant.
    if not (got.shape == want.shape and matches(got, want, tol, precision)):
        for slip, alt in alternatives:
            fitted = fit_shape(got, np.shape(alt)) if alt is not None else None
            if fitted is not None and matches(fitted, alt, tol, _fit(precision, fitted.shape)):
                return slip
    return generic_slip(got, want, tol, precision, factors)


def generic_slip(got: np.ndarray, want: np.ndarray, tol, precision=0.0,
                 factors: dict | None = None) -> Slip | None:
    if not np.any(want):
        return None
    if got.shape == want.shape and matches(got, -want, tol, precision):
        return Slip("sign-flipped", "The sign is flipped: your answer is the negative of "
                                    "the key.")
    if want.ndim == 2 and got.shape == want.T.shape and not np.allclose(want, want.T) \
            and matches(got, want.T, tol, _fit(precision, got.shape)):
        return Slip("transposed", "Your answer is the transpose of the key: check which "
                                  "index is the row and which the column.")
    if got.shape != want.shape:
        return None
    factor = _factor(got, want, tol, precision, factors or {})
    if factor is not None:
        return Slip("constant-factor", f"Off by a constant factor: your answer is "
                                       f"{factor} times the key.")
    shifted = _shifted(got, want, tol)
    if shifted is not None:
        return Slip("index-off-by-one", f"Indices are off by one along axis {shifted}: "
                                        "your entries are the key's, shifted.")
    believed = np.minimum(np.broadcast_to(precision, got.shape), ROUNDING_CAP * scale_of(want))
    if np.any(precision) and np.all(np.abs(got - want) <= believed * 1.001 + 1e-12):
        return Slip("rounding", "Right only when rounded coarsely: each entry rounds the "
                                "key correctly, but to fewer digits than the problem "
                                "expects. Give more significant digits.")
    return None


def _fit(precision, shape):
    p = np.asarray(precision, dtype=float)
    return p.reshape(shape) if p.ndim and p.size == int(np.prod(shape)) else \
        (p if not p.ndim else 0.0)


def _factor(got, want, tol, precision, factors: dict) -> str | None:
    """A believable factor (SMALL_FACTORS, or one of the problem's own quantities such as the
    learning rate or a size, or its reciprocal) that turns the key into ``got``; None
    otherwise."""
    with np.errstate(all="ignore"):  # a student's 1e308 must not print a numpy warning
        c = float(np.vdot(got, want) / np.vdot(want, want))
    if not np.isfinite(c) or abs(c) < 1e-12 or abs(abs(c) - 1) < 1e-3:
        return None
    named = []
    for name, value in factors.items():
        value = float(value)
        if np.isfinite(value) and value != 0 and abs(abs(value) - 1) > 1e-9:
            named += [(f"{name} ({value:g})", value), (f"1/{name} ({1 / value:g})", 1 / value)]
    candidates = list(SMALL_FACTORS) + named
    # got = value·want makes the least-squares c ≈ value: only near candidates can match
    near = sorted((nc for nc in candidates if abs(nc[1] - c) <= 0.05 * abs(c)),
                  key=lambda nc: abs(nc[1] - c))
    for name, value in near[:3]:
        if matches(got, value * want, tol, precision):
            return name
    return None


def _shifted(got: np.ndarray, want: np.ndarray, tol) -> int | None:
    for axis in range(want.ndim):
        n = want.shape[axis]
        if n < 3:
            continue
        for shift in (1, -1):
            a = np.take(got, range(max(shift, 0), n + min(shift, 0)), axis=axis)
            b = np.take(want, range(max(-shift, 0), n + min(-shift, 0)), axis=axis)
            if np.any(b) and matches(a, b, tol):   # (got itself is already wrong)
                return axis + 1
    return None

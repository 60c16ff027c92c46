"""Comparing an answer with a key: tolerance, shapes, per-entry feedback and diagnosis.

Pure numpy. A diagnosis names the first slip that explains a wrong answer; an alternative
key (a spec's known mistake, or the key re-solved with a slip) matches "loosely", because a
student who made that slip still rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from hwcheck.grading.results import EntryMismatch, MoreMismatches

LOOSE = 5e-3   # relative to the array's largest entry: students round to 3–4 digits


@dataclass(frozen=True)
class Slip:
    """A diagnosis: a slug for machines and a sentence for the student."""

    slug: str
    message: str
    reveals_key: bool = False   # a spec author's words about the key, which may state it


def allowed_error(want: np.ndarray, tol) -> np.ndarray:
    """The largest |got − want| each entry may have under tolerance ``tol`` (spec.Tolerance)."""
    want = np.abs(np.asarray(want, dtype=float))
    if tol.decimals is not None:
        return np.full(want.shape, 0.5 * 10.0 ** -tol.decimals)
    if tol.sigfigs is not None:
        with np.errstate(divide="ignore"):
            exp = np.floor(np.log10(np.where(want > 0, want, 1.0)))
        return 0.5 * 10.0 ** (exp - tol.sigfigs + 1)
    return tol.atol + tol.rtol * want


def within(got, want, tol) -> np.ndarray:
    """Elementwise: is |got − want| within tolerance? (Shapes must already agree.)"""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.abs(got - want) <= allowed_error(want, tol) * (1 + 1e-12)


def loosely_equal(got, want, precision: float = 0.0) -> bool:
    """Equal up to rounding: LOOSE relative to the largest entry, or the precision the
    student wrote (half a unit in their last decimal)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return False
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    allowed = 1e-9 + max(LOOSE * scale, precision * 1.001)
    return bool(np.all(np.abs(got - want) <= allowed))


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


def diagnose(got, want, alternatives=(), tol=None, precision: float = 0.0) -> Slip | None:
    """The first slip that explains ``got``: the spec's mistakes and re-solved slips
    (``alternatives``: (Slip, array) pairs, in order), then the generic slips."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    for slip, alt in alternatives:
        fitted = fit_shape(got, np.shape(alt)) if alt is not None else None
        if fitted is not None and loosely_equal(fitted, alt, precision):
            return slip
    return generic_slip(got, want, tol, precision)


def generic_slip(got: np.ndarray, want: np.ndarray, tol=None,
                 precision: float = 0.0) -> Slip | None:
    if not np.any(want):
        return None
    if got.shape == want.shape and loosely_equal(got, -want, precision):
        return Slip("sign-flipped", "The sign is flipped: your answer is the negative of "
                                    "the key.")
    if want.ndim == 2 and got.shape == want.T.shape and not np.allclose(want, want.T) \
            and loosely_equal(got, want.T, precision):
        return Slip("transposed", "Your answer is the transpose of the key: check which "
                                  "index is the row and which the column.")
    if got.shape == want.shape:
        factor = _factor(got, want)
        if factor is not None:
            return Slip("constant-factor", f"Off by a constant factor: your answer is "
                                           f"{factor} times the key.")
        shifted = _shifted(got, want)
        if shifted is not None:
            return Slip("index-off-by-one", f"Indices are off by one along axis {shifted}: "
                                            "your entries are the key's, shifted.")
        if tol is not None and precision and \
                np.all(np.abs(got - want) <= precision * 1.001 + 1e-12):
            return Slip("rounding", "Right only when rounded coarsely: give more significant "
                                    "digits (at least 4).")
    return None


def _factor(got: np.ndarray, want: np.ndarray) -> str | None:
    with np.errstate(all="ignore"):  # a student's 1e308 must not print a numpy warning
        c = float(np.vdot(got, want) / np.vdot(want, want))
    if not np.isfinite(c) or abs(c) < 1e-12 or abs(c - 1) < 1e-3 or abs(c + 1) < 1e-3:
        return None
    if not loosely_equal(got, c * want):
        return None
    frac = Fraction(c).limit_denominator(16)
    if frac in (0, 1, -1) or abs(float(frac) - c) > 1e-3 * abs(c):
        return None  # only a simple factor (4, 1/2, -2/3 …) is a believable slip
    return str(frac)


def _shifted(got: np.ndarray, want: np.ndarray) -> int | None:
    for axis in range(want.ndim):
        n = want.shape[axis]
        if n < 3:
            continue
        for shift in (1, -1):
            a = np.take(got, range(max(shift, 0), n + min(shift, 0)), axis=axis)
            b = np.take(want, range(max(-shift, 0), n + min(-shift, 0)), axis=axis)
            if np.any(b) and loosely_equal(a, b) and not loosely_equal(got, want):
                return axis + 1
    return None

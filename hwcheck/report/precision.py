"""The precision a part expects, in words a student can act on before grading."""

from __future__ import annotations

import math


def precision_text(tol) -> str:
    """``tol`` (a spec Tolerance) as a sentence fragment: "4 significant digits (…)"."""
    if tol.decimals is not None:
        return f"{tol.decimals} decimal place{'s' * (tol.decimals != 1)}"
    if tol.sigfigs is not None:
        return f"{tol.sigfigs} significant digit{'s' * (tol.sigfigs != 1)}"
    if not tol.rtol > 0:
        return "the exact value" if not tol.atol > 0 else f"within ±{tol.atol:g}"
    digits = significant_digits(tol.rtol)
    return (f"{digits} significant digits (each entry within {tol.rtol * 100:g}% of its "
            f"matrix's largest entry)")


def significant_digits(rtol: float) -> int:
    """The fewest significant digits whose rounding error (at worst half a unit in the last
    digit, with a leading 1) stays within ``rtol``."""
    if not rtol > 0:
        return 15
    return max(1, math.ceil(1 - math.log10(2 * rtol) - 1e-12))
